"""What the journal hands out: plain records, never database rows.

These are the contract between the journal (``kiosk.store.journal``), the print worker, the till link,
the reports and the CLI. Times are timezone-aware UTC ``datetime`` values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kiosk.core.model import Phase, SaleSource, sats_for


@dataclass(frozen=True, slots=True, kw_only=True)
class AttemptRecord:
    invoice: str
    amount_msat: int
    expires_at: datetime
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusRecord:
    status: str
    """Mion's status string, verbatim."""
    paid_at: datetime | None
    seen_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class SaleRecord:
    reference: str
    amount_cents: int
    source: SaleSource
    phase: Phase
    created_at: datetime
    updated_at: datetime
    session_id: str | None = None
    paid_at: datetime | None = None
    """Mion's ``paidAt``; set only when Mion said it."""
    amount_msat: int | None = None
    """The paid (or last offered) invoice amount."""
    detail: str | None = None
    """Why the sale ended as it did (error text, compliance reason); never a secret."""
    late: bool = False
    """Paid after its invoice had expired on screen (or after the sale was cancelled/expired)."""
    receipt_printed_at: datetime | None = None
    till_notified_at: datetime | None = None
    attempts: tuple[AttemptRecord, ...] = ()
    statuses: tuple[StatusRecord, ...] = ()
    tip_cents: int = 0
    """The customer's tip, as part of ``amount_cents`` (the total charged); the price is the difference."""
    ended_as: Phase | None = None
    """The unpaid outcome the sale first ended with, kept when a late payment then made it paid."""

    @property
    def amount_sat(self) -> int | None:
        """Whole sats, rounded up as everywhere they are shown (:func:`kiosk.core.model.sats_for`)."""
        return None if self.amount_msat is None else sats_for(self.amount_msat)


@dataclass(frozen=True, slots=True, kw_only=True)
class PrintJob:
    """One receipt to print; queued in the journal in the same transaction that records the payment."""

    job_id: int
    reference: str
    copy: str
    """"customer" or "merchant"."""
    created_at: datetime
    tries: int = 0
    """Failed tries recorded."""
    last_error: str | None = None
    started: int = 0
    """Sends to the printer begun; more than ``tries`` means one was cut short and the slip may be out."""

    @property
    def may_have_printed(self) -> bool:
        return self.started > self.tries


@dataclass(frozen=True, slots=True, kw_only=True)
class TillMessage:
    """One event line for the till, queued before it is sent so that it is sent exactly once."""

    message_id: int
    reference: str
    line: str
    """The complete line to send, without the line ending."""
    created_at: datetime
