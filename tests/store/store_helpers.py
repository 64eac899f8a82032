"""Helpers for the journal tests: fixed times and sample Mion objects (no clock, no network)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kiosk.core.model import Attempt, Phase, SaleSource, SessionStatus
from kiosk.store.journal import Journal

T0 = datetime(2026, 11, 28, 13, 5, 0, 123456, tzinfo=UTC)
"""A fixed moment; tests add seconds to it instead of reading the clock."""

INVOICE = "lnbc250u1p" + "q" * 280 + "kiosk0"


def at(seconds: float) -> datetime:
    """``T0`` plus ``seconds``."""
    return T0 + timedelta(seconds=seconds)


def attempt(session_id: str = "ps_1", invoice: str = INVOICE, amount_msat: int = 25_000_123,
            expires_in_s: float = 120) -> Attempt:
    """A Lightning attempt as the Mion client would parse it."""
    return Attempt(session_id=session_id, invoice=invoice, amount_msat=amount_msat, expires_at=at(expires_in_s))


def status(text: str = "pending", paid_at: datetime | None = None, session_id: str = "ps_1") -> SessionStatus:
    """A session status answer."""
    return SessionStatus(session_id=session_id, status=text, paid_at=paid_at)


def new_sale(journal: Journal, reference: str = "K1-20261128-0001", amount_cents: int = 1200,
             source: SaleSource = SaleSource.KEYPAD) -> str:
    """A sale in the journal with a session and one attempt, awaiting payment."""
    journal.create_sale(reference=reference, amount_cents=amount_cents, source=source, at=at(0))
    journal.set_session(reference, "ps_1", at(1))
    journal.add_attempt(reference, attempt(), at(2))
    journal.set_phase(reference, Phase.AWAITING_PAYMENT, at(2))
    return reference
