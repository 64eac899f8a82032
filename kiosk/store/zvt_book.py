"""The ZVT terminal's own book: trace and receipt numbers, the end-of-day totals, and the paid status
the till has not answered yet. A mixin of ``kiosk.store.journal.Journal`` (one row, table ``zvt_counter``).

A card terminal numbers its payments (trace BMP 0B, receipt BMP 87) and adds them up until the till
asks for the end-of-day; a till books and looks payments up by these numbers, so they survive a
restart. End-of-day starts the receipt numbers and the totals again; the trace number runs on, as a
terminal's does.

``unanswered`` is the reference whose paid status was handed to the till and whose Completion the
till has not acknowledged yet. It is written in the same transaction that numbers the payment, before
a byte of it goes out. A kill or power cut before the till's answer leaves it set, and the next start
reads it: the till may not have booked that payment, so it is noted "paid, not booked by the till".
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

MAX_TRACE = 999_999
"""BMP 0B holds 6 BCD digits; after this the trace number starts again at 1."""
MAX_RECEIPT = 9_999
"""BMP 87 holds 4 BCD digits."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ZvtCounters:
    trace: int = 0
    """The trace number of the last payment (0: none yet)."""
    receipt: int = 0
    """The receipt number of the last payment since the end-of-day (0: none since)."""
    last_reference: str | None = None
    """The sale the last trace number went to."""
    last_receipt: int = 0
    """That sale's receipt number (kept across an end-of-day, for a repeat receipt)."""
    day_count: int = 0
    day_cents: int = 0
    """The payments since the last end-of-day."""
    unanswered: str | None = None
    """A paid sale whose status went to the till and whose Completion it has not answered."""


class ZvtBook(Protocol):
    """Where the terminal keeps its numbers (the journal; an in-memory one in tests)."""

    def zvt_counters(self) -> ZvtCounters:
        """The numbers as they are."""
        ...

    def zvt_paid(self, reference: str, amount_cents: int) -> ZvtCounters:
        """Number the payment ``reference``, add it to the totals and mark it unanswered; the new numbers."""
        ...

    def zvt_answered(self, reference: str) -> None:
        """The till answered (or the payment is noted not booked): ``reference`` is no longer unanswered."""
        ...

    def zvt_end_of_day(self) -> ZvtCounters:
        """Start the receipt numbers and totals again; the numbers as they were before."""
        ...


def next_counters(c: ZvtCounters, reference: str, amount_cents: int) -> ZvtCounters:
    """The numbers after the payment ``reference`` (pure: the journal and the tests share it)."""
    trace = c.trace % MAX_TRACE + 1
    receipt = c.receipt % MAX_RECEIPT + 1
    return ZvtCounters(trace=trace, receipt=receipt, last_reference=reference, last_receipt=receipt,
                       day_count=c.day_count + 1, day_cents=c.day_cents + amount_cents, unanswered=reference)


_COLUMNS = "trace, receipt, last_reference, last_receipt, day_count, day_cents, unanswered"


class ZvtBookStore:
    """Needs the journal's ``_tx`` (one short transaction)."""

    if TYPE_CHECKING:
        def _tx(self, what: str, *, write: bool = True) -> AbstractContextManager[sqlite3.Connection]: ...

    @staticmethod
    def _read(conn: sqlite3.Connection) -> ZvtCounters:
        row = conn.execute(f"SELECT {_COLUMNS} FROM zvt_counter WHERE id = 1").fetchone()
        if row is None:
            return ZvtCounters()
        return ZvtCounters(trace=row[0], receipt=row[1], last_reference=row[2], last_receipt=row[3],
                           day_count=row[4], day_cents=row[5], unanswered=row[6])

    @staticmethod
    def _write(conn: sqlite3.Connection, c: ZvtCounters) -> None:
        conn.execute(f"INSERT OR REPLACE INTO zvt_counter (id, {_COLUMNS}) VALUES (1, ?, ?, ?, ?, ?, ?, ?)",
                     (c.trace, c.receipt, c.last_reference, c.last_receipt, c.day_count, c.day_cents,
                      c.unanswered))

    def zvt_counters(self) -> ZvtCounters:
        with self._tx("read the ZVT counters", write=False) as conn:
            return self._read(conn)

    def zvt_paid(self, reference: str, amount_cents: int) -> ZvtCounters:
        with self._tx(f"number the ZVT payment {reference}") as conn:
            counters = next_counters(self._read(conn), reference, amount_cents)
            self._write(conn, counters)
        return counters

    def zvt_answered(self, reference: str) -> None:
        with self._tx(f"note the till's answer for {reference}") as conn:
            conn.execute("UPDATE zvt_counter SET unanswered = NULL WHERE id = 1 AND unanswered = ?", (reference,))

    def zvt_end_of_day(self) -> ZvtCounters:
        with self._tx("close the ZVT day") as conn:
            before = self._read(conn)
            conn.execute("UPDATE zvt_counter SET receipt = 0, day_count = 0, day_cents = 0 WHERE id = 1")
        return before
