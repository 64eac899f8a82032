"""Payments the till did not book: noted on the paid sale, with a merchant slip to act on.

A card terminal reverses a payment its till did not book; a Lightning payment cannot be reversed.
So when a ZVT till refuses or never answers the paid status, or was told of a failure before the
payment landed, the paid sale's detail says :data:`NOT_BOOKED` (with why), and a merchant copy is
queued in the same transaction, for a manual booking or refund. ``kiosk show`` and ``kiosk history
--json`` list the detail; the slip says it. A mixin of ``kiosk.store.journal.Journal``.
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING

from kiosk.core.model import Phase
from kiosk.store import schema
from kiosk.store.schema import to_us
from kiosk.store.statements import sale_head
from kiosk.store.zvt_book import ZvtBookStore

NOT_BOOKED = "paid, not booked by the till"


def is_not_booked(detail: str | None) -> bool:
    return detail is not None and detail.startswith(NOT_BOOKED)


class TillBookings(ZvtBookStore):
    """Needs the journal's ``_tx`` (one short transaction). Carries the ZVT terminal's counters too."""

    if TYPE_CHECKING:
        def _tx(self, what: str, *, write: bool = True) -> AbstractContextManager[sqlite3.Connection]: ...

    def note_not_booked(self, reference: str, reason: str, at: datetime) -> bool:
        """Mark the paid sale ``reference`` as not booked by the till and queue a merchant slip.

        Returns whether it wrote: False when the sale is not paid (nothing to book) or is noted already.
        """
        now = to_us(at, "at")
        with self._tx(f"note that the till did not book {reference}") as conn:
            sale_id, current, _ = sale_head(conn, reference)
            row = conn.execute("SELECT detail FROM sale WHERE id = ?", (sale_id,)).fetchone()
            if current is not Phase.PAID or is_not_booked(row[0]):
                return False
            conn.execute("UPDATE sale SET detail = ?, updated_us = ? WHERE id = ?",
                         (schema.clip(f"{NOT_BOOKED}: {reason}"), now, sale_id))
            conn.execute("INSERT INTO print_job (sale_id, copy, created_us) VALUES (?, 'merchant', ?)",
                         (sale_id, now))
        return True
