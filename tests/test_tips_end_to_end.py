"""A sale with a 10 % tip, through the real kiosk: the till's SALE, the customer's key, Mion's simulator,
the journal, the receipt, the till's EVENT PAID and the X report."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import pytest

from kiosk.core import events as ev
from kiosk.core.model import Phase
from kiosk.core.view import InvoiceView, TipView
from kiosk.mion.simulator import MionSimulator
from kiosk.outputs.report import compute_report, format_report
from tests.helpers import drive, running_kiosk, settings_for
from tests.pty_till_driver import PtyTill, fields


@pytest.fixture
def till(tmp_path: Path) -> Iterator[PtyTill]:
    till = PtyTill(tmp_path / "usb-till-port0")
    till.plug()
    yield till
    till.close()


def test_a_sale_with_a_ten_percent_tip_is_charged_journaled_printed_reported_and_told_to_the_till(
        simulator: MionSimulator, till: PtyTill, tmp_path: Path) -> None:
    settings = settings_for(simulator, tmp_path, pos={"enabled": True, "port": str(till.link)},
                            tips={"enabled": True}, printer={"kind": "file", "device": str(tmp_path / "slips.bin"),
                                                             "paper_mm": 58})
    with running_kiosk(settings, tmp_path) as app:
        till.wait_connected(app)
        assert till.ask(app, "SALE 1250 R-7001") == "OK SALE ref=R-7001 amount=1250"
        view = app.register.view(app.hooks.clock())
        assert isinstance(view, TipView)
        ten = next(o for o in view.options if o.pct == 10)
        assert (ten.tip_cents, ten.total_cents) == (125, 1375)
        assert fields(till.ask(app, "STATUS")) == {"ref": "R-7001", "state": "PREPARING", "amount": "1250"}

        app.feed(ev.KeyPressed(key=ev.Key(ten.key)))
        invoice = fields(till.wait_event(app, "EVENT INVOICE "))
        sale = app.register.sale
        assert sale is not None and sale.session_id is not None and sale.attempt is not None
        shown = app.register.view(app.hooks.clock())
        assert isinstance(shown, InvoiceView) and (shown.amount_cents, shown.tip_cents) == (1375, 125)
        mion = next(s for s in simulator.sessions() if s["id"] == sale.session_id)
        assert mion["amount"] == 1375  # one Mion session, for the total the customer saw
        assert invoice["ref"] == "R-7001" and invoice["tip"] == "125" and list(invoice)[-1] == "tip"

        simulator.mark_paid(sale.session_id)
        paid = fields(till.wait_event(app, "EVENT PAID "))
        assert paid["tip"] == "125" and list(paid)[-1] == "tip"  # added at the end of the line
        drive(app, lambda a: not a.journal.pending_prints(), timeout_s=10)
        record = app.journal.get("R-7001")
        assert record is not None and record.phase is Phase.PAID
        assert (record.amount_cents, record.tip_cents) == (1375, 125)
        day_sales = app.journal.sales_on(record.created_at.date(), UTC)

    slip = (tmp_path / "slips.bin").read_bytes().decode("cp858", "replace")
    assert "Subtotal" in slip and "12.50" in slip and "Tip" in slip and "1.25" in slip and "13.75" in slip
    assert "Rate" in slip and "1 " in slip
    report = compute_report(day_sales, record.created_at.date(), tz=UTC)
    assert (report.paid_cents, report.tips_cents) == (1375, 125)
    text = "\n".join(format_report(report, "en"))
    assert "of which tips" in text and "1.25" in text
    assert simulator.session_count_for("R-7001") == 1


def test_pole_mode_with_tips_charges_the_settled_total_plus_the_tip_once(
        simulator: MionSimulator, till: PtyTill, tmp_path: Path) -> None:
    settings = settings_for(simulator, tmp_path, tips={"enabled": True},
                            pos={"enabled": True, "port": str(till.link), "mode": "pole", "pole_command_set": "cd5220",
                                 "on_total": "start"})
    total = b"\x1b@\x0c\x1bQA" + b"TOTAL".ljust(20) + b"\r\x1bQB" + b"12.50".rjust(20) + b"\r"
    with running_kiosk(settings, tmp_path) as app:
        till.wait_connected(app)
        till.write(total)
        till.wait(app, lambda: isinstance(app.register.view(app.now()), TipView))
        till.write(total)  # the till repaints the same total: still one sale, still waiting for the tip
        settled = time.monotonic() + 0.3  # the kiosk's loop runs meanwhile and takes the repaint
        till.wait(app, lambda: time.monotonic() >= settled, timeout_s=5)
        assert isinstance(app.register.view(app.now()), TipView)
        app.feed(ev.KeyPressed(key=ev.Key.D1))  # 5 %: 62.5 cents, rounded half up
        drive(app, lambda a: a.register.phase is Phase.AWAITING_PAYMENT)
        reference = app.register.open_reference
        assert reference is not None
        record = app.journal.get(reference)

    assert record is not None and (record.amount_cents, record.tip_cents) == (1313, 63)
    assert [s["amount"] for s in simulator.sessions()] == [1313]
