"""No input crashes the loop: random keypad keys, till lines and Mion answers, in any order and at any
time, leave the kiosk running; every complete till line gets exactly one reply; and the journal says
paid only for a session Mion reported with ``paidAt``.

The real loop, register, journal, ledger and till (its protocol and desk) run here; only the serial
port and the Mion worker are stand-ins: the port records what is written, and the test answers the
Mion requests the loop sends, with success, failure, stale or foreign answers of its choosing.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from clocks import FakeClock
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from kiosk.config import Settings
from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.core.model import Attempt, Phase, Session, SessionStatus
from kiosk.core.register import Register
from kiosk.display.window import Window
from kiosk.shell.app import Hooks, timing_from
from kiosk.shell.devices import Devices
from kiosk.shell.ledger import Ledger
from kiosk.shell.loop import Loop, Parts
from kiosk.shell.messages import TillBytes
from kiosk.shell.till import Till
from kiosk.store.journal import Journal

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
NEXT = "{next}"
"""Stands for the reference the kiosk would generate next: the till takes it first."""
SHM = Path("/dev/shm")


class PortStandIn:
    """The till's serial port: always connected, keeps every byte written."""

    connected = True

    def __init__(self) -> None:
        self.written = bytearray()

    def write(self, data: bytes) -> bool:
        self.written += data
        return True

    def start(self) -> None: ...

    def stop(self) -> None: ...


class MionStandIn:
    """Takes the loop's Mion requests; the test decides what (if anything) comes back."""

    def __init__(self) -> None:
        self.sent: list[fx.Effect] = []

    def submit(self, effect: fx.Effect, hold: object = None) -> None:
        self.sent.append(effect)

    def release(self, reference: str) -> None:
        pass


KEYS = st.sampled_from(list(ev.Key) + [ev.Key.D1, ev.Key.D2, ev.Key.ENTER, ev.Key.ENTER])
REFS = st.sampled_from([None, "A-1", "A-2", "B", "x" * 40, "bad ref", "ÄÖ", NEXT])
AMOUNTS = st.sampled_from([0, 1, 250, 250, 1250, 1250, 99_999, 100_000, 100_001, 10**12, -5])


@st.composite
def till_lines(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["sale", "sale", "sale", "cancel", "status", "ping", "version", "help", "junk",
                                 "blank"]))
    if kind == "sale":
        ref = draw(REFS)
        return f"SALE {draw(AMOUNTS)}{'' if ref is None else ' ' + ref}".encode("utf-8", "replace")
    if kind in ("cancel", "status"):
        ref = draw(REFS)
        return f"{kind.upper()}{'' if ref is None else ' ' + ref}".encode("utf-8", "replace")
    if kind == "junk":
        return draw(st.binary(max_size=30)).replace(b"\r", b"").replace(b"\n", b"")
    if kind == "blank":
        return b"   "
    return kind.upper().encode()


# Mostly answers that move a sale on, so that random runs reach invoices, polls and payments.
MION = st.tuples(st.sampled_from(["ok"] * 6 + ["paid"] * 2 + ["unpaid"] * 3 + [
    "unavailable", "rejected", "invalid", "blocked", "foreign"]), st.integers(min_value=0, max_value=3))
STEP = st.one_of(st.tuples(st.just("key"), KEYS), st.tuples(st.just("till"), till_lines()),
                 st.tuples(st.just("mion"), MION), st.tuples(st.just("mion"), MION),
                 st.tuples(st.just("time"), st.sampled_from([0.1, 0.6, 0.6, 0.6, 2, 2, 11, 61, 130, 400])))
STEPS = st.lists(STEP, min_size=10, max_size=80)


def answer(effect: fx.Effect, kind: str, now: datetime, paid: set[str]) -> ev.Event:
    """Mion's answer to ``effect``, of the given kind."""
    reference = getattr(effect, "reference", "?")
    request = {fx.CreateSession: ev.Request.CREATE_SESSION, fx.FindSession: ev.Request.FIND_SESSION,
               fx.CreateAttempt: ev.Request.CREATE_ATTEMPT}.get(type(effect), ev.Request.POLL)
    if kind in ("unavailable", "rejected", "invalid"):
        failure = {"unavailable": ev.Failure.UNAVAILABLE, "rejected": ev.Failure.REJECTED,
                   "invalid": ev.Failure.INVOICE_INVALID}[kind]
        return ev.RequestFailed(reference=reference, request=request, failure=failure, message=f"{kind} answer")
    session_id = getattr(effect, "session_id", None) or f"s-{reference}"
    if kind == "foreign":
        reference = "someone-else"
    match effect:
        case fx.CreateSession():
            return ev.SessionCreated(reference=reference, session=Session(session_id=session_id))
        case fx.FindSession():
            found = None if kind == "unpaid" else Session(session_id=session_id)
            return ev.SessionLookedUp(reference=reference, session=found)
        case fx.CreateAttempt():
            return ev.AttemptCreated(reference=reference, attempt=Attempt(
                session_id=session_id, invoice="lnbcrt12u1test", amount_msat=1_234_000,
                expires_at=now + timedelta(seconds=120), blocked_by_compliance=kind == "blocked"))
        case _:
            if kind == "paid":
                paid.add(session_id)
            return ev.StatusReceived(reference=reference, status=SessionStatus(
                session_id=session_id, status="PAID" if kind == "paid" else "OPEN",
                paid_at=now if kind == "paid" else None))


