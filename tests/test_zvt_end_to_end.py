"""ZVT through the real kiosk: a till written from the spec (tests/zvt_ecr.py) over TCP and over a
pty, the Mion simulator behind, the kiosk's own loop in between."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tty
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from kiosk.core import events as ev
from kiosk.core.model import Phase, SaleSource
from kiosk.core.sale import Timing
from kiosk.mion.simulator import MionSimulator
from kiosk.shell.app import KioskApp
from kiosk.shell.loop import Hooks
from kiosk.store.bookings import is_not_booked
from kiosk.store.records import SaleRecord
from tests.clocks import T0, Wait
from tests.fault_tools import JumpClock
from tests.helpers import drive, running_kiosk, settings_for
from tests.zvt_ecr import ABORT, EcrWire, apdu, authorization, registration

ZERO = SaleRecord(reference="-", amount_cents=1, source=SaleSource.POS, phase=Phase.IDLE, created_at=T0,
                  updated_at=T0)
ROOT = Path(__file__).resolve().parent.parent
TRACE_FILE = os.environ.get("ZVT_TRACE_FILE")
"""Set it to write the byte trace of the paid authorization (docs/zvt.md's sample comes from it)."""


class Link:
    """The till's end: a TCP socket or a pty master, non-blocking, polled once per loop turn."""

    def __init__(self, ecr: EcrWire, read: object, write: object) -> None:
        self.ecr = ecr
        self._read, self._write = read, write

    def poll(self, _app: KioskApp | None = None) -> None:
        while True:
            try:
                data = self._read()  # type: ignore[operator]
            except (BlockingIOError, InterruptedError):
                return
            if not data:
                return
            answer = self.ecr.feed(data)
            if answer:
                self._write(answer)  # type: ignore[operator]

    def send(self, raw_apdu: bytes) -> None:
        self._write(self.ecr.command(raw_apdu))  # type: ignore[operator]

    def run(self, app: KioskApp, until: object, timeout_s: float = 10.0) -> None:
        drive(app, lambda a: bool(until()), step=self.poll, timeout_s=timeout_s)  # type: ignore[operator]


pytestmark = pytest.mark.jump_clock  # the simulator runs on the kiosk's jumping clock (conftest)


@contextlib.contextmanager
def tcp_kiosk(simulator: MionSimulator, tmp_path: Path, clock: JumpClock) -> Iterator[tuple[KioskApp, Link]]:
    settings = settings_for(simulator, tmp_path, pos={"enabled": True, "mode": "zvt"},
                            zvt={"listen": "127.0.0.1:0"})
    with running_kiosk(settings, tmp_path, Hooks(clock=clock)) as app:
        assert app.till is not None
        sock = socket.create_connection(("127.0.0.1", app.till._link.port), timeout=5)  # type: ignore[union-attr]
        sock.setblocking(False)
        link = Link(EcrWire(serial=False), lambda: sock.recv(4096), sock.sendall)
        try:
            link.run(app, lambda: app.till is not None and app.till.connected)
            yield app, link
        finally:
            sock.close()


@contextlib.contextmanager
def pty_kiosk(simulator: MionSimulator, tmp_path: Path, clock: JumpClock) -> Iterator[tuple[KioskApp, Link]]:
    master, slave = os.openpty()
    tty.setraw(slave)
    os.set_blocking(master, False)
    port = tmp_path / "usb-ZVT-if00-port0"
    port.symlink_to(os.ttyname(slave))
    settings = settings_for(simulator, tmp_path, pos={"enabled": True, "mode": "zvt", "port": str(port)})
    try:
        with running_kiosk(settings, tmp_path, Hooks(clock=clock)) as app:
            link = Link(EcrWire(serial=True), lambda: os.read(master, 4096), lambda b: os.write(master, b))
            link.run(app, lambda: app.till is not None and app.till.connected)
            yield app, link
    finally:
        os.close(master)
        os.close(slave)


def register_and_authorize(app: KioskApp, link: Link, cents: int) -> str:
    ecr = link.ecr
    link.send(registration(config=0x3E))
    link.run(app, lambda: ecr.finished() is not None)
    assert ecr.finished() == bytes.fromhex("060F0A1900295200000149 0978")
    ecr.received.clear()
    link.send(authorization(cents))
    link.run(app, lambda: app.register.sale is not None and app.register.sale.attempt is not None
             and bytes.fromhex("04FF010E") in ecr.received)
    assert ecr.received[0] == bytes.fromhex("800000")
    sale = app.register.sale
    assert sale is not None and sale.session_id is not None
    return sale.session_id


def wait_for_the_outcome(app: KioskApp, link: Link, clock: JumpClock, step_s: float = 20.0) -> None:
    """Let the session's lifetime pass in steps of the intermediate status interval (each acknowledged,
    so the till keeps waiting, T4), then wait for the authorization to end (Mion's last word on a
    held poll comes in real time)."""
    ecr = link.ecr

    def statuses() -> int:
        return ecr.received.count(bytes.fromhex("04FF010E"))

    for _ in range(int(app.settings.sale.session_lifetime_s // step_s) + 1):
        before = statuses()
        clock.jump(step_s)
        link.run(app, lambda before=before: ecr.finished() is not None or statuses() > before)  # type: ignore[misc]
        if ecr.finished() is not None:
            return
    link.run(app, lambda: ecr.finished() is not None, timeout_s=15)


@pytest.mark.parametrize("transport", ["tcp", "pty"])
def test_registration_and_a_paid_authorization_of_12_50_eur(
        transport: str, simulator: MionSimulator, clock: JumpClock, tmp_path: Path) -> None:
    kiosk = tcp_kiosk if transport == "tcp" else pty_kiosk
    with kiosk(simulator, tmp_path, clock) as (app, link):
        session_id = register_and_authorize(app, link, 1250)
        reference = app.register.open_reference
        simulator.mark_paid(session_id)
        link.run(app, lambda: link.ecr.finished() is not None)
        record = app.journal.get(reference or "")
    assert record is not None
    (status,) = link.ecr.statuses()
    assert status[0x27] == b"\x00" and status[0x04] == bytes.fromhex("000000001250")
    assert status[0x8B] == b"Lightning\x00" and session_id.encode() in status[0x3C]
    assert link.ecr.finished() == bytes.fromhex("060F00")
    assert record.phase is Phase.PAID and record.paid_at is not None
    if transport == "pty":
        assert set(link.ecr.link_acks) == {0x06}
    if TRACE_FILE:
        with open(f"{TRACE_FILE}.{transport}", "w", encoding="ascii") as out:
            out.writelines(f"{who:3} {data.hex(' ').upper()}\n" for who, data in link.ecr.trace)


def test_an_expired_authorization_fails_cleanly(simulator: MionSimulator, clock: JumpClock, tmp_path: Path) -> None:
    with tcp_kiosk(simulator, tmp_path, clock) as (app, link):
        register_and_authorize(app, link, 1250)
        reference = app.register.open_reference
        wait_for_the_outcome(app, link, clock)  # past the session's lifetime, the till kept waiting
        record = app.journal.get(reference or "")
    assert record is not None and record.phase is Phase.EXPIRED
    assert link.ecr.statuses()[-1][0x27] == b"\x6c"
    assert link.ecr.finished() == bytes.fromhex("061E016C")


def test_cancelled_from_the_keypad_and_aborted_by_the_till(
        simulator: MionSimulator, clock: JumpClock, tmp_path: Path) -> None:
    with tcp_kiosk(simulator, tmp_path, clock) as (app, link):
        register_and_authorize(app, link, 1250)
        app.feed(ev.KeyPressed(key=ev.Key.CANCEL))
        link.run(app, lambda: link.ecr.finished() is not None)
        assert link.ecr.finished() == bytes.fromhex("061E016C")

        link.ecr.received.clear()
        link.send(authorization(990))
        link.run(app, lambda: app.register.open_reference is not None and bool(link.ecr.received))
        reference = app.register.open_reference
        link.send(ABORT)
        link.run(app, lambda: link.ecr.finished() is not None)
        record = app.journal.get(reference or "")
    assert link.ecr.finished() == bytes.fromhex("061E016C")
    assert record is not None and record.phase is Phase.CANCELLED


def test_a_payment_after_the_till_got_a_failure_is_paid_not_booked(
        simulator: MionSimulator, clock: JumpClock, tmp_path: Path) -> None:
    with tcp_kiosk(simulator, tmp_path, clock) as (app, link):
        session_id = register_and_authorize(app, link, 1250)
        reference = app.register.open_reference or ""
        wait_for_the_outcome(app, link, clock)  # the till is told: expired
        assert link.ecr.finished() == bytes.fromhex("061E016C")
        simulator.mark_paid(session_id)  # ... and the customer paid within the grace
        clock.jump(Timing().watch_poll_s)  # the next look for a late payment is due
        link.run(app, lambda: is_not_booked((app.journal.get(reference) or ZERO).detail))
        record = app.journal.get(reference)
        jobs = [(job.reference, job.copy) for job in app.journal.pending_prints()]
    assert record is not None and record.phase is Phase.PAID and record.late and record.paid_at is not None
    assert (reference, "merchant") in jobs or record.receipt_printed_at is not None
    assert [s[0x27] for s in link.ecr.statuses()] == [b"\x6c"]  # the till never hears "paid"


def test_after_a_restart_the_journal_decides_and_repeat_receipt_reports_the_payment(
        simulator: MionSimulator, clock: JumpClock, tmp_path: Path) -> None:
    with tcp_kiosk(simulator, tmp_path, clock) as (app, link):
        session_id = register_and_authorize(app, link, 1250)
        reference = app.register.open_reference or ""
    simulator.mark_paid(session_id)  # paid while the kiosk was down
    with tcp_kiosk(simulator, tmp_path, clock) as (app, link):
        link.run(app, lambda: is_not_booked((app.journal.get(reference) or ZERO).detail))
        link.send(apdu(0x06, 0x20, bytes.fromhex("000000")))
        link.run(app, lambda: link.ecr.finished() is not None)
        record = app.journal.get(reference)
    assert record is not None and record.phase is Phase.PAID and record.paid_at is not None
    assert simulator.session_count_for(reference) == 1
    (status,) = link.ecr.statuses()
    assert status[0x27] == b"\x00" and status[0x04] == bytes.fromhex("000000001250")
    assert session_id.encode() in status[0x3C] and link.ecr.finished() == bytes.fromhex("060F00")


def no_status_authorization(app: KioskApp, link: Link) -> str:
    link.send(registration(config=0xB6))  # Portalum's default: no intermediate status wanted
    link.run(app, lambda: link.ecr.finished() is not None)
    link.ecr.received.clear()
    link.send(authorization(1250))
    link.run(app, lambda: app.register.open_reference is not None and bool(link.ecr.received))
    return app.register.open_reference or ""


def test_mion_down_during_the_authorization_is_a_processing_error(
        simulator: MionSimulator, clock: JumpClock, tmp_path: Path) -> None:
    with tcp_kiosk(simulator, tmp_path, clock) as (app, link):
        simulator.set_offline(True)
        reference = no_status_authorization(app, link)
        clock.jump(Timing().give_up_creating_s + 1)
        link.run(app, lambda: link.ecr.finished() is not None)
        record = app.journal.get(reference)
    assert link.ecr.finished() == bytes.fromhex("061E0166")
    assert record is not None and record.phase is Phase.ERROR


def test_a_till_without_intermediate_status_gets_its_outcome_inside_its_window(
        simulator: MionSimulator, clock: JumpClock, tmp_path: Path) -> None:
    with tcp_kiosk(simulator, tmp_path, clock) as (app, link):
        reference = no_status_authorization(app, link)
        link.run(app, lambda: app.register.sale is not None and app.register.sale.attempt is not None)
        clock.jump(app.settings.zvt.max_wait_s - 1)
        link.run(app, lambda: True)  # a turn of the loop at the new time
        assert link.ecr.finished() is None  # still inside the bound: the till waits
        clock.jump(1)
        link.run(app, lambda: link.ecr.finished() is not None)
        record = app.journal.get(reference)
    assert link.ecr.received[0] == bytes.fromhex("800000")
    assert bytes.fromhex("04FF010E") not in link.ecr.received
    assert link.ecr.finished() == bytes.fromhex("061E016C")
    assert record is not None and record.phase is Phase.CANCELLED


def test_kill_9_mid_authorization_then_paid_the_journal_decides_after_the_restart(
        simulator: MionSimulator, clock: JumpClock, tmp_path: Path, wait: Wait) -> None:
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "GPIOZERO_PIN_FACTORY": "mock"}
    child = subprocess.Popen([sys.executable, "-m", "tests.zvt_kill_driver", str(tmp_path), simulator.base_url],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert child.stdout is not None
        line = child.stdout.readline()  # blocks until the child listens (or dies)
        assert line.startswith("PORT "), f"driver said {line!r}"
        sock = socket.create_connection(("127.0.0.1", int(line.split()[1])), timeout=5)
        sock.setblocking(False)
        link = Link(EcrWire(serial=False), lambda: sock.recv(4096), sock.sendall)

        def until(condition: Callable[[], bool]) -> bool:
            return wait(lambda: (link.poll(), condition())[1], 10.0)

        link.send(registration(config=0x3E))
        assert until(lambda: link.ecr.finished() is not None)
        link.send(authorization(1250))
        # Killed once the invoice is on screen (a Mion session is paid only through an invoice).
        assert until(lambda: any(s["attempts"] for s in simulator.sessions()))
        (session,) = simulator.sessions()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        if child.stdout is not None:
            child.stdout.close()
    sock.close()
    assert child.returncode == -signal.SIGKILL
    simulator.mark_paid(session["id"])  # the customer paid while the kiosk was down

    with tcp_kiosk(simulator, tmp_path, clock) as (app, link):
        link.run(app, lambda: is_not_booked((app.journal.get(session["reference"]) or ZERO).detail))
        link.send(apdu(0x06, 0x20, bytes.fromhex("000000")))
        link.run(app, lambda: link.ecr.finished() is not None)
        record = app.journal.get(session["reference"])
    assert record is not None and record.phase is Phase.PAID and record.paid_at is not None
    assert simulator.session_count_for(session["reference"]) == 1  # never charged twice
    (status,) = link.ecr.statuses()
    assert status[0x27] == b"\x00" and status[0x04] == bytes.fromhex("000000001250")
    assert session["id"].encode() in status[0x3C]


def test_a_blocked_payment_is_declined(simulator: MionSimulator, clock: JumpClock, tmp_path: Path) -> None:
    with tcp_kiosk(simulator, tmp_path, clock) as (app, link):
        simulator.fail_next(1, "blocked")
        link.send(registration(config=0x3E))
        link.run(app, lambda: link.ecr.finished() is not None)
        link.ecr.received.clear()
        link.send(authorization(1250))
        link.run(app, lambda: link.ecr.finished() is not None)
        (record,) = app.journal.sales_between(clock() - timedelta(days=1), clock() + timedelta(days=1))
    assert link.ecr.statuses()[-1][0x27] == b"\x05"
    assert link.ecr.finished() == bytes.fromhex("061E0105")
    assert record.phase is Phase.BLOCKED and record.source is SaleSource.POS
