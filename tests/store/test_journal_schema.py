"""The schema: created from nothing, versioned, migrated forward, refused when too new, free of secrets."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from store_helpers import INVOICE, at, new_sale, status

from kiosk.core.model import Phase
from kiosk.errors import StoreError
from kiosk.store import schema
from kiosk.store.journal import Journal

SAMPLE_KEY = "mion_live_sk_5f3b9c2e7a1d4e8f9b0c6a2d"
"""A made-up API key. The journal is never given it, so it must never appear in the file."""


def _tables(path: Path) -> dict[str, list[str]]:
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table' "
                                            "AND name NOT LIKE 'sqlite_%'")]
        return {n: [c[1] for c in conn.execute(f"PRAGMA table_info({n})")] for n in names}
    finally:
        conn.close()


def _user_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def test_an_empty_file_is_migrated_to_the_current_version(journal_path: Path) -> None:
    with Journal(journal_path):
        pass
    assert _user_version(journal_path) == schema.CURRENT_VERSION >= 1
    assert set(_tables(journal_path)) == {"sale", "attempt", "status", "print_job", "till_message",
                                          "reference_counter", "day_close", "journal_mark", "zvt_counter"}


def test_the_file_is_in_wal_mode(journal_path: Path) -> None:
    with Journal(journal_path):
        conn = sqlite3.connect(journal_path)
        try:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        finally:
            conn.close()


def test_migrating_again_changes_nothing(journal_path: Path) -> None:
    with Journal(journal_path) as j:
        new_sale(j)
    with Journal(journal_path) as j:
        sale = j.get("K1-20261128-0001")
        assert sale is not None and sale.phase is Phase.AWAITING_PAYMENT
    assert _user_version(journal_path) == schema.CURRENT_VERSION


def test_a_later_step_is_applied_on_top_of_existing_data(journal_path: Path) -> None:
    with Journal(journal_path) as j:
        new_sale(j)
    step = ("ALTER TABLE sale ADD COLUMN note TEXT", "UPDATE sale SET note = 'migrated'")
    conn = sqlite3.connect(journal_path, isolation_level=None)
    try:
        before = schema.migrate(conn, schema.MIGRATIONS + (step,))
        assert before == schema.CURRENT_VERSION
        assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.CURRENT_VERSION + 1
        assert conn.execute("SELECT reference, note FROM sale").fetchall() == [("K1-20261128-0001", "migrated")]
    finally:
        conn.close()


def test_a_failing_step_leaves_the_file_as_it_was(journal_path: Path) -> None:
    with Journal(journal_path):
        pass
    step = ("ALTER TABLE sale ADD COLUMN note TEXT", "THIS IS NOT SQL")
    conn = sqlite3.connect(journal_path, isolation_level=None)
    try:
        with pytest.raises(sqlite3.OperationalError):
            schema.migrate(conn, schema.MIGRATIONS + (step,))
        assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.CURRENT_VERSION
    finally:
        conn.close()
    assert "note" not in _tables(journal_path)["sale"]


def test_a_journal_from_a_newer_release_is_refused_untouched(journal_path: Path) -> None:
    with Journal(journal_path):
        pass
    conn = sqlite3.connect(journal_path)
    conn.execute(f"PRAGMA user_version = {schema.CURRENT_VERSION + 1}")
    conn.close()

    with pytest.raises(StoreError, match="update the kiosk software"):
        Journal(journal_path).open()
    assert _user_version(journal_path) == schema.CURRENT_VERSION + 1


def test_no_column_could_hold_a_secret(journal_path: Path) -> None:
    with Journal(journal_path):
        pass
    suspicious = ("key", "secret", "token", "auth", "password", "header", "url", "body")
    columns = [f"{t}.{c}" for t, cols in _tables(journal_path).items() for c in cols]
    assert [c for c in columns if any(word in c.lower() for word in suspicious)] == []


def test_the_file_holds_only_text_it_was_given(journal_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The key sits where the app keeps it (the environment); the journal is never handed it.
    monkeypatch.setenv("MION_API_KEY", SAMPLE_KEY)
    with Journal(journal_path) as j:
        ref = new_sale(j)
        j.record_status(ref, status("pending"), at(3))
        j.mark_paid(ref, paid_at=at(9), amount_msat=None, late=False, at=at(10), print_copies=("customer",),
                    till_line="PAID R")
        j.end_sale(ref, Phase.ERROR, at(11), detail="boom")
    raw = b"".join(p.read_bytes() for p in journal_path.parent.iterdir())
    assert SAMPLE_KEY.encode() not in raw
    assert b"MION_API_KEY" not in raw
    conn = sqlite3.connect(journal_path)
    try:
        texts = {value for table in _tables(journal_path) for row in conn.execute(f"SELECT * FROM {table}")
                 for value in row if isinstance(value, str)}
    finally:
        conn.close()
    given = {conn_mark(journal_path), ref, "keypad", "ps_1", INVOICE, "pending", "paid", "customer", "PAID R", "K1", "20261128"}
    assert texts <= given, texts - given


def conn_mark(path: Path) -> str:
    """The journal's random mark (the only text in it the kiosk did not get from outside)."""
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("SELECT mark FROM journal_mark").fetchone()[0])
    finally:
        conn.close()
