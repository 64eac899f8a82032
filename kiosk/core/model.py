"""What the kiosk knows of Mion's objects, as plain typed values.

The Mion client parses JSON into these; the core reasons only about these. Times are timezone-aware
UTC ``datetime`` values; money is integer cents (EUR) and integer millisatoshi.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


def sats_for(msat: int) -> int:
    """Whole satoshis for ``msat``, rounded up: the one conversion for anything a person or a till sees.

    Rounding down would show less than the invoice asks (1 500 msat is 2 sats, never 1); an amount
    is never shown below what the customer pays.
    """
    return -(-msat // 1000)


class Phase(enum.Enum):
    """Where a sale stands. The journal stores ``phase.value``."""

    IDLE = "idle"
    ENTERING_AMOUNT = "entering_amount"
    CREATING_SESSION = "creating_session"
    CREATING_ATTEMPT = "creating_attempt"
    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    BLOCKED = "blocked"
    ERROR = "error"

    @property
    def is_open(self) -> bool:
        """A sale in this phase may still be paid: it must be finished after a crash."""
        return self in OPEN_PHASES

    @property
    def is_final(self) -> bool:
        return self in FINAL_PHASES


OPEN_PHASES = frozenset({Phase.CREATING_SESSION, Phase.CREATING_ATTEMPT, Phase.AWAITING_PAYMENT})
FINAL_PHASES = frozenset({Phase.PAID, Phase.EXPIRED, Phase.CANCELLED, Phase.BLOCKED, Phase.ERROR})


class SaleSource(enum.Enum):
    """Where a sale's amount came from."""

    KEYPAD = "keypad"
    POS = "pos"
    POLE = "pole"
    DEMO = "demo"


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """A Mion payment session, as returned on creation or found by reference."""

    session_id: str
    """Mion's ``paymentSessionId``; every endpoint uses it."""
    reference: str | None = None
    """The merchant reference the session carries, when Mion tells it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Attempt:
    """A Lightning payment attempt: one invoice, valid until ``expires_at``."""

    session_id: str
    invoice: str
    """The BOLT11 invoice (``lnInvoice``), as Mion sent it."""
    amount_msat: int
    expires_at: datetime
    blocked_by_compliance: bool = False
    missing_compliance_fields: tuple[str, ...] = ()
    payment_method: str = "lightning"

    def __post_init__(self) -> None:
        if self.amount_msat <= 0:
            raise ValueError(f"amount_msat must be positive, got {self.amount_msat}")
        if self.expires_at.tzinfo is None:
            raise ValueError("expires_at must be timezone-aware")

    @property
    def amount_sat(self) -> int:
        """Whole satoshis, rounded up (:func:`sats_for`), as shown to the customer."""
        return sats_for(self.amount_msat)


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionStatus:
    """One answer of the session status endpoint.

    Paid means exactly one thing: ``paid_at`` is set. ``status`` is kept verbatim for the journal
    and the technician; the kiosk never infers payment from it.
    """

    session_id: str
    status: str
    paid_at: datetime | None = None
    expires_at: datetime | None = None
    extra: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_paid(self) -> bool:
        return self.paid_at is not None
