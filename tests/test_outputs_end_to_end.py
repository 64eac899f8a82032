"""The outputs of a paid sale through the real kiosk: the status light, the receipt, and a crash between.

Given demo-like settings (the simulator, a file printer, the status LED on GPIO17 with gpiozero's mock
pins), when a sale is paid, then the LED goes from the invoice's blink to solid to off, and the
receipt lands in the file exactly once, in code page 858 (euro sign 0xD5). And when the kiosk is
killed after the journal recorded the payment but before the printer took the receipt, the next
start prints it, once.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from gpiozero.pins.mock import MockPin

from kiosk.commands.demo import demo_settings
from kiosk.config import Settings
from kiosk.core.model import Phase
from kiosk.core.view import InvoiceView
from kiosk.mion.simulator import MionSimulator
from kiosk.outputs.light import default_pin_factory
from kiosk.shell.app import KioskApp
from kiosk.store.journal import Journal
from kiosk.store.records import PrintJob, SaleRecord
from tests.helpers import charge, drive, running_kiosk, settings_for

ROOT = Path(__file__).resolve().parent.parent
EURO_CP858 = b"\xd5"
PAID_ON_S = 0.6




def _demo_like(simulator: MionSimulator, state_dir: Path) -> Settings:
    settings = demo_settings(Settings(), simulator, state_dir, window=(800, 480))
    return dataclasses.replace(
        settings,
        light=dataclasses.replace(settings.light, enabled=True, pin="GPIO17", paid_on_s=PAID_ON_S),
        sale=dataclasses.replace(settings.sale, poll_interval_s=0.1, max_backoff_s=0.4, paid_screen_s=1.5))


def _run_for(app: KioskApp, seconds: float) -> None:
    ends = time.monotonic() + seconds
    drive(app, lambda a: time.monotonic() >= ends, timeout_s=seconds + 2)


def _changes(pin: MockPin) -> list[bool]:
    """The levels the pin went through since its states were last cleared (the first is where it was)."""
    return [s.state for s in pin.states]


def test_a_paid_sale_blinks_then_lights_then_goes_dark_and_prints_one_receipt(
        simulator: MionSimulator, tmp_path: Path) -> None:
    settings = _demo_like(simulator, tmp_path)
    receipts = Path(settings.printer.device)
    assert settings.printer.kind == "file" and receipts.parent == tmp_path
    with running_kiosk(settings, tmp_path) as app:
        drive(app, lambda a: True)  # the first loop recovers (nothing) before anything is typed
        pin = default_pin_factory().pin("GPIO17")
        assert not pin.state  # dark while idle

        charge(app, "12.5")
        drive(app, lambda a: isinstance(a.register.view(a.now()), InvoiceView))
        pin.clear_states()
        _run_for(app, 1.6)  # a second on, a second off, each change within 0.5 s: at least one change in 1.6 s
        blink = _changes(pin)
        assert len(blink) >= 2 and True in blink and False in blink  # (its timing: tests/outputs/test_light.py)

        sale = app.register.sale
        assert sale is not None and sale.session_id is not None
        simulator.mark_paid(sale.session_id)
        drive(app, lambda a: a.register.phase is Phase.PAID)
        pin.clear_states()
        assert pin.state  # solid on as soon as the paid screen shows
        drive(app, lambda a: not pin.state, timeout_s=PAID_ON_S + 2)
        solid = pin.states
        # One change only (on -> off), after about paid_on_s: solid, not a blink.
        assert [s.state for s in solid] == [True, False]
        assert PAID_ON_S - 0.25 <= solid[1].timestamp <= PAID_ON_S + 0.5

        drive(app, lambda a: a.register.phase is Phase.IDLE, timeout_s=5)
        drive(app, lambda a: not a.journal.pending_prints(), timeout_s=5)
        _run_for(app, 0.5)
        assert not pin.state and _changes(pin)[-1] is False
        record = app.journal.get(sale.reference)

    receipt = receipts.read_bytes()
    assert record is not None and record.receipt_printed_at is not None
    assert receipt.count(sale.reference.encode()) >= 1
    assert EURO_CP858 in receipt and b"\xe2\x82\xac" not in receipt  # CP858, never UTF-8's euro
    assert receipt.count(b"\x1b@") == 1, "the receipt was printed more than once"
    assert receipt.count(b"\x1bt") == 1  # one code page selection: one slip


def _journal_record(state_dir: Path, reference: str) -> tuple[SaleRecord | None, list[PrintJob]]:
    with Journal(state_dir / "journal.sqlite3") as journal:
        return journal.get(reference), journal.pending_prints()


def test_a_receipt_pending_when_the_kiosk_is_killed_prints_exactly_once_after_the_restart(
        simulator: MionSimulator, tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    receipts = tmp_path / "printer-not-there-yet" / "receipts.bin"
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "GPIOZERO_PIN_FACTORY": "mock"}
    child = subprocess.Popen([sys.executable, "-m", "tests.kill_driver", str(state_dir), str(receipts)],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stderr is not None
        line = child.stdout.readline()  # blocks until the child reports PAID (or dies)
        assert line.startswith("PAID "), f"driver said {line!r}; stderr: {child.stderr.read() if child.poll() else ''}"
        reference = line.split()[1]
        record, pending = _journal_record(state_dir, reference)
        assert record is not None and record.phase is Phase.PAID and record.receipt_printed_at is None
        assert [job.reference for job in pending] == [reference]
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()
    assert child.returncode == -signal.SIGKILL
    assert not receipts.exists()

    receipts.parent.mkdir()  # the printer is back
    settings = settings_for(simulator, state_dir, printer={"kind": "file", "device": str(receipts)})
    with running_kiosk(settings, state_dir) as app:
        drive(app, lambda a: not a.journal.pending_prints(), timeout_s=10)
        _run_for(app, 0.7)
        record = app.journal.get(reference)
        assert app.register.phase is Phase.IDLE  # a paid sale is finished: nothing to recover

    receipt = receipts.read_bytes()
    assert record is not None and record.receipt_printed_at is not None
    assert reference.encode() in receipt and EURO_CP858 in receipt
    assert receipt.count(b"\x1b@") == 1, "the pending receipt was printed more than once"
    assert simulator.sessions() == []  # the restart asked Mion nothing: the journal knew the sale was paid
