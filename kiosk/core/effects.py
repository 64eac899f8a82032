"""Effects: commands the register gives; the app carries them out in the order given.

``Record*`` effects come before the effects they describe: the app writes the journal first, then
shows or sends. A failed ``Record*`` stops the rest of that batch.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from kiosk.core.model import Attempt, Phase, SaleSource, SessionStatus


class Light(enum.Enum):
    OFF = "off"
    INVOICE = "invoice"
    PAID = "paid"
    ERROR = "error"


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestSale:
    """The cashier charged an amount; the app gives it a reference and answers with SaleRequested."""

    amount_cents: int
    source: SaleSource


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordSale:
    reference: str
    amount_cents: int
    source: SaleSource
    tip_cents: int = 0
    """The part of ``amount_cents`` that is the customer's tip."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordSession:
    reference: str
    session_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordAttempt:
    """Journal the attempt, then (for the till) announce the invoice shown."""

    reference: str
    attempt: Attempt
    expires_at: datetime
    """When the customer stops seeing it (the attempt's expiry, capped by the session's)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordStatus:
    reference: str
    status: SessionStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordPaid:
    """The sale is paid: journal it with its receipt job and till message, exactly once."""

    reference: str
    session_id: str
    paid_at: datetime
    amount_msat: int | None
    late: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordEnded:
    """The sale ended unpaid (expired, cancelled, blocked, error)."""

    reference: str
    phase: Phase
    detail: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordRefusal:
    """Mion said something the kiosk does not act on (an invoice far off the recent rate, a ``paidAt``
    outside the session's life; ``kiosk.core.plausible``): journal why on the sale and log it. Nothing
    is shown, and the till hears nothing of it."""

    reference: str
    detail: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateSession:
    reference: str
    amount_cents: int
    expires_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class FindSession:
    reference: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateAttempt:
    reference: str
    session_id: str
    amount_cents: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PollStatus:
    reference: str
    session_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SetLight:
    light: Light


Effect = (
    RequestSale
    | RecordSale
    | RecordSession
    | RecordAttempt
    | RecordStatus
    | RecordPaid
    | RecordEnded
    | RecordRefusal
    | CreateSession
    | FindSession
    | CreateAttempt
    | PollStatus
    | SetLight
)
