"""Faults at every step of a sale, injected through the simulator, through the real kiosk.

Given the kiosk wired to the simulator on loopback; when one request of a sale (creating the
session, creating the attempt, polling the status) meets an error (500, 503, 429 with Retry-After,
no answer within the read timeout, a connection cut before or after Mion handled it, a broken body,
or answers slower than the timeout); then the sale still gets exactly one Mion session, nothing
ever says paid before the simulator has ``paidAt``, and once it has, the sale ends PAID with
Mion's ``paidAt`` and one receipt. Payments that land after the sale was cancelled or after the
session expired are still found, flagged late and printed once.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.core import events as ev
from kiosk.core.model import Phase, SaleSource
from kiosk.core.view import Frame, InvoiceView, PaidView
from kiosk.mion.simulator import MionSimulator
from kiosk.shell.app import Hooks, KioskApp
from kiosk.store.records import SaleRecord
from tests.fault_tools import STEP_EFFECTS, FaultInjector, JumpClock, paid_violations, sim_paid_at
from tests.helpers import API_KEY, drive, running_kiosk, settings_for

FAULTS = ("500", "503", "429", "timeout", "drop", "drop_after", "malformed", "latency")
AMOUNT_CENTS = 1250


@pytest.fixture
def simulator(clock: JumpClock) -> Iterator[MionSimulator]:
    # A "timeout" holds its request 2 s (well beyond the 0.5 s read timeout), then lets it go.
    with MionSimulator(api_key=API_KEY, network="regtest", hang_s=2.0, clock=clock) as sim:
        yield sim


class Watcher:
    """Checks on every loop turn that nothing says paid unless the simulator has ``paidAt``."""

    def __init__(self, simulator: MionSimulator) -> None:
        self.simulator = simulator
        self.frames: list[Frame] = []
        self.failures_seen: set[str] = set()
        self.injector: FaultInjector | None = None

    def on_frame(self, frame: Frame, window: object) -> None:
        self.frames.append(frame)

    def step(self, app: KioskApp) -> None:
        if self.injector is not None:
            self.injector.tick()
        sale = app.register.sale
        if sale is None:
            return
        self.failures_seen.update(r.value for r, n in sale.failures.items() if n > 0)
        if sim_paid_at(self.simulator).get(sale.reference) is not None:
            return
        record = app.journal.get(sale.reference)
        assert app.register.phase is not Phase.PAID, "the register says paid, Mion does not"
        assert record is None or record.phase is not Phase.PAID, "the journal says paid, Mion does not"
        assert not any(isinstance(f.view, PaidView) for f in self.frames), "the screen said paid, Mion did not"


def invoice_on_screen(app: KioskApp) -> bool:
    return isinstance(app.register.view(app.now()), InvoiceView)


def receipts_for(state_dir: Path, reference: str) -> int:
    path = state_dir / "receipts.bin"
    return path.read_bytes().count(reference.encode()) if path.exists() else 0


def finish_paid(app: KioskApp, watcher: Watcher, simulator: MionSimulator, state_dir: Path) -> SaleRecord:
    """Pay the sale at the simulator, drive the kiosk to PAID and its receipt; return the record."""
    sale = app.register.sale
    assert sale is not None and sale.session_id is not None
    simulator.mark_paid(sale.session_id)
    drive(app, lambda a: a.register.phase is Phase.PAID, step=watcher.step, timeout_s=8)
    drive(app, lambda a: receipts_for(state_dir, sale.reference) > 0, timeout_s=5)
    record = app.journal.get(sale.reference)
    assert record is not None
    return record


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("step", sorted(STEP_EFFECTS))
def test_a_fault_at_any_step_costs_no_second_session_and_no_false_paid(
        step: str, fault: str, simulator: MionSimulator, clock: JumpClock, tmp_path: Path) -> None:
    watcher = Watcher(simulator)
    settings = settings_for(simulator, tmp_path)
    with running_kiosk(settings, tmp_path, Hooks(on_frame=watcher.on_frame, clock=clock)) as app:
        assert app.worker is not None
        watcher.injector = injector = FaultInjector(app.worker, simulator, step=step, fault=fault)
        assert app.loop.parts is not None
        app.loop.parts.worker = injector  # type: ignore[assignment]
        reference = app.open_sale(AMOUNT_CENTS, SaleSource.KEYPAD)

        # The fault is met and recovered from: the invoice is on screen and the sale still unpaid.
        drive(app, lambda a: injector.done and bool(watcher.failures_seen) and invoice_on_screen(a)
              and not a.register.sale.failures, step=watcher.step, timeout_s=12)  # type: ignore[union-attr]
        assert app.register.phase is Phase.AWAITING_PAYMENT
        assert simulator.session_count_for(reference) == 1

        record = finish_paid(app, watcher, simulator, tmp_path)

    assert record.phase is Phase.PAID and record.amount_cents == AMOUNT_CENTS and not record.late
    assert paid_violations(simulator, tmp_path / "journal.sqlite3") == []
    assert receipts_for(tmp_path, reference) == 1
    assert simulator.session_count_for(reference) == 1


@pytest.mark.parametrize("fault", ["drop_after", "timeout", "503"])
def test_faults_at_every_request_in_a_row_still_end_in_one_session(
        fault: str, simulator: MionSimulator, clock: JumpClock, tmp_path: Path) -> None:
    """Two failures in a row on the create-and-look-up path: the kiosk keeps resolving by reference."""
    watcher = Watcher(simulator)
    settings = settings_for(simulator, tmp_path)
    simulator.fail_next(2, fault)
    with running_kiosk(settings, tmp_path, Hooks(on_frame=watcher.on_frame, clock=clock)) as app:
        reference = app.open_sale(AMOUNT_CENTS, SaleSource.KEYPAD)
        drive(app, invoice_on_screen, step=watcher.step, timeout_s=15)
        record = finish_paid(app, watcher, simulator, tmp_path)
    assert record.phase is Phase.PAID
    assert simulator.session_count_for(reference) == 1
    assert {"create_session", "find_session"} <= watcher.failures_seen



def await_paid_and_printed(app: KioskApp, reference: str, watcher: Watcher, state_dir: Path) -> None:
    """Run the kiosk until the journal has the sale paid and its receipt has come out."""
    drive(app, lambda a: a.journal.get(reference).phase is Phase.PAID,  # type: ignore[union-attr]
          step=watcher.step, timeout_s=6)
    drive(app, lambda a: receipts_for(state_dir, reference) > 0, timeout_s=5)


def assert_paid_late_once(record: SaleRecord | None, simulator: MionSimulator, state_dir: Path) -> None:
    """The late payment is in the journal as Mion has it, with exactly one receipt."""
    assert record is not None and record.late and record.paid_at is not None
    assert paid_violations(simulator, state_dir / "journal.sqlite3") == []
    assert receipts_for(state_dir, record.reference) == 1

def test_a_payment_after_cancel_is_recorded_late_and_printed_once(
        simulator: MionSimulator, clock: JumpClock, tmp_path: Path) -> None:
    watcher = Watcher(simulator)
    settings = settings_for(simulator, tmp_path)
    with running_kiosk(settings, tmp_path, Hooks(on_frame=watcher.on_frame, clock=clock)) as app:
        reference = app.open_sale(AMOUNT_CENTS, SaleSource.KEYPAD)
        drive(app, invoice_on_screen, step=watcher.step)
        sale = app.register.sale
        assert sale is not None and sale.session_id is not None
        app.feed(ev.KeyPressed(key=ev.Key.CANCEL))
        assert app.journal.get(reference).phase is Phase.CANCELLED  # type: ignore[union-attr]

        simulator.mark_paid(sale.session_id)  # the customer's wallet was quicker than the cashier
        await_paid_and_printed(app, reference, watcher, tmp_path)
        assert isinstance(watcher.frames[-1].view, PaidView) and watcher.frames[-1].view.late
        record = app.journal.get(reference)

    assert_paid_late_once(record, simulator, tmp_path)


def test_a_payment_after_the_session_expired_is_recorded_late_and_printed_once(
        simulator: MionSimulator, clock: JumpClock, tmp_path: Path) -> None:
    watcher = Watcher(simulator)
    settings = settings_for(simulator, tmp_path)
    with running_kiosk(settings, tmp_path, Hooks(on_frame=watcher.on_frame, clock=clock)) as app:
        reference = app.open_sale(AMOUNT_CENTS, SaleSource.KEYPAD)
        drive(app, invoice_on_screen, step=watcher.step)
        sale = app.register.sale
        assert sale is not None and sale.session_id is not None

        clock.jump(settings.sale.session_lifetime_s + 1)  # the customer walked away; the session ran out
        drive(app, lambda a: a.journal.get(reference).phase is Phase.EXPIRED,  # type: ignore[union-attr]
              step=watcher.step, timeout_s=5)
        assert simulator.session_count_for(reference) == 1

        clock.jump(settings.sale.late_grace_s / 2)  # ... and came back to pay, within the grace
        simulator.mark_paid(sale.session_id)
        await_paid_and_printed(app, reference, watcher, tmp_path)
        record = app.journal.get(reference)

    assert_paid_late_once(record, simulator, tmp_path)


def test_a_create_mion_handles_late_still_gives_one_session(
        simulator: MionSimulator, clock: JumpClock, tmp_path: Path) -> None:
    """Mion holds the create 2 s (the client gives up at 0.5 s) but answers the lookup at once."""
    watcher = Watcher(simulator)
    settings = settings_for(simulator, tmp_path)
    with running_kiosk(settings, tmp_path, Hooks(on_frame=watcher.on_frame, clock=clock)) as app:
        assert app.worker is not None
        watcher.injector = injector = FaultInjector(app.worker, simulator, step="create_session", fault="latency",
                                                    latency_s=2.0, hold_s=0.3)
        assert app.loop.parts is not None
        app.loop.parts.worker = injector  # type: ignore[assignment]
        reference = app.open_sale(AMOUNT_CENTS, SaleSource.KEYPAD)
        drive(app, invoice_on_screen, step=watcher.step, timeout_s=6)
        time.sleep(2.0)  # the held create is handled now
    assert simulator.session_count_for(reference) == 1
