"""The journal's tables, how an older file is brought up to date, and how rows become records.

The schema version lives in ``PRAGMA user_version``. ``MIGRATIONS[n]`` takes a file from version
``n`` to ``n + 1``; a new version only ever appends to that list, it never edits an old step, so any
journal that was ever written can be opened by any later release.

Layout choices, made to keep writes on the SD card small:

* Times are integer microseconds since the Unix epoch, UTC (8 bytes instead of a 32-byte ISO text).
* Child rows (attempts, statuses) live in ``WITHOUT ROWID`` tables keyed by ``(sale_id, seq)``. Sale
  ids only grow, so a new child row lands on the rightmost leaf page: one page per write, no index.
* ``sale`` has exactly two indexes (the unique reference and the creation time); its phase is not
  indexed, because every phase change would then rewrite an index page as well.
* The two outboxes (print jobs, till messages) hold only what is still to be done: a delivered row is
  deleted, and the sale keeps the fact (``receipt_printed_at``, ``till_notified_at``). Reading the
  outbox therefore never scans history. Their ids are AUTOINCREMENT so that an id is never handed out
  again after its row is deleted: a worker holding a stale id must not mark someone else's job done.

Nothing here has room for a secret: there is no column for keys, headers, URLs or request bodies.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from datetime import UTC, datetime, timedelta

from kiosk.core.model import Phase, SaleSource
from kiosk.errors import StoreError
from kiosk.store.records import AttemptRecord, SaleRecord, StatusRecord

log = logging.getLogger(__name__)

_V1 = (
    """
    CREATE TABLE sale (
        id                 INTEGER PRIMARY KEY,
        reference          TEXT    NOT NULL UNIQUE,
        amount_cents       INTEGER NOT NULL CHECK (amount_cents > 0),
        source             TEXT    NOT NULL,
        phase              TEXT    NOT NULL,
        created_us         INTEGER NOT NULL,
        updated_us         INTEGER NOT NULL,
        session_id         TEXT,
        paid_at_us         INTEGER,
        amount_msat        INTEGER CHECK (amount_msat IS NULL OR amount_msat > 0),
        detail             TEXT,
        late               INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1)),
        receipt_printed_us INTEGER,
        till_notified_us   INTEGER
    )
    """,
    "CREATE INDEX sale_created ON sale (created_us)",
    """
    CREATE TABLE attempt (
        sale_id     INTEGER NOT NULL REFERENCES sale (id),
        seq         INTEGER NOT NULL,
        invoice     TEXT    NOT NULL,
        amount_msat INTEGER NOT NULL CHECK (amount_msat > 0),
        expires_us  INTEGER NOT NULL,
        created_us  INTEGER NOT NULL,
        PRIMARY KEY (sale_id, seq)
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE status (
        sale_id    INTEGER NOT NULL REFERENCES sale (id),
        seq        INTEGER NOT NULL,
        status     TEXT    NOT NULL,
        paid_at_us INTEGER,
        seen_us    INTEGER NOT NULL,
        PRIMARY KEY (sale_id, seq)
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE print_job (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        sale_id     INTEGER NOT NULL REFERENCES sale (id),
        copy        TEXT    NOT NULL,
        created_us  INTEGER NOT NULL,
        tries       INTEGER NOT NULL DEFAULT 0,
        last_error  TEXT,
        last_try_us INTEGER
    )
    """,
    """
    CREATE TABLE till_message (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        sale_id    INTEGER NOT NULL REFERENCES sale (id),
        line       TEXT    NOT NULL,
        final      INTEGER NOT NULL CHECK (final IN (0, 1)),
        created_us INTEGER NOT NULL
    )
    """,
    """
    CREATE TABLE reference_counter (
        terminal_id TEXT    NOT NULL,
        day         TEXT    NOT NULL,
        last_number INTEGER NOT NULL,
        PRIMARY KEY (terminal_id, day)
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE day_close (
        day       TEXT    NOT NULL PRIMARY KEY,
        closed_us INTEGER NOT NULL
    ) WITHOUT ROWID
    """,
)

MAX_TEXT_CHARS = 500
"""Longest detail/error text kept; longer texts are cut (they come from exception messages)."""
_REFERENCE = re.compile(r"[\x21-\x7e]{1,64}")  # printable ASCII, no spaces: Mion and the till both see it

_V2 = (
    # A random mark of this journal, put into every generated sale reference. Should the journal be
    # lost and its counters start again at 0001, the new references still differ from the old ones,
    # so a lookup by reference at Mion can never find an older sale's (perhaps paid) session.
    "CREATE TABLE journal_mark (mark TEXT NOT NULL)",
    "INSERT INTO journal_mark (mark) VALUES (upper(hex(randomblob(2))))",
)

_V3 = (
    # How many times a send of the job to the printer began. More sends begun than failures recorded
    # means a send was cut short (power, kill) and the slip may be out: the next one says "duplicate".
    "ALTER TABLE print_job ADD COLUMN started INTEGER NOT NULL DEFAULT 0",
)

_V4 = (
    # The customer's tip (``[tips]``), in cents, as part of ``amount_cents`` (which stays what was charged).
    "ALTER TABLE sale ADD COLUMN tip_cents INTEGER NOT NULL DEFAULT 0 CHECK (tip_cents >= 0)",
)

_V5 = (
    # The ZVT terminal's trace and receipt numbers, end-of-day totals and the paid status the till has
    # not answered yet (kiosk.store.zvt_book): one row, so they survive a restart.
    """
    CREATE TABLE zvt_counter (
        id             INTEGER PRIMARY KEY CHECK (id = 1),
        trace          INTEGER NOT NULL DEFAULT 0,
        receipt        INTEGER NOT NULL DEFAULT 0,
        last_reference TEXT,
        last_receipt   INTEGER NOT NULL DEFAULT 0,
        day_count      INTEGER NOT NULL DEFAULT 0,
        day_cents      INTEGER NOT NULL DEFAULT 0,
        unanswered     TEXT
    )
    """,
    "INSERT INTO zvt_counter (id) VALUES (1)",
)

_V6 = (
    # The outcome a sale first ended with (expired, cancelled, blocked, error), kept when a late payment
    # then makes it paid: the metrics count each sale once, by that first outcome (docs/fleet/README.md).
    # NULL for a sale that never ended unpaid. Sales ended before this version get their phase; a late
    # payment from before it is recorded as expired, the way earlier releases counted it.
    "ALTER TABLE sale ADD COLUMN ended_as TEXT",
    "UPDATE sale SET ended_as = phase WHERE phase IN ('expired', 'cancelled', 'blocked', 'error')",
    "UPDATE sale SET ended_as = 'expired' WHERE phase = 'paid' AND late = 1",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2, _V3, _V4, _V5, _V6)
"""``MIGRATIONS[n]`` are the statements that take a journal from version ``n`` to ``n + 1``."""

CURRENT_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, migrations: tuple[tuple[str, ...], ...] = MIGRATIONS) -> int:
    """Bring the journal on ``conn`` to the last version of ``migrations`` in one transaction.

    ``conn`` must be in autocommit mode (``isolation_level=None``). Two processes may open the same
    file at once: the version is read again under the write lock, so only one of them migrates.

    Returns:
        The version the file had before.

    Raises:
        StoreError: the file was written by a newer release (its version is above ours).
    """
    target = len(migrations)
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if found > target:
            raise StoreError(
                f"the journal has schema version {found}, this release knows only up to "
                f"{target}: update the kiosk software, do not delete the journal"
            )
        for version in range(found, target):
            for statement in migrations[version]:
                conn.execute(statement)
            log.info("journal schema migrated from version %d to %d", version, version + 1)
        if found != target:
            # PRAGMA takes no parameters; the value is our own integer.
            conn.execute(f"PRAGMA user_version = {target:d}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return found


# --- times ------------------------------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)


def to_us(moment: datetime, what: str = "time") -> int:
    """``moment`` as integer microseconds since the epoch (UTC); it must be timezone-aware."""
    if not isinstance(moment, datetime):
        raise TypeError(f"{what} must be a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got the naive {moment.isoformat()}")
    return (moment - _EPOCH) // _ONE_US


def from_us(value: int) -> datetime:
    """The aware UTC datetime stored as ``value`` microseconds since the epoch."""
    return _EPOCH + value * _ONE_US


def maybe_from_us(value: int | None) -> datetime | None:
    """:func:`from_us`, passing ``None`` through."""
    return None if value is None else from_us(value)


# --- rows -> records ----------------------------------------------------------------------------------

SALE_COLUMNS = (
    "id, reference, amount_cents, source, phase, created_us, updated_us, session_id, paid_at_us, "
    "amount_msat, detail, late, receipt_printed_us, till_notified_us, tip_cents, ended_as"
)
"""The ``sale`` columns in the order :func:`sale_from_row` expects."""


def sale_from_row(
    row: tuple[object, ...], attempts: tuple[AttemptRecord, ...], statuses: tuple[StatusRecord, ...]
) -> SaleRecord:
    """A :class:`SaleRecord` from a ``SELECT {SALE_COLUMNS}`` row and its child records."""
    (_, reference, amount_cents, source, phase, created_us, updated_us, session_id, paid_at_us,
     amount_msat, detail, late, printed_us, notified_us, tip_cents, ended_as) = row
    return SaleRecord(
        reference=str(reference),
        amount_cents=_int(amount_cents),
        source=SaleSource(source),
        phase=Phase(phase),
        created_at=from_us(_int(created_us)),
        updated_at=from_us(_int(updated_us)),
        session_id=None if session_id is None else str(session_id),
        paid_at=maybe_from_us(_opt_int(paid_at_us)),
        amount_msat=_opt_int(amount_msat),
        detail=None if detail is None else str(detail),
        late=bool(late),
        receipt_printed_at=maybe_from_us(_opt_int(printed_us)),
        till_notified_at=maybe_from_us(_opt_int(notified_us)),
        attempts=attempts,
        statuses=statuses,
        tip_cents=_int(tip_cents),
        ended_as=None if ended_as is None else Phase(ended_as),
    )


def attempt_from_row(row: tuple[object, ...]) -> AttemptRecord:
    """An :class:`AttemptRecord` from ``(invoice, amount_msat, expires_us, created_us)``."""
    invoice, amount_msat, expires_us, created_us = row
    return AttemptRecord(invoice=str(invoice), amount_msat=_int(amount_msat),
                         expires_at=from_us(_int(expires_us)), created_at=from_us(_int(created_us)))


def status_from_row(row: tuple[object, ...]) -> StatusRecord:
    """A :class:`StatusRecord` from ``(status, paid_at_us, seen_us)``."""
    status, paid_at_us, seen_us = row
    return StatusRecord(status=str(status), paid_at=maybe_from_us(_opt_int(paid_at_us)),
                        seen_at=from_us(_int(seen_us)))


def _int(value: object) -> int:
    if not isinstance(value, int):
        raise StoreError(f"the journal holds {value!r} where a whole number belongs")
    return value


def _opt_int(value: object) -> int | None:
    return None if value is None else _int(value)


def load_sale(conn: sqlite3.Connection, row: tuple[object, ...]) -> SaleRecord:
    """The sale in ``row`` (``SELECT {SALE_COLUMNS}``) with its attempts and statuses, read on ``conn``."""
    sale_id = row[0]
    attempts = conn.execute("SELECT invoice, amount_msat, expires_us, created_us FROM attempt "
                            "WHERE sale_id = ? ORDER BY seq", (sale_id,)).fetchall()
    statuses = conn.execute("SELECT status, paid_at_us, seen_us FROM status WHERE sale_id = ? ORDER BY seq",
                            (sale_id,)).fetchall()
    return sale_from_row(row, tuple(map(attempt_from_row, attempts)), tuple(map(status_from_row, statuses)))


# --- what the journal accepts -------------------------------------------------------------------------

def check_same_session(reference: str, recorded: str | None, given: str) -> None:
    """Refuse Mion data for another session than the one the sale already has."""
    if recorded is not None and recorded != given:
        raise StoreError(f"sale {reference} belongs to session {recorded}, not {given}")


def check_reference(reference: str) -> None:
    """Refuse a reference that Mion or the till could not carry verbatim."""
    if not isinstance(reference, str) or not _REFERENCE.fullmatch(reference):
        raise ValueError(f"a reference is 1 to 64 printable ASCII characters without spaces, got {reference!r}")


def check_text(value: str, what: str) -> None:
    """Refuse anything but one non-empty line of printable text."""
    if not isinstance(value, str) or not value.strip() or not value.isprintable():
        raise ValueError(f"{what} must be a non-empty single line of printable text, got {value!r}")


def check_line(line: str | None) -> None:
    """Refuse a till line that is not one printable line (``None`` means no line)."""
    if line is not None:
        check_text(line, "till line")


def clip(text: str | None) -> str | None:
    """``text`` cut to :data:`MAX_TEXT_CHARS` (exception texts can be long)."""
    if text is None:
        return None
    return text if len(text) <= MAX_TEXT_CHARS else text[: MAX_TEXT_CHARS - 1] + "…"
