"""The sales journal: every sale and every change to it, in SQLite, written before it is acted on.

Theory of operation
-------------------
The kiosk writes a fact here first and only then shows it or sends it. Each method is one short
transaction committed with ``synchronous=FULL`` in WAL mode, so when a method returns, its record has
reached the SD card and survives a power cut (NORMAL would only keep the database consistent, and
could lose the last commits; a payment the customer saw confirmed must not be among them).

Effects that leave the box (a receipt, a line to the till) go through two outboxes. ``mark_paid`` and
``end_sale`` put their print jobs and till line into the outbox in the same transaction as the phase
change; workers read the outbox, act, and then mark the item done (which deletes it). After a crash the
outbox still holds exactly what was not yet confirmed done, and a second ``mark_paid`` finds the sale
already paid and queues nothing: no payment is forgotten, nothing is queued twice.

Threads and processes: one connection, used under a lock (``check_same_thread=False``), serves the main
thread and the print worker. The ``kiosk`` CLI opens its own ``Journal`` in its own process; WAL lets it
read while the kiosk writes and ``busy_timeout`` makes writers wait for each other instead of failing.
Reports open it with ``read_only=True``, which also reads a journal on a read-only file system
(``kiosk.store.paths.reading_uri``).

No secret is ever given to this class, and it has nowhere to put one (see ``kiosk.store.schema``).
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from types import TracebackType
from typing import Self

from kiosk.core.model import FINAL_PHASES, OPEN_PHASES, Attempt, Phase, SaleSource, SessionStatus
from kiosk.errors import StoreError
from kiosk.store import schema
from kiosk.store.bookings import TillBookings
from kiosk.store.outbox import Outboxes
from kiosk.store.paths import ensure_state_dir, make_private, reading_uri
from kiosk.store.records import SaleRecord, TillMessage
from kiosk.store.schema import SALE_COLUMNS, from_us, to_us
from kiosk.store.statements import (
    DuplicateReference,
    UnknownOutboxItem,
    UnknownReference,
    insert_till_line,
    sale_head,
)

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
"""How long a writer waits for another (the CLI, the print worker) before giving up."""
_TERMINAL_ID = re.compile(r"[A-Za-z0-9-]{1,12}")
_ENDING_PHASES = FINAL_PHASES - {Phase.PAID}


PAGE_SIZE_B = 1024
CACHE_KIB = 256
"""The page cache of each connection, in KiB."""

__all__ = ["DuplicateReference", "Journal", "UnknownOutboxItem", "UnknownReference"]


class Journal(Outboxes, TillBookings):
    """The sales journal in one SQLite file (``":memory:"`` for tests). Open it before use.

    ``read_only=True`` is for reports (``kiosk history``, ``show``, ``report`` without ``--close``): it
    creates and changes nothing, reads a journal on a read-only file system, and refuses every write.
    """

    def __init__(self, path: Path | str, *, read_only: bool = False) -> None:
        self._path = path if path == ":memory:" else Path(path)
        if read_only and not isinstance(self._path, Path):
            raise ValueError("a journal in memory cannot be opened read-only")
        self._read_only = read_only
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()

    # --- lifecycle ----------------------------------------------------------------------------------

    def open(self) -> None:
        """Open (creating if needed) the file, set durability pragmas and migrate the schema."""
        with self._lock:
            if self._conn is not None:
                raise StoreError("the journal is already open")
            if self._read_only:
                self._conn = self._open_for_reading()
                return
            try:
                if isinstance(self._path, Path):
                    ensure_state_dir(self._path.parent)
                    make_private(self._path)
                conn = sqlite3.connect(self._path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                       check_same_thread=False)
            except (OSError, sqlite3.Error) as exc:
                raise StoreError(f"cannot open the journal {self._path}: {exc}") from exc
            try:
                self._configure(conn)
                schema.migrate(conn)
            except sqlite3.Error as exc:
                conn.close()
                raise StoreError(f"cannot prepare the journal {self._path}: {exc}") from exc
            except BaseException:
                conn.close()
                raise
            self._conn = conn
            log.info("journal open: %s (schema version %d)", self._path, schema.CURRENT_VERSION)

    def _open_for_reading(self) -> sqlite3.Connection:
        path = Path(self._path)
        if not path.is_file():
            raise StoreError(f"no journal at {path}")
        try:
            conn = sqlite3.connect(reading_uri(path), uri=True, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                   check_same_thread=False)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the journal {path}: {exc}") from exc
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
            conn.execute("PRAGMA query_only = ON")
            found = int(conn.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.Error as exc:
            conn.close()
            raise StoreError(f"cannot read the journal {path}: {exc}") from exc
        if found != schema.CURRENT_VERSION:
            conn.close()
            # Migrating needs a write; reading another version's tables could misread them.
            if found > schema.CURRENT_VERSION:
                advice = "update the kiosk software"
            else:
                advice = "open it once where it can be written (the kiosk upgrades it)"
            raise StoreError(f"the journal {path} has schema version {found} and this release reads "
                             f"{schema.CURRENT_VERSION}: {advice}")
        log.info("journal open for reading: %s", path)
        return conn

    def _configure(self, conn: sqlite3.Connection) -> None:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
        # Small pages: each commit appends whole pages to the WAL, and a sale's commits touch only a few
        # rows, so 1 KiB pages write a quarter of the bytes of the default 4 KiB (SD-card wear). It only
        # takes effect on a new file, before WAL mode is set.
        conn.execute(f"PRAGMA page_size = {PAGE_SIZE_B:d}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal" and self._path != ":memory:":
            log.warning("journal: WAL mode unavailable (got %s); readers will wait for writers", mode)
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA temp_store = MEMORY")  # sorts never spill to the SD card
        conn.execute("PRAGMA journal_size_limit = 1048576")  # the WAL shrinks back after a checkpoint
        # SQLite's page cache (2 MB by default) grows with the file until full: a kiosk's memory then
        # grew for its first thousand sales or so. A sale's reads touch a few recent rows by index.
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB:d}")

    def close(self) -> None:
        """Close the file. Safe to call twice."""
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                try:
                    conn.close()
                except sqlite3.Error as exc:
                    raise StoreError(f"cannot close the journal: {exc}") from exc

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @contextmanager
    def _tx(self, what: str, *, write: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction under the lock; sqlite3 errors become :class:`StoreError` about ``what``."""
        with self._lock:
            conn = self._conn
            if conn is None:
                raise StoreError(f"cannot {what}: the journal is not open")
            try:
                # IMMEDIATE takes the write lock up front, so a busy journal waits here, not mid-way.
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(f"cannot {what}: {exc}") from exc
                raise

    def probe_write(self) -> None:
        """Make one real write that changes nothing, to learn whether the journal takes writes again.

        Raises:
            StoreError: it does not.
        """
        with self._tx("write to the journal") as conn:
            conn.execute("UPDATE journal_mark SET mark = mark")

    # --- sales --------------------------------------------------------------------------------------

    def next_reference(self, terminal_id: str, day: date) -> str:
        """A new reference such as ``K1-20261128-0001-3F9A`` that no sale has; the per-day counter is never
        reused, and a number a till already named a sale with is passed over.

        The last part marks this journal (see ``schema._V2``): references stay unique even if the
        journal is lost and its counters start again.
        """
        if not isinstance(terminal_id, str) or not _TERMINAL_ID.fullmatch(terminal_id):
            raise ValueError(f"terminal id must be 1 to 12 letters, digits or '-', got {terminal_id!r}")
        day_text = f"{day:%Y%m%d}"
        with self._tx("draw a sale reference") as conn:
            mark = conn.execute("SELECT mark FROM journal_mark").fetchone()[0]
            while True:
                number = conn.execute(
                    "INSERT INTO reference_counter (terminal_id, day, last_number) VALUES (?, ?, 1) "
                    "ON CONFLICT DO UPDATE SET last_number = last_number + 1 RETURNING last_number",
                    (terminal_id, day_text)).fetchone()[0]
                reference = f"{terminal_id}-{day_text}-{number:04d}-{mark}"
                if conn.execute("SELECT 1 FROM sale WHERE reference = ?", (reference,)).fetchone() is None:
                    return reference

    def create_sale(self, *, reference: str, amount_cents: int, source: SaleSource, at: datetime,
                    tip_cents: int = 0) -> None:
        """Record a new sale in phase CREATING_SESSION.

        Raises:
            DuplicateReference: a sale with this reference exists (nothing is changed).
        """
        schema.check_reference(reference)
        if type(amount_cents) is not int or amount_cents <= 0:
            raise ValueError(f"amount_cents must be a positive whole number, got {amount_cents!r}")
        if not isinstance(source, SaleSource):
            raise TypeError(f"source must be a SaleSource, got {source!r}")
        if type(tip_cents) is not int or not 0 <= tip_cents < amount_cents:
            raise ValueError(f"tip_cents must be a whole number from 0 to below the amount, got {tip_cents!r}")
        now = to_us(at, "at")
        try:
            with self._tx(f"record sale {reference}") as conn:
                conn.execute(
                    "INSERT INTO sale (reference, amount_cents, source, phase, created_us, updated_us, tip_cents) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (reference, amount_cents, source.value, Phase.CREATING_SESSION.value, now, now, tip_cents))
        except StoreError as exc:
            if isinstance(exc.__cause__, sqlite3.IntegrityError):
                raise DuplicateReference(f"a sale with reference {reference} is already recorded") from exc
            raise

    def set_session(self, reference: str, session_id: str, at: datetime) -> None:
        """Record Mion's session id for the sale (it then awaits its invoice).

        One sale has one session: a different id is refused."""
        schema.check_text(session_id, "session_id")
        now = to_us(at, "at")
        with self._tx(f"record the session of {reference}") as conn:
            sale_id, _, current = sale_head(conn, reference)
            if current == session_id:
                return
            if current is not None:
                raise StoreError(f"sale {reference} already has session {current}; refusing {session_id}")
            # Having its session, an open sale waits for its invoice: one write for both facts (SD wear).
            conn.execute("UPDATE sale SET session_id = ?, updated_us = ?, phase = CASE WHEN phase = ? THEN ? "
                         "ELSE phase END WHERE id = ?", (session_id, now, Phase.CREATING_SESSION.value,
                                                         Phase.CREATING_ATTEMPT.value, sale_id))

    def set_phase(self, reference: str, phase: Phase, at: datetime, *, detail: str | None = None) -> bool:
        """Move an open sale to another phase; a final phase other than PAID is passed to :meth:`end_sale`.

        Returns whether it wrote. A finished sale is never reopened (logged, nothing changes).
        """
        if phase is Phase.PAID:
            raise ValueError("a sale becomes paid only through mark_paid")
        if phase in _ENDING_PHASES:
            return self.end_sale(reference, phase, at, detail=detail)
        if phase not in OPEN_PHASES:
            raise ValueError(f"a recorded sale cannot move to {phase.value}")
        detail = schema.clip(detail)
        now = to_us(at, "at")
        with self._tx(f"record phase {phase.value} of {reference}") as conn:
            sale_id, current, _ = sale_head(conn, reference)
            if current.is_final:
                log.warning("journal: %s is already %s; not moving it to %s", reference, current.value, phase.value)
                return False
            if current is phase and detail is None:
                return False
            conn.execute("UPDATE sale SET phase = ?, detail = COALESCE(?, detail), updated_us = ? WHERE id = ?",
                         (phase.value, detail, now, sale_id))
        return True

    def add_attempt(self, reference: str, attempt: Attempt, at: datetime) -> None:
        """Record a payment attempt (its invoice, amount and expiry); an open sale then awaits payment.

        The same invoice twice is kept once."""
        if not isinstance(attempt, Attempt):
            raise TypeError(f"attempt must be an Attempt, got {type(attempt).__name__}")
        now = to_us(at, "at")
        with self._tx(f"record an attempt of {reference}") as conn:
            sale_id, _, session_id = sale_head(conn, reference)
            schema.check_same_session(reference, session_id, attempt.session_id)
            last = conn.execute("SELECT seq, invoice FROM attempt WHERE sale_id = ? ORDER BY seq DESC LIMIT 1",
                                (sale_id,)).fetchone()
            if last is not None and last[1] == attempt.invoice:
                return
            conn.execute(
                "INSERT INTO attempt (sale_id, seq, invoice, amount_msat, expires_us, created_us) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (sale_id, 1 if last is None else last[0] + 1, attempt.invoice, attempt.amount_msat,
                 to_us(attempt.expires_at, "expires_at"), now))
            # An open sale with an invoice awaits payment: recorded in the same write.
            conn.execute("UPDATE sale SET amount_msat = ?, session_id = ?, updated_us = ?, phase = CASE WHEN phase "
                         "IN (?, ?) THEN ? ELSE phase END WHERE id = ?",
                         (attempt.amount_msat, attempt.session_id, now, Phase.CREATING_SESSION.value,
                          Phase.CREATING_ATTEMPT.value, Phase.AWAITING_PAYMENT.value, sale_id))

    def record_status(self, reference: str, status: SessionStatus, at: datetime) -> bool:
        """Keep a status answer if its status text or ``paid_at`` differs from the last one kept.

        Returns whether it wrote (most polls repeat the last answer and cost nothing).
        """
        paid_us = None if status.paid_at is None else to_us(status.paid_at, "paid_at")
        now = to_us(at, "at")
        with self._tx(f"record a status of {reference}") as conn:
            sale_id, _, session_id = sale_head(conn, reference)
            schema.check_same_session(reference, session_id, status.session_id)
            last = conn.execute("SELECT seq, status, paid_at_us FROM status WHERE sale_id = ? "
                                "ORDER BY seq DESC LIMIT 1", (sale_id,)).fetchone()
            if last is not None and (last[1], last[2]) == (status.status, paid_us):
                return False
            conn.execute("INSERT INTO status (sale_id, seq, status, paid_at_us, seen_us) VALUES (?, ?, ?, ?, ?)",
                         (sale_id, 1 if last is None else last[0] + 1, status.status, paid_us, now))
        return True

    def mark_paid(self, reference: str, *, paid_at: datetime, amount_msat: int | None, late: bool, at: datetime,
                  print_copies: tuple[str, ...], till_line: str | None) -> bool:
        """Record the payment with its print jobs and till line, all in one transaction.

        Returns True when it recorded the payment; False (changing nothing) when the sale was already
        paid, so calling it again never queues a second receipt or till message.
        """
        paid_us = to_us(paid_at, "paid_at")
        if amount_msat is not None and (type(amount_msat) is not int or amount_msat <= 0):
            raise ValueError(f"amount_msat must be a positive whole number or None, got {amount_msat!r}")
        for copy in print_copies:
            schema.check_text(copy, "print copy")
        schema.check_line(till_line)
        now = to_us(at, "at")
        with self._tx(f"record the payment of {reference}") as conn:
            sale_id, current, _ = sale_head(conn, reference)
            if current is Phase.PAID:
                log.info("journal: %s is already recorded as paid", reference)
                return False
            conn.execute(
                "UPDATE sale SET phase = ?, paid_at_us = ?, amount_msat = COALESCE(?, amount_msat), late = ?, "
                "updated_us = ? WHERE id = ?", (Phase.PAID.value, paid_us, amount_msat, int(bool(late)), now, sale_id))
            conn.executemany("INSERT INTO print_job (sale_id, copy, created_us) VALUES (?, ?, ?)",
                             [(sale_id, copy, now) for copy in print_copies])
            if till_line is not None:
                insert_till_line(conn, sale_id, till_line, final=True, now=now)
        return True

    def end_sale(self, reference: str, phase: Phase, at: datetime, *, detail: str | None = None,
                 till_line: str | None = None) -> bool:
        """End an unpaid sale as EXPIRED, CANCELLED, BLOCKED or ERROR, queueing the till line with it.

        A sale that has already ended (above all, a paid one) is left exactly as it is and no till line
        is queued. Returns whether it wrote.
        """
        if phase not in _ENDING_PHASES:
            raise ValueError(f"end_sale ends a sale as expired, cancelled, blocked or error, not {phase.value}")
        detail = schema.clip(detail)
        schema.check_line(till_line)
        now = to_us(at, "at")
        with self._tx(f"record the end of {reference}") as conn:
            sale_id, current, _ = sale_head(conn, reference)
            if current.is_final:
                level = logging.WARNING if current is Phase.PAID else logging.INFO
                log.log(level, "journal: %s is already %s; not ending it as %s", reference, current.value,
                        phase.value)
                return False
            conn.execute("UPDATE sale SET phase = ?, ended_as = ?, detail = COALESCE(?, detail), updated_us = ? "
                         "WHERE id = ?", (phase.value, phase.value, detail, now, sale_id))
            if till_line is not None:
                insert_till_line(conn, sale_id, till_line, final=True, now=now)
        return True

    def queue_till_message(self, reference: str, line: str, at: datetime) -> TillMessage:
        """Queue an intermediate (non-final) event line for the till."""
        schema.check_line(line)
        now = to_us(at, "at")
        with self._tx(f"queue a till message for {reference}") as conn:
            sale_id, _, _ = sale_head(conn, reference)
            message_id = insert_till_line(conn, sale_id, line, final=False, now=now)
        return TillMessage(message_id=message_id, reference=reference, line=line, created_at=from_us(now))

    # --- reading ------------------------------------------------------------------------------------

    def get(self, reference: str) -> SaleRecord | None:
        """The sale with its attempts and statuses, or None if there is none."""
        return next(iter(self._sales("WHERE reference = ?", (reference,))), None)

    def unfinished(self) -> list[SaleRecord]:
        """Sales that may still be paid (open phases), oldest first: to finish after a restart."""
        marks = ", ".join("?" * len(OPEN_PHASES))
        return self._sales(f"WHERE phase IN ({marks}) ORDER BY created_us, id",
                           tuple(sorted(p.value for p in OPEN_PHASES)))

    def last_paid(self) -> SaleRecord | None:
        """The most recently paid sale, or None."""
        return next(iter(self._sales("WHERE phase = ? ORDER BY paid_at_us DESC, id DESC LIMIT 1",
                                     (Phase.PAID.value,))), None)

    def sales_on(self, day: date, tz: tzinfo) -> list[SaleRecord]:
        """Sales created on ``day`` in the zone ``tz``, oldest first."""
        start = datetime.combine(day, time(0), tz)
        end = datetime.combine(day + timedelta(days=1), time(0), tz)
        return self.sales_between(start, end)

    def sales_between(self, start: datetime, end: datetime) -> list[SaleRecord]:
        """Sales created at or after ``start`` and before ``end``, oldest first."""
        return self._sales("WHERE created_us >= ? AND created_us < ? ORDER BY created_us, id",
                           (to_us(start, "start"), to_us(end, "end")))

    def _sales(self, where: str, params: tuple[object, ...]) -> list[SaleRecord]:
        with self._tx("read sales", write=False) as conn:
            rows = conn.execute(f"SELECT {SALE_COLUMNS} FROM sale {where}", params).fetchall()
            try:
                return [schema.load_sale(conn, row) for row in rows]
            except ValueError as exc:  # an enum value this release does not know
                raise StoreError(f"the journal holds a value this release cannot read: {exc}") from exc

    # --- Z report -----------------------------------------------------------------------------------

    def close_day(self, day: date, at: datetime) -> bool:
        """Record that ``day`` is closed (Z report). False if it was closed already."""
        now = to_us(at, "at")
        with self._tx(f"close {day.isoformat()}") as conn:
            cursor = conn.execute("INSERT OR IGNORE INTO day_close (day, closed_us) VALUES (?, ?)",
                                  (day.isoformat(), now))
            return cursor.rowcount == 1

    def closed_at(self, day: date) -> datetime | None:
        """When ``day`` was closed, or None."""
        with self._tx("read day closes", write=False) as conn:
            row = conn.execute("SELECT closed_us FROM day_close WHERE day = ?", (day.isoformat(),)).fetchone()
        return None if row is None else from_us(row[0])
