"""The till link through the real kiosk: a pty pair stands for the serial cable, the simulator for Mion.

Given the kiosk with ``[pos] enabled`` on a symlink to a pty's slave (as ``/dev/serial/by-id/...``
would be), the test holds the master side and plays the till: it sends protocol lines (or pole
display bytes) and reads what the kiosk answers, while the kiosk's own loop runs in between.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import pytest

from kiosk.config import Settings
from kiosk.core import events as ev
from kiosk.core.model import Phase, SaleSource
from kiosk.core.view import IdleView, InvoiceView
from kiosk.inputs.pos_protocol import format_time
from kiosk.mion.simulator import MionSimulator
from kiosk.shell.app import KioskApp
from tests.helpers import drive, running_kiosk, settings_for
from tests.pty_till_driver import PtyTill, fields

ESC = b"\x1b"
FORM_FEED = b"\x0c"




@pytest.fixture
def till(tmp_path: Path) -> Iterator[PtyTill]:
    till = PtyTill(tmp_path / "usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0")
    till.plug()
    yield till
    till.close()


def _line_settings(simulator: MionSimulator, tmp_path: Path, till: PtyTill, **pos: object) -> Settings:
    return settings_for(simulator, tmp_path, pos={"enabled": True, "port": str(till.link), **pos})


def _session_id(app: KioskApp) -> str:
    sale = app.register.sale
    assert sale is not None and sale.session_id is not None
    return sale.session_id


def _phase(app: KioskApp, reference: str) -> Phase | None:
    record = app.journal.get(reference)
    return None if record is None else record.phase


def _settle(app: KioskApp, till: PtyTill, seconds: float) -> None:
    """Keep the kiosk running for a while (to catch anything sent twice or too early)."""
    deadline = time.monotonic() + seconds
    till.wait(app, lambda: time.monotonic() >= deadline, timeout_s=seconds + 2)


# --- a sale from the till, start to paid --------------------------------------------------------

def test_a_till_sale_is_announced_paid_and_reported_with_its_own_reference(
        simulator: MionSimulator, till: PtyTill, tmp_path: Path) -> None:
    with running_kiosk(_line_settings(simulator, tmp_path, till), tmp_path) as app:
        till.wait_connected(app)
        assert till.ask(app, "PING") == "OK PONG"
        assert till.ask(app, "STATUS") == "OK STATUS state=IDLE"

        assert till.ask(app, "SALE 1250 R-1001") == "OK SALE ref=R-1001 amount=1250"
        invoice = fields(till.wait_event(app, "EVENT INVOICE "))
        assert invoice["ref"] == "R-1001"
        sale = app.register.sale
        assert sale is not None and sale.session_id is not None and sale.attempt is not None
        assert int(invoice["sat"]) == -(-sale.attempt.amount_msat // 1000) > 0

        busy = till.ask(app, "SALE 500 R-1002")
        assert busy.startswith("ERR BUSY ") and "R-1001" in busy
        waiting = fields(till.ask(app, "STATUS"))
        assert waiting == {"ref": "R-1001", "state": "WAITING", "amount": "1250", "sat": invoice["sat"],
                           "session": sale.session_id}

        simulator.mark_paid(sale.session_id)
        paid = fields(till.wait_event(app, "EVENT PAID "))
        record = app.journal.get("R-1001")
        assert record is not None and record.phase is Phase.PAID and record.paid_at is not None
        mion_session = next(s for s in simulator.sessions() if s["id"] == sale.session_id)
        assert paid == {"ref": "R-1001", "session": sale.session_id, "paid_at": mion_session["paidAt"],
                        "sat": str(record.amount_sat)}
        assert paid["paid_at"] == format_time(record.paid_at)

        # STATUS after the sale answers from the journal, with the same truth as the event.
        assert fields(till.ask(app, "STATUS R-1001")) == {
            "ref": "R-1001", "state": "PAID", "amount": "1250", "sat": str(record.amount_sat),
            "session": sale.session_id, "paid_at": paid["paid_at"]}
        assert till.ask(app, "CANCEL R-1001").startswith("ERR FINISHED ")
        _settle(app, till, 0.3)

    assert [e.split()[1] for e in till.events] == ["INVOICE", "PAID"]
    assert simulator.session_count_for("R-1001") == 1


def test_the_till_cancels_its_open_sale_and_a_reference_is_never_reused(
        simulator: MionSimulator, till: PtyTill, tmp_path: Path) -> None:
    with running_kiosk(_line_settings(simulator, tmp_path, till), tmp_path) as app:
        till.wait_connected(app)
        assert till.ask(app, "SALE 800 R-2001") == "OK SALE ref=R-2001 amount=800"
        assert till.ask(app, "CANCEL") == "OK CANCEL ref=R-2001"
        assert till.wait_event(app, "EVENT CANCELLED ") == "EVENT CANCELLED ref=R-2001"
        assert till.ask(app, "CANCEL").startswith("ERR NO_SALE ")
        assert till.ask(app, "SALE 800 R-2001").startswith("ERR DUPLICATE_REFERENCE ")
        cancelled = app.journal.get("R-2001")
        assert cancelled is not None and cancelled.phase is Phase.CANCELLED
        status = fields(till.ask(app, "STATUS R-2001"))
        # A session may or may not have been made before the cancel; STATUS says what the journal says.
        assert status.pop("session", None) == cancelled.session_id
        sat = status.pop("sat", None)  # likewise the invoice's sats, when one was offered in time
        assert sat == (None if cancelled.amount_sat is None else str(cancelled.amount_sat))
        assert status == {"ref": "R-2001", "state": "CANCELLED", "amount": "800"}
        assert till.ask(app, "STATUS R-9999").startswith("ERR UNKNOWN_REFERENCE ")

        # Without a reference the kiosk makes one up and tells the till in the OK.
        made_up = fields(till.ask(app, "SALE 300"))
        reference = made_up["ref"]
        assert reference.startswith("K1-") and made_up["amount"] == "300"
        assert app.register.open_reference == reference
        assert till.ask(app, f"CANCEL {reference}") == f"OK CANCEL ref={reference}"
        till.wait_event(app, f"EVENT CANCELLED ref={reference}")
        record = app.journal.get(reference)
        assert record is not None and record.phase is Phase.CANCELLED and record.source is SaleSource.POS


def test_a_new_sale_from_the_till_is_taken_while_the_paid_screen_still_shows(
        simulator: MionSimulator, till: PtyTill, tmp_path: Path) -> None:
    # The paid screen is a courtesy to the customer; the till's next customer must not be refused.
    with running_kiosk(_line_settings(simulator, tmp_path, till), tmp_path) as app:
        till.wait_connected(app)
        assert till.ask(app, "SALE 1000 R-3001").startswith("OK SALE ")
        till.wait_event(app, "EVENT INVOICE ref=R-3001")
        simulator.mark_paid(_session_id(app))
        till.wait_event(app, "EVENT PAID ref=R-3001")
        assert app.register.phase is Phase.PAID
        assert till.ask(app, "STATUS") == "OK STATUS state=IDLE"
        assert till.ask(app, "SALE 400 R-3002") == "OK SALE ref=R-3002 amount=400"
        till.wait_event(app, "EVENT INVOICE ref=R-3002")


# --- the cable is pulled in the middle of a sale --------------------------------------------------

def test_a_sale_survives_an_unplugged_cable_and_its_events_arrive_once_after_replugging(
        simulator: MionSimulator, till: PtyTill, tmp_path: Path) -> None:
    with running_kiosk(_line_settings(simulator, tmp_path, till), tmp_path) as app:
        till.wait_connected(app)
        assert till.ask(app, "SALE 2490 R-4001") == "OK SALE ref=R-4001 amount=2490"
        till.wait_event(app, "EVENT INVOICE ref=R-4001")
        session_id = _session_id(app)

        till.unplug()
        till.wait(app, lambda: app.till.connected is False)
        assert app.register.open_reference == "R-4001"  # the sale does not care about the cable

        simulator.mark_paid(session_id)
        till.wait(app, lambda: _phase(app, "R-4001") is Phase.PAID)
        _settle(app, till, 0.3)
        pending = [m.line for m in app.journal.pending_till_messages()]
        assert len(pending) == 1 and pending[0].startswith("EVENT PAID ref=R-4001 ")

        till.plug()
        till.wait_connected(app, timeout_s=15)
        till.wait_event(app, "EVENT PAID ref=R-4001")
        _settle(app, till, 0.5)
        record = app.journal.get("R-4001")
        status = fields(till.ask(app, "STATUS R-4001"))

    assert record is not None and record.till_notified_at is not None
    assert [e.split()[1] for e in till.events] == ["INVOICE", "PAID"]
    before, after = till.raw
    assert b"EVENT INVOICE" in before and b"EVENT PAID" not in before
    assert after.count(b"EVENT ") == 1 and b"EVENT PAID ref=R-4001 " in after
    assert record.paid_at is not None
    assert status == {"ref": "R-4001", "state": "PAID", "amount": "2490", "sat": str(record.amount_sat),
                      "session": session_id, "paid_at": format_time(record.paid_at)}
    assert simulator.session_count_for("R-4001") == 1


# --- pole-display mode ----------------------------------------------------------------------------

def _cd5220_lines(upper: str | None, lower: str | None, *, clear: bool = False) -> bytes:
    """CD5220 bytes writing whole lines, as tills repaint them (20 columns, ESC Q A / ESC Q B)."""
    data = ESC + b"@" + FORM_FEED if clear else b""
    if upper is not None:
        data += ESC + b"QA" + upper.ljust(20).encode("ascii") + b"\r"
    if lower is not None:
        data += ESC + b"QB" + lower.rjust(20).encode("ascii") + b"\r"
    return data


def _idle_view(app: KioskApp) -> IdleView:
    view = app.register.view(app.now())
    assert isinstance(view, IdleView), view
    return view


def _shows(app: KioskApp, upper: str, lower: str) -> bool:
    view = app.register.view(app.now())
    return (isinstance(view, IdleView) and view.pole_lines is not None
            and tuple(line.strip() for line in view.pole_lines) == (upper, lower))


def _pole_settings(simulator: MionSimulator, tmp_path: Path, till: PtyTill, on_total: str) -> Settings:
    return _line_settings(simulator, tmp_path, till, mode="pole", pole_command_set="cd5220", on_total=on_total)


def test_pole_mode_starts_the_sale_only_from_the_settled_total(
        simulator: MionSimulator, till: PtyTill, tmp_path: Path) -> None:
    with running_kiosk(_pole_settings(simulator, tmp_path, till, "start"), tmp_path) as app:
        till.wait_connected(app)
        till.write(_cd5220_lines("Coffee", "2.50", clear=True))
        till.wait(app, lambda: _shows(app, "Coffee", "2.50"))
        _settle(app, till, 0.4)
        assert app.register.open_reference is None  # an item line is not a total

        # The till repaints line by line: for a moment TOTAL stands above the last item's price.
        till.write(_cd5220_lines("TOTAL", None))
        till.wait(app, lambda: _shows(app, "TOTAL", "2.50"))
        till.write(_cd5220_lines(None, "12.50"))
        till.wait(app, lambda: app.register.open_reference is not None)
        reference = app.register.open_reference
        assert reference is not None
        _settle(app, till, 0.4)
        record = app.journal.get(reference)
        assert record is not None
        sales_today = app.journal.sales_on(record.created_at.date(), UTC)

    assert record.amount_cents == 1250 and record.source is SaleSource.POLE
    assert [s.amount_cents for s in sales_today] == [1250]  # never a sale for the half-painted 2.50
    assert [s["amount"] for s in simulator.sessions()] == [1250]


def test_pole_mode_waits_for_the_lightning_key(simulator: MionSimulator, till: PtyTill, tmp_path: Path) -> None:
    with running_kiosk(_pole_settings(simulator, tmp_path, till, "wait_key"), tmp_path) as app:
        till.wait_connected(app)
        till.write(_cd5220_lines("TOTAL", "12.50", clear=True))
        till.wait(app, lambda: _idle_view(app).pending_total_cents == 1250)
        assert _shows(app, "TOTAL", "12.50")
        _settle(app, till, 0.4)
        assert app.register.open_reference is None and simulator.sessions() == []

        app.feed(ev.KeyPressed(key=ev.Key.LIGHTNING))
        drive(app, lambda a: a.register.phase is Phase.AWAITING_PAYMENT)
        reference = app.register.open_reference
        assert reference is not None
        record = app.journal.get(reference)

    assert record is not None and record.amount_cents == 1250 and record.source is SaleSource.POLE


def test_a_half_sent_line_does_not_stick_to_the_first_line_after_replugging(
        simulator: MionSimulator, till: PtyTill, tmp_path: Path) -> None:
    with running_kiosk(_line_settings(simulator, tmp_path, till), tmp_path) as app:
        till.wait_connected(app)
        till.write(b"SAL")
        _settle(app, till, 0.2)
        till.unplug()
        till.wait(app, lambda: app.till.connected is False)
        till.plug()
        till.wait_connected(app, timeout_s=15)
        assert till.ask(app, "PING") == "OK PONG"
        assert app.register.open_reference is None and simulator.sessions() == []


def test_garbage_from_the_till_gets_specific_errors_and_changes_nothing(
        simulator: MionSimulator, till: PtyTill, tmp_path: Path) -> None:
    with running_kiosk(_line_settings(simulator, tmp_path, till), tmp_path) as app:
        till.wait_connected(app)
        till.write(b"SALE \xff\xfe 100\r\n")
        till.write(b"X" * 300 + b"\r\n")
        till.write(b"\r\n   \r\n")  # blank lines get no reply
        till.write(b"SALE 12.50 R-5001\nSALE 0 R-5001\nSALE 100 R 5001 extra\r\nREFUND 100\n")
        replies = till.next_replies(app, 6)
        _settle(app, till, 0.3)
        assert len(till.replies) == 6  # exactly one reply per non-blank line
        codes = [r.split()[1] for r in replies]
        assert codes == ["NOT_TEXT", "LINE_TOO_LONG", "BAD_AMOUNT", "AMOUNT_RANGE", "SYNTAX", "UNKNOWN_COMMAND"]
        assert all(r.startswith("ERR ") for r in replies)
        # Nothing was started or recorded, and the link still works.
        assert app.journal.get("R-5001") is None and simulator.sessions() == []
        assert till.ask(app, "SALE 100 R-5001") == "OK SALE ref=R-5001 amount=100"


def test_a_payment_after_the_till_cancelled_is_still_reported_as_paid(
        simulator: MionSimulator, till: PtyTill, tmp_path: Path) -> None:
    with running_kiosk(_line_settings(simulator, tmp_path, till), tmp_path) as app:
        till.wait_connected(app)
        till.ask(app, "SALE 1500 R-6001")
        till.wait_event(app, "EVENT INVOICE ref=R-6001")
        session_id = _session_id(app)
        assert till.ask(app, "CANCEL") == "OK CANCEL ref=R-6001"
        till.wait_event(app, "EVENT CANCELLED ref=R-6001")
        simulator.mark_paid(session_id)  # the customer's wallet was slow
        paid = fields(till.wait_event(app, "EVENT PAID ref=R-6001"))
        status = fields(till.ask(app, "STATUS R-6001"))

    assert paid["session"] == session_id and status["state"] == "PAID" and status["paid_at"] == paid["paid_at"]
    assert [e.split()[1] for e in till.events] == ["INVOICE", "CANCELLED", "PAID"]


def test_an_event_pending_when_the_kiosk_stopped_reaches_the_till_once_after_the_restart(
        simulator: MionSimulator, till: PtyTill, tmp_path: Path) -> None:
    settings = _line_settings(simulator, tmp_path, till)
    with running_kiosk(settings, tmp_path) as app:
        till.wait_connected(app)
        till.ask(app, "SALE 990 R-7001")
        till.wait_event(app, "EVENT INVOICE ref=R-7001")
        till.unplug()
        till.wait(app, lambda: app.till.connected is False)
        simulator.mark_paid(_session_id(app))
        till.wait(app, lambda: _phase(app, "R-7001") is Phase.PAID)

    till.plug()
    with running_kiosk(settings, tmp_path) as app:
        till.wait_event(app, "EVENT PAID ref=R-7001", timeout_s=15)
        _settle(app, till, 0.5)
        assert app.journal.pending_till_messages() == []
        # A second restart has nothing left to send.
    with running_kiosk(settings, tmp_path) as app:
        till.wait_connected(app)
        _settle(app, till, 0.5)

    assert [e.split()[1] for e in till.events] == ["INVOICE", "PAID"]


def test_with_busy_policy_replace_a_new_sale_cancels_the_open_one(
        simulator: MionSimulator, till: PtyTill, tmp_path: Path) -> None:
    with running_kiosk(_line_settings(simulator, tmp_path, till, busy_policy="replace"), tmp_path) as app:
        till.wait_connected(app)
        till.ask(app, "SALE 1000 R-8001")
        till.wait_event(app, "EVENT INVOICE ref=R-8001")
        assert till.ask(app, "SALE 2000 R-8002") == "OK SALE ref=R-8002 amount=2000"
        till.wait_event(app, "EVENT CANCELLED ref=R-8001")
        till.wait_event(app, "EVENT INVOICE ref=R-8002")
        assert app.register.open_reference == "R-8002"
        assert _phase(app, "R-8001") is Phase.CANCELLED


def test_with_busy_policy_replace_a_refused_sale_leaves_the_open_sale_alone(
        simulator: MionSimulator, till: PtyTill, tmp_path: Path) -> None:
    # The protocol: "An ERR reply means the command changed nothing."
    with running_kiosk(_line_settings(simulator, tmp_path, till, busy_policy="replace"), tmp_path) as app:
        till.wait_connected(app)
        till.ask(app, "SALE 1000 R-8101")
        till.wait_event(app, "EVENT INVOICE ref=R-8101")
        refused = till.ask(app, "SALE 2000 R-8101")  # a reference that is already used
        _settle(app, till, 0.3)
        assert refused.startswith("ERR DUPLICATE_REFERENCE ")
        assert app.register.open_reference == "R-8101"
        assert [e.split()[1] for e in till.events] == ["INVOICE"]


# --- reply before events (docs/pos-protocol.md, "Timing") -----------------------------------------


def lines(till: PtyTill) -> list[str]:
    """Everything the kiosk wrote, in the order it wrote it."""
    return [line.decode("ascii") for line in b"".join(till.raw).split(b"\r\n") if line]


def test_sale_and_cancel_in_one_write_get_both_replies_before_the_cancelled_event(
        simulator: MionSimulator, till: PtyTill, tmp_path: Path) -> None:
    settings = settings_for(simulator, tmp_path, pos={"enabled": True, "port": str(till.link)})
    with running_kiosk(settings, tmp_path) as app:
        till.wait_connected(app)
        till.write(b"SALE 500 A-1\r\nCANCEL\r\nPING\r\n")
        till.wait(app, lambda: any(line.startswith("EVENT CANCELLED") for line in lines(till))
                  and "OK PONG" in lines(till))
    written = lines(till)
    assert written[:4] == ["OK SALE ref=A-1 amount=500", "OK CANCEL ref=A-1", "EVENT CANCELLED ref=A-1",
                           "OK PONG"], written


def test_cancel_of_a_shown_invoice_is_answered_before_the_event(
        simulator: MionSimulator, till: PtyTill, tmp_path: Path) -> None:
    settings = settings_for(simulator, tmp_path, pos={"enabled": True, "port": str(till.link)})
    with running_kiosk(settings, tmp_path) as app:
        till.wait_connected(app)
        till.send("SALE 700 B-1")
        till.wait(app, lambda: any(line.startswith("EVENT INVOICE ref=B-1") for line in lines(till))
                  and isinstance(app.register.view(app.now()), InvoiceView))
        till.send("CANCEL B-1")
        till.wait(app, lambda: any(line.startswith("EVENT CANCELLED ref=B-1") for line in lines(till)))
    written = lines(till)
    assert written.index("OK CANCEL ref=B-1") < written.index("EVENT CANCELLED ref=B-1")
    assert written.index("OK SALE ref=B-1 amount=700") < next(
        i for i, line in enumerate(written) if line.startswith("EVENT INVOICE ref=B-1"))
