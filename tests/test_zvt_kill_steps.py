"""Kill -9 at each step of a ZVT authorization, then restart: the journal decides what the till hears.

A kiosk in a child process (tests/zvt_kill_driver.py) serves a till written from the spec over TCP
and is killed at one step; the same state directory is then opened by a kiosk in this process, which
the till asks again. Every step checks against the Mion simulator: never more than one Mion session for
a sale (never charged twice), never "paid" to the till or in the journal without Mion's ``paidAt``, and
a sale the journal holds as paid is reported paid on the till's repeat receipt. The step "QR shown, paid
while the kiosk was down" is test_zvt_end_to_end.py's kill test.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from kiosk.core import events as ev
from kiosk.core.model import Phase
from kiosk.core.view import IdleView
from kiosk.mion.simulator import MionSimulator
from kiosk.store.bookings import is_not_booked
from tests.clocks import Wait
from tests.fault_tools import JumpClock
from tests.helpers import API_KEY
from tests.test_zvt_end_to_end import ROOT, ZERO, Link, tcp_kiosk
from tests.zvt_ecr import EcrWire, apdu, authorization, registration

REPEAT = apdu(0x06, 0x20, bytes.fromhex("000000"))
STATUS_ENQUIRY = apdu(0x05, 0x01, bytes.fromhex("000000"))
ACK = bytes.fromhex("800000")
PLEASE_WAIT = bytes.fromhex("04FF010E")


@pytest.fixture
def clock() -> JumpClock:
    return JumpClock()


@pytest.fixture
def simulator(clock: JumpClock) -> Iterator[MionSimulator]:
    with MionSimulator(api_key=API_KEY, network="regtest", clock=clock) as sim:
        yield sim


@dataclass
class HoldingEcr(EcrWire):
    """A till that, once ``hold`` is set, leaves the kiosk's status information (04 0F) unanswered."""

    hold: bool = False

    def _answer(self, raw: bytes) -> bytes | None:
        if self.hold and raw[:2] == b"\x04\x0f":
            return None
        return super()._answer(raw)


