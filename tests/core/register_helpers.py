"""Shared pieces of the register tests: a fixed start time, sales brought to a phase by real events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.core.model import Attempt, SaleSource, Session, SessionStatus
from kiosk.core.register import Register

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
REF = "K1-20261128-0001"
EPS = timedelta(microseconds=1)
"""The smallest step of time a datetime can take: 'just before' a boundary."""


def at(seconds: float) -> datetime:
    """The moment ``seconds`` after T0."""
    return T0 + timedelta(seconds=seconds)


def secs(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


def attempt(now: datetime, *, lifetime_s: float = 120, msat: int = 13_000_000, n: int = 1,
            session_id: str = "s1", **kw: object) -> Attempt:
    return Attempt(session_id=session_id, invoice=f"lnbcrt{n}", amount_msat=msat,
                   expires_at=now + timedelta(seconds=lifetime_s), **kw)  # type: ignore[arg-type]


def status(paid_at: datetime | None = None, state: str = "open", *, session_id: str = "s1",
           expires_at: datetime | None = None) -> SessionStatus:
    return SessionStatus(session_id=session_id, status=state, paid_at=paid_at, expires_at=expires_at)


def kinds(effects: list[fx.Effect]) -> list[str]:
    return [type(e).__name__ for e in effects]


def polls(effects: list[fx.Effect], reference: str = REF) -> list[fx.PollStatus]:
    return [e for e in effects if isinstance(e, fx.PollStatus) and e.reference == reference]


def attempts_asked(effects: list[fx.Effect]) -> list[fx.CreateAttempt]:
    return [e for e in effects if isinstance(e, fx.CreateAttempt)]


def start_sale(reg: Register, now: datetime, *, reference: str = REF, amount_cents: int = 1200,
               source: SaleSource = SaleSource.POS) -> list[fx.Effect]:
    return reg.handle(ev.SaleRequested(reference=reference, amount_cents=amount_cents, source=source), now)


def give_session(reg: Register, now: datetime, *, reference: str = REF, session_id: str = "s1") -> list[fx.Effect]:
    return reg.handle(ev.SessionCreated(reference=reference, session=Session(session_id=session_id)), now)


def open_sale(reg: Register, now: datetime, *, reference: str = REF, lifetime_s: float = 120,
              session_id: str = "s1") -> Attempt:
    """A sale started, given a session and an invoice, all at ``now``; its first poll is due a poll interval later."""
    start_sale(reg, now, reference=reference)
    give_session(reg, now, reference=reference, session_id=session_id)
    shown = attempt(now, lifetime_s=lifetime_s, session_id=session_id)
    reg.handle(ev.AttemptCreated(reference=reference, attempt=shown), now)
    return shown


def tick(reg: Register, now: datetime) -> list[fx.Effect]:
    return reg.handle(ev.Tick(), now)


def fail(reg: Register, request: ev.Request, now: datetime, *, reference: str = REF,
         failure: ev.Failure = ev.Failure.UNAVAILABLE, retry_after_s: float | None = None) -> list[fx.Effect]:
    return reg.handle(ev.RequestFailed(reference=reference, request=request, failure=failure, message="down",
                                       retry_after_s=retry_after_s), now)


def answer(reg: Register, now: datetime, *, reference: str = REF, paid_at: datetime | None = None,
           expires_at: datetime | None = None, session_id: str = "s1") -> list[fx.Effect]:
    """Mion answers a status poll."""
    return reg.handle(ev.StatusReceived(reference=reference, status=status(
        paid_at, session_id=session_id, expires_at=expires_at)), now)
