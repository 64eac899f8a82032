"""The journal's two outboxes: receipts to print and lines to send to the till.

``Journal.mark_paid`` and ``Journal.end_sale`` queue items here in the same transaction as the sale's
change; the print worker and the till link read them, act, and mark them done, which deletes them.
A mixin of ``kiosk.store.journal.Journal``, kept apart so each module reads in one sitting.
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING

from kiosk.core.model import Phase
from kiosk.errors import StoreError
from kiosk.store import schema
from kiosk.store.records import PrintJob, TillMessage
from kiosk.store.schema import from_us, to_us
from kiosk.store.statements import outbox_sale, sale_head


class Outboxes:
    """Print jobs and till messages; needs the journal's ``_tx`` (one short transaction)."""

    if TYPE_CHECKING:
        def _tx(self, what: str, *, write: bool = True) -> AbstractContextManager[sqlite3.Connection]: ...

    # --- print outbox -------------------------------------------------------------------------------

    def pending_prints(self) -> list[PrintJob]:
        """Receipts queued and not yet printed, oldest first."""
        with self._tx("read print jobs", write=False) as conn:
            rows = conn.execute("SELECT j.id, s.reference, j.copy, j.created_us, j.tries, j.last_error, j.started "
                                "FROM print_job j JOIN sale s ON s.id = j.sale_id ORDER BY j.id").fetchall()
        return [PrintJob(job_id=r[0], reference=r[1], copy=r[2], created_at=from_us(r[3]), tries=r[4],
                         last_error=r[5], started=r[6]) for r in rows]

    def start_print(self, job_id: int, at: datetime) -> None:
        """Note that a send of the job to the printer begins (see ``PrintJob.may_have_printed``)."""
        now = to_us(at, "at")
        with self._tx(f"note the start of print job {job_id}") as conn:
            outbox_sale(conn, "print_job", job_id)
            conn.execute("UPDATE print_job SET started = started + 1, last_try_us = ? WHERE id = ?", (now, job_id))

    def mark_printed(self, job_id: int, at: datetime) -> None:
        """The receipt is out: drop the job and note the sale's first ``receipt_printed_at``."""
        now = to_us(at, "at")
        with self._tx(f"mark print job {job_id} done") as conn:
            sale_id = outbox_sale(conn, "print_job", job_id)
            conn.execute("DELETE FROM print_job WHERE id = ?", (job_id,))
            conn.execute("UPDATE sale SET receipt_printed_us = COALESCE(receipt_printed_us, ?) WHERE id = ?",
                         (now, sale_id))

    def record_print_failure(self, job_id: int, error: str, at: datetime) -> None:
        """Count a failed try of a job and keep its error text; the job stays queued."""
        now = to_us(at, "at")
        with self._tx(f"record a failure of print job {job_id}") as conn:
            outbox_sale(conn, "print_job", job_id)
            conn.execute("UPDATE print_job SET tries = tries + 1, last_error = ?, last_try_us = ? WHERE id = ?",
                         (schema.clip(error), now, job_id))

    def enqueue_reprint(self, reference: str, at: datetime, *, copy: str = "customer") -> PrintJob:
        """Queue one more receipt of a paid sale (``kiosk reprint``)."""
        schema.check_text(copy, "print copy")
        now = to_us(at, "at")
        with self._tx(f"queue a reprint of {reference}") as conn:
            sale_id, current, _ = sale_head(conn, reference)
            if current is not Phase.PAID:
                raise StoreError(f"sale {reference} is {current.value}: only a paid sale has a receipt")
            job_id = conn.execute("INSERT INTO print_job (sale_id, copy, created_us) VALUES (?, ?, ?)",
                                  (sale_id, copy, now)).lastrowid
        assert job_id is not None
        return PrintJob(job_id=job_id, reference=reference, copy=copy, created_at=from_us(now))

    # --- till outbox --------------------------------------------------------------------------------

    def pending_till_messages(self) -> list[TillMessage]:
        """Till lines queued and not yet sent, oldest first."""
        with self._tx("read till messages", write=False) as conn:
            rows = conn.execute("SELECT m.id, s.reference, m.line, m.created_us FROM till_message m "
                                "JOIN sale s ON s.id = m.sale_id ORDER BY m.id").fetchall()
        return [TillMessage(message_id=r[0], reference=r[1], line=r[2], created_at=from_us(r[3])) for r in rows]

    def mark_till_sent(self, message_id: int, at: datetime) -> None:
        """The line went out: drop it; a sale's final event also sets its ``till_notified_at``."""
        now = to_us(at, "at")
        with self._tx(f"mark till message {message_id} sent") as conn:
            sale_id = outbox_sale(conn, "till_message", message_id)
            final = conn.execute("SELECT final FROM till_message WHERE id = ?", (message_id,)).fetchone()[0]
            conn.execute("DELETE FROM till_message WHERE id = ?", (message_id,))
            if final:
                conn.execute("UPDATE sale SET till_notified_us = COALESCE(till_notified_us, ?) WHERE id = ?",
                             (now, sale_id))
