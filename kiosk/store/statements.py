"""The journal's errors and the small statements its methods share, each run inside the caller's
transaction (see ``kiosk.store.journal``)."""

from __future__ import annotations

import sqlite3

from kiosk.core.model import Phase
from kiosk.errors import StoreError


class DuplicateReference(StoreError):
    """A sale with this reference is already in the journal."""


class UnknownReference(StoreError):
    """No sale with this reference is in the journal."""


class UnknownOutboxItem(StoreError):
    """No pending print job or till message has this id (it was done already, or never existed)."""


def sale_head(conn: sqlite3.Connection, reference: str) -> tuple[int, Phase, str | None]:
    row = conn.execute("SELECT id, phase, session_id FROM sale WHERE reference = ?", (reference,)).fetchone()
    if row is None:
        raise UnknownReference(f"no sale with reference {reference!r} is recorded")
    return row[0], Phase(row[1]), row[2]


def outbox_sale(conn: sqlite3.Connection, table: str, item_id: int) -> int:
    row = conn.execute(f"SELECT sale_id FROM {table} WHERE id = ?", (item_id,)).fetchone()
    if row is None:
        raise UnknownOutboxItem(f"no pending {table.replace('_', ' ')} with id {item_id}")
    return int(row[0])


def insert_till_line(conn: sqlite3.Connection, sale_id: int, line: str, *, final: bool, now: int) -> int:
    cursor = conn.execute("INSERT INTO till_message (sale_id, line, final, created_us) VALUES (?, ?, ?, ?)",
                          (sale_id, line, int(final), now))
    assert cursor.lastrowid is not None
    return cursor.lastrowid