@dataclasses.dataclass
class Kiosk:
    """The loop with its real parts, the serial port and Mion stood in for."""

    loop: Loop
    register: Register
    journal: Journal
    port: PortStandIn
    mion: MionStandIn
    clock: FakeClock
    settings: Settings

    def step(self) -> None:
        """One turn of the loop: what was posted, a tick, and the polls handed over before it sleeps."""
        self.loop.feed(ev.Tick())
        while not self.loop.queue.empty():
            self.loop.dispatch(self.loop.queue.get_nowait())
        self.loop._send_requests()

    def till(self, line: bytes) -> None:
        self.loop.dispatch(TillBytes(line + b"\r\n"))
        self.step()

    def keys(self, *keys: ev.Key) -> None:
        for key in keys:
            self.loop.dispatch(ev.KeyPressed(key=key))
        self.step()


@contextmanager
def kiosk(busy_policy: str = "refuse") -> Iterator[Kiosk]:
    base = Settings()
    settings_ = dataclasses.replace(
        base, pos=dataclasses.replace(base.pos, enabled=True, port="loop://", busy_policy=busy_policy))
    clock = FakeClock(T0)
    with tempfile.TemporaryDirectory(dir=SHM if SHM.is_dir() else None) as tmp, \
            Journal(Path(tmp) / "journal.sqlite3") as journal:
        register = Register(timing_from(settings_))
        loop = Loop(register, Window(settings_.display, "en"), Hooks(clock=clock), owner=None)
        port, mion = PortStandIn(), MionStandIn()
        till = Till(settings_, journal, register, loop.apply, loop.post, new_reference=loop.new_reference,
                    clock=clock)
        till._link = port  # type: ignore[assignment]
        devices = Devices(settings_, journal, loop.post)
        loop.parts = Parts(journal=journal, ledger=Ledger(settings_, journal, devices, till), worker=mion,  # type: ignore[arg-type]
                           devices=devices, terminal_id=settings_.shop.terminal_id, till=till)
        yield Kiosk(loop, register, journal, port, mion, clock, settings_)


def next_generated(k: Kiosk) -> str:
    """The reference the kiosk would generate next (drawing, and so passing over, one)."""
    prefix, number, mark = k.journal.next_reference(
        k.settings.shop.terminal_id, k.clock.now.astimezone().date()).rsplit("-", 2)
    return f"{prefix}-{int(number) + 1:04d}-{mark}"


def test_a_keypad_sale_after_the_till_took_the_next_generated_reference_starts_with_another() -> None:
    with kiosk() as k:
        taken = next_generated(k)
        k.till(f"SALE 500 {taken}".encode())
        k.till(b"CANCEL")
        k.keys(ev.Key.D7, ev.Key.ENTER)
        assert k.register.open_reference not in (None, taken)
        assert not k.loop.parts.ledger.out_of_service  # type: ignore[union-attr]
        assert bytes(k.port.written).split(b"\r\n")[0] == f"OK SALE ref={taken} amount=500".encode()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=STEPS, busy_policy=st.sampled_from(["refuse", "replace"]))
def test_no_sequence_of_inputs_stops_the_loop_and_every_till_line_gets_one_reply(
        steps: list[tuple[str, object]], busy_policy: str) -> None:
    with kiosk(busy_policy) as k:
        lines_sent = 0
        paid_sessions: set[str] = set()
        for action, value in steps:
            if action == "key":
                k.loop.dispatch(ev.KeyPressed(key=value))  # type: ignore[arg-type]
            elif action == "till":
                line = value
                assert isinstance(line, bytes)
                if NEXT.encode() in line:
                    line = line.replace(NEXT.encode(), next_generated(k).encode())
                k.loop.dispatch(TillBytes(line + b"\r\n"))
                lines_sent += bool(line.strip(b" \t")) or len(line) > 254
            elif action == "mion" and k.mion.sent:
                kind, pick = value  # type: ignore[misc]
                # One request answered (pick), or every request waiting (pick 0), in the order sent.
                chosen = k.mion.sent[:] if pick == 0 else [k.mion.sent[pick % len(k.mion.sent)]]
                for effect in chosen:
                    k.mion.sent.remove(effect)
                    k.loop.dispatch(answer(effect, kind, k.clock.now, paid_sessions))
            elif action == "time":
                k.clock.now += timedelta(seconds=value)  # type: ignore[arg-type]
            k.step()
            event(f"reached {k.register.phase.value}")
        replies = [line for line in bytes(k.port.written).split(b"\r\n") if line and not line.startswith(b"EVENT ")]
        assert len(replies) == lines_sent, replies
        assert all(reply.startswith((b"OK ", b"ERR ")) for reply in replies)
        for sale in k.journal.sales_between(T0 - timedelta(days=1), k.clock.now + timedelta(days=1)):
            if sale.phase is Phase.PAID:
                assert sale.session_id in paid_sessions, f"{sale.reference} paid without paidAt"
