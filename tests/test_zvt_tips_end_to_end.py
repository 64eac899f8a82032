"""ZVT with tips on (docs/zvt.md, "Tips"), through the real kiosk over TCP: the till (tests/zvt_ecr.py,
written from the spec) sends 12,50 EUR, the customer adds 10 %, and the till is told 13,75 with the
tip; the journal, the kiosk's receipt and the X report agree. The till's abort while the customer
still chooses ends the sale before Mion is asked for anything."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import pytest

from kiosk.core import events as ev
from kiosk.core.model import Phase
from kiosk.core.view import TipView
from kiosk.mion.simulator import MionSimulator
from kiosk.outputs.report import compute_report, format_report
from kiosk.shell.app import KioskApp
from kiosk.shell.loop import Hooks
from tests.fault_tools import JumpClock
from tests.helpers import API_KEY, drive, running_kiosk, settings_for
from tests.test_zvt_end_to_end import Link
from tests.zvt_ecr import ABORT, EcrWire, authorization, registration

PLEASE_WAIT = bytes.fromhex("04FF010E")


@pytest.fixture
def clock() -> JumpClock:
    return JumpClock()


@pytest.fixture
def simulator(clock: JumpClock) -> Iterator[MionSimulator]:
    with MionSimulator(api_key=API_KEY, network="regtest", clock=clock) as sim:
        yield sim


@contextlib.contextmanager
def tipping_kiosk(simulator: MionSimulator, tmp_path: Path, clock: JumpClock) -> Iterator[tuple[KioskApp, Link]]:
    settings = settings_for(simulator, tmp_path, pos={"enabled": True, "mode": "zvt"},
                            zvt={"listen": "127.0.0.1:0"}, tips={"enabled": True})
    with running_kiosk(settings, tmp_path, Hooks(clock=clock)) as app:
        assert app.till is not None
        sock = socket.create_connection(("127.0.0.1", app.till._link.port), timeout=5)  # type: ignore[union-attr]
        sock.setblocking(False)
        link = Link(EcrWire(serial=False), lambda: sock.recv(4096), sock.sendall)
        try:
            link.run(app, lambda: app.till is not None and app.till.connected)
            link.send(registration(config=0x3E))  # intermediate status wanted; the till builds its slip
            link.run(app, lambda: link.ecr.finished() is not None)
            yield app, link
        finally:
            sock.close()


def authorize_until_the_tip_screen(app: KioskApp, link: Link, cents: int) -> TipView:
    link.ecr.received.clear()
    link.send(authorization(cents))
    link.run(app, lambda: isinstance(app.register.view(app.now()), TipView) and PLEASE_WAIT in link.ecr.received)
    assert link.ecr.received[0] == bytes.fromhex("800000")  # taken at once; the till waits meanwhile
    view = app.register.view(app.now())
    assert isinstance(view, TipView) and view.amount_cents == cents
    return view


def pay(app: KioskApp, link: Link, simulator: MionSimulator, key: str) -> str:
    """The customer presses ``key`` on the tip screen and pays; the sale's reference."""
    app.feed(ev.KeyPressed(key=ev.Key(key)))
    link.run(app, lambda: app.register.sale is not None and app.register.sale.attempt is not None)
    sale = app.register.sale
    assert sale is not None and sale.session_id is not None
    simulator.mark_paid(sale.session_id)
    link.run(app, lambda: link.ecr.finished() is not None)
    return sale.reference


