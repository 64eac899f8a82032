"""The CLI's reports read a journal they may not write: a write-protected card, a read-only mount.

``Journal(path, read_only=True)`` opens SQLite with ``mode=ro``. In WAL mode that still needs the
``-wal`` and ``-shm`` files, or a directory to create them in; where there is neither, the journal was
closed cleanly (nothing is waiting in a write-ahead log) and is opened ``immutable``.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from read_only_mount import run_with_read_only, why_not_available
from store_helpers import T0, new_sale

from kiosk.errors import StoreError
from kiosk.store import schema
from kiosk.store.journal import Journal
from kiosk.store.paths import ensure_state_dir, reading_uri

READ_SALES = """
import json, sys
from datetime import UTC, date
from pathlib import Path
from kiosk.errors import StoreError
from kiosk.store.journal import Journal
try:
    with Journal(Path(sys.argv[1]), read_only=True) as journal:
        print(json.dumps([s.reference for s in journal.sales_on(date(2026, 11, 28), UTC)]))
except StoreError as exc:
    print("StoreError:", exc)
"""


def filled(path: Path, count: int = 2) -> Path:
    with Journal(path) as journal:
        for n in range(1, count + 1):
            new_sale(journal, reference=f"K1-20261128-000{n}")
    return path


def test_a_read_only_journal_reads_and_refuses_every_write(tmp_path: Path) -> None:
    path = filled(tmp_path / "journal.sqlite3")
    before = path.read_bytes()

    with Journal(path, read_only=True) as journal:
        assert [s.reference for s in journal.sales_on(date(2026, 11, 28), T0.tzinfo)] == [  # type: ignore[arg-type]
            "K1-20261128-0001", "K1-20261128-0002"]
        with pytest.raises(StoreError, match="read-only|readonly"):
            journal.close_day(date(2026, 11, 28), T0)

    assert path.read_bytes() == before


def test_reading_a_journal_that_is_not_there_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no journal at"):
        Journal(tmp_path / "journal.sqlite3", read_only=True).open()
    assert list(tmp_path.iterdir()) == []


def test_a_read_only_journal_of_another_schema_version_is_one_line(tmp_path: Path) -> None:
    path = filled(tmp_path / "journal.sqlite3")
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {schema.CURRENT_VERSION - 1}")
    conn.close()

    with pytest.raises(StoreError, match=f"schema version {schema.CURRENT_VERSION - 1}.*can be written"):
        Journal(path, read_only=True).open()


def test_the_way_of_opening_follows_what_the_directory_allows(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    assert reading_uri(path, dir_writable=True).endswith("?mode=ro")
    assert reading_uri(path, dir_writable=False).endswith("?mode=ro&immutable=1")  # no log waiting: safe
    (tmp_path / "journal.sqlite3-wal").write_bytes(b"")
    assert reading_uri(path, dir_writable=False).endswith("?mode=ro")  # the log may hold sales: read it
    odd = tmp_path / "a dir?#%" / "journal.sqlite3"
    assert reading_uri(odd, dir_writable=True) == f"file:{tmp_path}/a%20dir%3F%23%25/journal.sqlite3?mode=ro"


@pytest.fixture
def read_only_mounts() -> None:
    reason = why_not_available()
    if reason:
        pytest.skip(reason)


@pytest.mark.usefixtures("read_only_mounts")
def test_a_journal_on_a_read_only_file_system_is_read(tmp_path: Path) -> None:
    state = tmp_path / "state"
    path = filled(state / "journal.sqlite3")
    assert sorted(p.name for p in state.iterdir()) == ["journal.sqlite3"]  # closed cleanly: no log left

    done = run_with_read_only(state, READ_SALES, str(path))

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ["K1-20261128-0001", "K1-20261128-0002"]


@pytest.mark.usefixtures("read_only_mounts")
def test_sales_still_in_the_write_ahead_log_are_read_from_a_read_only_file_system(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with Journal(state / "journal.sqlite3") as running_kiosk:  # holds the log open, as the kiosk does
        new_sale(running_kiosk, reference="K1-20261128-0001")
        new_sale(running_kiosk, reference="K1-20261128-0002")
        assert (state / "journal.sqlite3-wal").stat().st_size > 0

        done = run_with_read_only(state, READ_SALES, str(state / "journal.sqlite3"))

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ["K1-20261128-0001", "K1-20261128-0002"]


@pytest.mark.usefixtures("read_only_mounts")
def test_a_state_directory_on_a_read_only_file_system_is_one_line(tmp_path: Path) -> None:
    code = ("import sys; from pathlib import Path; from kiosk.store.paths import ensure_state_dir\n"
            "from kiosk.errors import StoreError\n"
            "try:\n    ensure_state_dir(Path(sys.argv[1]))\nexcept StoreError as exc:\n    print(exc)\n")

    done = run_with_read_only(tmp_path, code, str(tmp_path / "kiosk" / "state"))

    assert done.returncode == 0, done.stderr
    assert done.stdout == f"cannot create the state directory {tmp_path / 'kiosk' / 'state'}: Read-only file system\n"


def test_an_existing_state_directory_others_may_read_is_reported_not_changed(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)  # perhaps /tmp or a home directory given as --state-dir: not ours to change

    assert ensure_state_dir(shared) == shared

    assert (shared.stat().st_mode & 0o777) == 0o755
    assert "chmod 700" in caplog.text and str(shared) in caplog.text
