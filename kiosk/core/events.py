"""Events: facts that happened, handed to the register in the order they happened.

Each event that answers a request names the sale (``reference``) it belongs to, so that an answer
arriving after its sale ended is recognised as stale instead of being applied to the next sale.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from kiosk.core.model import Attempt, SaleSource, Session, SessionStatus


class Key(enum.Enum):
    """Keys of the cashier's keypad, independent of how they were pressed."""

    D0 = "0"
    D1 = "1"
    D2 = "2"
    D3 = "3"
    D4 = "4"
    D5 = "5"
    D6 = "6"
    D7 = "7"
    D8 = "8"
    D9 = "9"
    SEPARATOR = "."
    BACKSPACE = "backspace"
    ENTER = "enter"
    CANCEL = "cancel"
    LIGHTNING = "lightning"
    """Charge the total the till showed on the pole display."""

    @property
    def digit(self) -> str | None:
        return self.value if self.value.isdigit() else None


class Request(enum.Enum):
    """The kinds of Mion request the register asks for; at most one of each is in flight."""

    CREATE_SESSION = "create_session"
    FIND_SESSION = "find_session"
    CREATE_ATTEMPT = "create_attempt"
    POLL = "poll"


class Failure(enum.Enum):
    UNAVAILABLE = "unavailable"
    """No usable answer: the outcome is unknown."""
    REJECTED = "rejected"
    """Mion answered and refused."""
    INVOICE_INVALID = "invoice_invalid"
    """The attempt came back but its invoice failed our checks (network, amount)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyPressed:
    key: Key


@dataclass(frozen=True, slots=True, kw_only=True)
class SaleRequested:
    reference: str
    amount_cents: int
    """What is charged: with a tip chosen, the total."""
    source: SaleSource
    tip_cents: int | None = None
    """The tip within ``amount_cents``; None: no tip chosen yet (the tip step, if on, asks)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelRequested:
    reference: str | None = None
    """The sale to cancel; None cancels whatever is open."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionCreated:
    reference: str
    session: Session


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionLookedUp:
    """The answer to looking a session up by reference; ``session`` is None when Mion has none."""

    reference: str
    session: Session | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AttemptCreated:
    reference: str
    attempt: Attempt


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusReceived:
    reference: str
    status: SessionStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestFailed:
    reference: str
    request: Request
    failure: Failure
    message: str
    retry_after_s: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PoleUpdated:
    """The till wrote to the emulated pole display."""

    lines: tuple[str, str]
    total_cents: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class RecoveredSale:
    """An unfinished sale found in the journal at start-up."""

    reference: str
    amount_cents: int
    source: SaleSource
    created_at: datetime
    session_id: str | None
    last_attempt: Attempt | None
    ended: bool = False
    """It ended unpaid (cancelled, expired) after its invoice was shown, and its late-payment grace
    has not run out: it is only watched, never put back on screen."""
    tip_cents: int = 0
    """The customer's tip within ``amount_cents``, shown again with the invoice."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Recovered:
    sales: tuple[RecoveredSale, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Tick:
    """Time passed. The register acts on timers only when it is told the time."""


Event = (
    KeyPressed
    | SaleRequested
    | CancelRequested
    | SessionCreated
    | SessionLookedUp
    | AttemptCreated
    | StatusReceived
    | RequestFailed
    | PoleUpdated
    | Recovered
    | Tick
)