def test_a_ten_percent_tip_on_12_50_tells_the_till_13_75_and_the_tip(
        simulator: MionSimulator, clock: JumpClock, tmp_path: Path) -> None:
    with tipping_kiosk(simulator, tmp_path, clock) as (app, link):
        view = authorize_until_the_tip_screen(app, link, 1250)
        ten = next(o for o in view.options if o.pct == 10)
        assert (ten.tip_cents, ten.total_cents) == (125, 1375)
        reference = pay(app, link, simulator, ten.key)
        (status,) = link.ecr.statuses()
        tipped_finish = link.ecr.finished()

        view = authorize_until_the_tip_screen(app, link, 990)  # the next customer: no tip
        untipped = pay(app, link, simulator, "0")
        (plain,) = link.ecr.statuses()

        drive(app, lambda a: not a.journal.pending_prints(), timeout_s=10)
        record, other = app.journal.get(reference), app.journal.get(untipped)
        assert record is not None and other is not None
        day_sales = app.journal.sales_on(record.created_at.date(), UTC)

    assert status[0x27] == b"\x00" and status[0x04] == bytes.fromhex("000000001375")  # what the customer paid
    text = status[0x3C].decode("cp437")
    assert text.startswith("Tip EUR 1,25 incl. in EUR 13,75 (sale EUR 12,50); Mion session ")
    assert text.endswith(f"ref {reference}") and tipped_finish == bytes.fromhex("060F00")
    assert [s["amount"] for s in simulator.sessions() if s["reference"] == reference] == [1375]  # one session

    assert plain[0x04] == bytes.fromhex("000000000990") and plain[0x3C].startswith(b"Mion session ")
    assert (other.amount_cents, other.tip_cents) == (990, 0)

    assert record.phase is Phase.PAID and (record.amount_cents, record.tip_cents) == (1375, 125)
    slip = (tmp_path / "receipts.bin").read_bytes().decode("cp858", "replace")
    assert "Subtotal" in slip and "12.50" in slip and "1.25" in slip and "13.75" in slip
    report = compute_report(day_sales, record.created_at.date(), tz=UTC)
    assert (report.paid_cents, report.tips_cents) == (1375 + 990, 125)
    assert "of which tips" in "\n".join(format_report(report, "en"))


def test_the_tills_abort_while_the_customer_chooses_a_tip_ends_the_sale_without_a_mion_session(
        simulator: MionSimulator, clock: JumpClock, tmp_path: Path) -> None:
    with tipping_kiosk(simulator, tmp_path, clock) as (app, link):
        authorize_until_the_tip_screen(app, link, 1250)
        link.send(ABORT)
        link.run(app, lambda: link.ecr.finished() is not None)
        assert link.ecr.received[:2] == [bytes.fromhex("800000"), PLEASE_WAIT]
        (failed,) = link.ecr.statuses()
        assert failed == {0x27: b"\x6c", 0x04: bytes.fromhex("000000001250")}  # the till's amount: nothing charged
        assert link.ecr.finished() == bytes.fromhex("061E016C")
        assert not isinstance(app.register.view(app.now()), TipView)
        (record,) = app.journal.sales_on(clock().date(), UTC)

        view = authorize_until_the_tip_screen(app, link, 1250)  # the till tries again: a fresh sale
        assert view.amount_cents == 1250
    assert link.ecr.finished() is None  # the second one still waits for the customer
    assert record.phase is Phase.CANCELLED and record.paid_at is None
    assert simulator.sessions() == []  # Mion was never asked
    assert link.ecr.received[0] == bytes.fromhex("800000")


def test_no_key_at_the_tip_screen_ends_the_tills_sale_at_the_tip_timeout(
        simulator: MionSimulator, clock: JumpClock, tmp_path: Path) -> None:
    with tipping_kiosk(simulator, tmp_path, clock) as (app, link):
        authorize_until_the_tip_screen(app, link, 1250)
        clock.jump(app.settings.tips.choose_timeout_s - 1)
        link.run(app, lambda: True)  # a turn of the loop at the new time
        assert link.ecr.finished() is None and isinstance(app.register.view(app.now()), TipView)
        clock.jump(1)
        link.run(app, lambda: link.ecr.finished() is not None)
        (record,) = app.journal.sales_on(clock().date(), UTC)
    assert link.ecr.finished() == bytes.fromhex("061E016C") and link.ecr.statuses()[-1][0x27] == b"\x6c"
    assert record.phase is Phase.CANCELLED and simulator.sessions() == []