class Child:
    """The kiosk to be killed, and the till's connection to it."""

    def __init__(self, tmp_path: Path, simulator: MionSimulator, wait: Wait) -> None:
        env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "GPIOZERO_PIN_FACTORY": "mock"}
        self.process = subprocess.Popen([sys.executable, "-m", "tests.zvt_kill_driver", str(tmp_path),
                                         simulator.base_url], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # blocks until the child listens (or dies)
        assert line.startswith("PORT "), f"driver said {line!r}"
        self.sock = socket.create_connection(("127.0.0.1", int(line.split()[1])), timeout=5)
        self.sock.setblocking(False)
        self.link = Link(HoldingEcr(serial=False), lambda: self.sock.recv(4096), self.sock.sendall)
        self._wait = wait

    def until(self, condition: Callable[[], bool]) -> None:
        assert self._wait(lambda: (self.link.poll(), condition())[1], 10.0)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.sock.close()
        assert self.process.returncode == -signal.SIGKILL


@pytest.fixture
def child(tmp_path: Path, simulator: MionSimulator, wait: Wait) -> Iterator[Child]:
    started = Child(tmp_path, simulator, wait)
    try:
        ecr = started.link.ecr
        started.link.send(registration(config=0x3E))
        started.until(lambda: ecr.finished() is not None)
        ecr.received.clear()
        yield started
    finally:
        if started.process.poll() is None:
            started.kill()


def authorize(child: Child) -> None:
    child.link.send(authorization(1250))
    child.until(lambda: ACK in child.link.ecr.received)


def no_paid_status_without_paid_at(statuses: list[dict[int, bytes]], paid: bool) -> None:
    assert paid or all(s.get(0x27) != b"\x00" for s in statuses)


def test_killed_after_registration(child: Child, simulator: MionSimulator, clock: JumpClock,
                                   tmp_path: Path) -> None:
    child.kill()
    with tcp_kiosk(simulator, tmp_path, clock) as (app, link):
        link.send(STATUS_ENQUIRY)
        link.run(app, lambda: link.ecr.finished() is not None)
        assert link.ecr.finished() is not None and link.ecr.finished()[-1] == 0x00  # ready: nothing runs
        link.ecr.received.clear()
        link.send(REPEAT)
        link.run(app, lambda: bool(link.ecr.received))
    assert link.ecr.received == [bytes.fromhex("848300")]  # nothing paid, nothing to repeat
    assert simulator.sessions() == []


def test_killed_once_the_authorization_is_taken_the_tills_retry_is_one_new_sale(
        child: Child, simulator: MionSimulator, clock: JumpClock, tmp_path: Path) -> None:
    authorize(child)
    child.kill()
    with tcp_kiosk(simulator, tmp_path, clock) as (app, link):
        (orphan,) = app.journal.sales_between(clock() - timedelta(days=1), clock() + timedelta(days=1))
        link.send(authorization(990))  # the till gave up on the lost one; the cashier tries again
        link.run(app, lambda: app.register.sale is not None and app.register.sale.reference != orphan.reference
                 and app.register.sale.attempt is not None)
        assert link.ecr.received[0] == ACK  # not "please wait": the sale from before the restart made room
        new = app.register.open_reference or ""
        session_id = app.register.sale.session_id if app.register.sale else None
        simulator.mark_paid(session_id)
        link.run(app, lambda: link.ecr.finished() is not None)
        old = app.journal.get(orphan.reference)
        paid = app.journal.get(new)
    assert old is not None and old.phase.is_final and old.phase is not Phase.PAID and old.paid_at is None
    assert simulator.session_count_for(orphan.reference) <= 1 and simulator.session_count_for(new) == 1
    assert paid is not None and paid.phase is Phase.PAID and paid.paid_at is not None
    (status,) = link.ecr.statuses()
    assert status[0x27] == b"\x00" and status[0x04] == bytes.fromhex("000000000990")
    assert link.ecr.finished() == bytes.fromhex("060F00")


def test_killed_while_the_session_is_being_created(child: Child, simulator: MionSimulator, clock: JumpClock,
                                                   tmp_path: Path, wait: Wait) -> None:
    asked: list[float] = []

    def slow() -> float:
        asked.append(1.0)
        return 1.0

    simulator._latency_s = slow  # type: ignore[method-assign]  # Mion answers the create a second late
    authorize(child)
    child.until(lambda: bool(asked))  # the create request is at Mion
    child.kill()
    simulator._latency_s = lambda: 0.0  # type: ignore[method-assign]
    assert wait(lambda: len(simulator.sessions()) == 1, 10.0)  # Mion made it; the kiosk never heard
    (session,) = simulator.sessions()
    with tcp_kiosk(simulator, tmp_path, clock) as (app, link):
        link.run(app, lambda: any(s["attempts"] for s in simulator.sessions()))  # resumed on Mion's session
        simulator.mark_paid(session["id"])
        link.run(app, lambda: is_not_booked((app.journal.get(session["reference"]) or ZERO).detail))
        link.send(REPEAT)
        link.run(app, lambda: link.ecr.finished() is not None)
        record = app.journal.get(session["reference"])
    assert simulator.session_count_for(session["reference"]) == 1  # never a second session: never charged twice
    assert record is not None and record.phase is Phase.PAID and record.paid_at is not None
    (status,) = link.ecr.statuses()
    assert status[0x27] == b"\x00" and session["id"].encode() in status[0x3C]


def test_killed_after_the_paid_status_went_out_before_the_till_answered(
        child: Child, simulator: MionSimulator, clock: JumpClock, tmp_path: Path) -> None:
    ecr = child.link.ecr
    assert isinstance(ecr, HoldingEcr)
    ecr.hold = True
    authorize(child)
    child.until(lambda: PLEASE_WAIT in ecr.received and any(s["attempts"] for s in simulator.sessions()))
    (session,) = simulator.sessions()
    simulator.mark_paid(session["id"])
    child.until(lambda: bool(ecr.statuses()))  # the paid status is at the till, unanswered
    assert ecr.statuses()[0][0x27] == b"\x00" and ecr.finished() is None
    child.kill()
    reference = session["reference"]
    with tcp_kiosk(simulator, tmp_path, clock) as (app, link):
        link.run(app, lambda: is_not_booked((app.journal.get(reference) or ZERO).detail))
        record = app.journal.get(reference)
        assert record is not None and "restarted before the till acknowledged" in (record.detail or "")
        notice = app.frame(clock()).notice
        assert notice is not None and notice.reference == reference and notice.amount_cents == 1250
        link.send(REPEAT)
        link.run(app, lambda: link.ecr.finished() is not None)
        clock.jump(app.settings.sale.session_lifetime_s)  # past the paid screen: the idle screen keeps it
        link.run(app, lambda: isinstance(app.frame(clock()).view, IdleView))
        assert app.frame(clock()).notice is not None
        app.feed(ev.KeyPressed(key=ev.Key.ENTER))  # the cashier booked it by hand
        assert app.frame(clock()).notice is None
    assert record.phase is Phase.PAID and record.paid_at is not None
    assert simulator.session_count_for(reference) == 1
    (status,) = link.ecr.statuses()
    assert status[0x27] == b"\x00" and status[0x04] == bytes.fromhex("000000001250")
    assert status[0x0B] == ecr.statuses()[0][0x0B]  # the same trace number the till saw before the kill
    assert session["id"].encode() in status[0x3C]
