"""What the ledger tells an observer (the metrics) of each sale's outcome, once it is journaled."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from kiosk.core.model import Phase
from kiosk.store.records import SaleRecord


class SaleObserver(Protocol):
    """Told on the main thread, after the journal took the record; must return at once."""

    def sale_ended(self, phase: Phase) -> None:
        """A sale ended unpaid."""

    def sale_paid(self, record: SaleRecord, *, late: bool, paid_at: datetime) -> None:
        """A payment was recorded (once per sale)."""
