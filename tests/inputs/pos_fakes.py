"""A small, real in-memory sale desk for the till protocol tests (not a mock)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from kiosk.core.model import Phase, SaleSource
from kiosk.core.sale import Timing
from kiosk.errors import SaleRefused
from kiosk.store.records import SaleRecord
from kiosk.store.zvt_book import ZvtCounters, next_counters

NOW = datetime(2026, 11, 28, 16, 50, tzinfo=UTC)


class FakeDesk:
    """A real, tiny sale desk: at most one open sale, a journal of records by reference."""

    def __init__(self, max_amount_cents: int = 100_000) -> None:
        self.timing = Timing(max_amount_cents=max_amount_cents)
        self.records: dict[str, SaleRecord] = {}
        self.open_reference: str | None = None
        self.calls: list[str] = []
        self._counter = 0
        self.explode = False
        self.unbooked: list[str] = []
        """Payments the till did not book, as ``reference: why``."""
        self.book = MemoryBook()

    def start_sale(self, amount_cents: int, reference: str | None) -> str:
        self.calls.append(f"start {amount_cents} {reference}")
        if self.explode:
            raise RuntimeError("database on fire")
        if reference in self.records:
            raise SaleRefused("DUPLICATE_REFERENCE", f"sale {reference} already exists; ask STATUS {reference}")
        refusal = self.timing.amount_refusal(amount_cents)  # the register's own rule, in its order
        if refusal is not None:
            raise SaleRefused("AMOUNT_RANGE", refusal)
        if self.open_reference is not None:
            raise SaleRefused("BUSY", f"sale {self.open_reference} is still open; CANCEL it first")
        if reference is None:
            self._counter += 1
            reference = f"K1-{self._counter:04d}"
        self.records[reference] = SaleRecord(reference=reference, amount_cents=amount_cents, source=SaleSource.POS,
                                             phase=Phase.CREATING_SESSION, created_at=NOW, updated_at=NOW)
        self.open_reference = reference
        return reference

    def cancel_sale(self, reference: str | None) -> str:
        self.calls.append(f"cancel {reference}")
        target = reference or self.open_reference
        if target is None:
            raise SaleRefused("NO_SALE", "no sale is open")
        record = self.records.get(target)
        if record is None:
            raise SaleRefused("UNKNOWN_REFERENCE", f"no sale with reference {target}")
        if record.phase.is_final:
            raise SaleRefused("FINISHED", f"sale {target} is already {record.phase.value}")
        self.records[target] = dataclasses.replace(record, phase=Phase.CANCELLED)
        self.open_reference = None
        return target

    def sale_state(self, reference: str | None) -> SaleRecord | None:
        target = reference or self.open_reference
        return None if target is None else self.records.get(target)

    def last_paid(self) -> SaleRecord | None:
        paid = [r for r in self.records.values() if r.phase is Phase.PAID]
        return paid[-1] if paid else None

    def not_booked(self, reference: str, reason: str) -> None:
        self.unbooked.append(f"{reference}: {reason}")

    def zvt_book(self) -> MemoryBook:
        return self.book

    def mark_paid(self, reference: str) -> None:
        self.records[reference] = dataclasses.replace(
            self.records[reference], phase=Phase.PAID, session_id="ps_77", paid_at=NOW, amount_msat=21_000_999)
        self.open_reference = None


class MemoryBook:
    """The ZVT terminal's counters in memory, by the journal's own rule (``next_counters``)."""

    def __init__(self) -> None:
        self.counters = ZvtCounters()

    def zvt_counters(self) -> ZvtCounters:
        return self.counters

    def zvt_paid(self, reference: str, amount_cents: int) -> ZvtCounters:
        self.counters = next_counters(self.counters, reference, amount_cents)
        return self.counters

    def zvt_answered(self, reference: str) -> None:
        if self.counters.unanswered == reference:
            self.counters = dataclasses.replace(self.counters, unanswered=None)

    def zvt_end_of_day(self) -> ZvtCounters:
        before = self.counters
        self.counters = dataclasses.replace(before, receipt=0, day_count=0, day_cents=0)
        return before
