"""The journal's directory and files are the kiosk's alone, whatever the umask of whoever started it."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from store_helpers import new_sale

from kiosk.store.journal import Journal


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """A shell's usual umask (022), under which new files are readable by every user."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.usefixtures("permissive_umask")
def test_a_new_journal_is_private_even_under_a_permissive_umask(tmp_path: Path) -> None:
    path = tmp_path / "state" / "journal.sqlite3"

    with Journal(path) as journal:
        new_sale(journal)  # the write-ahead log and its index exist while the journal is open
        files = {p.name: mode(p) for p in path.parent.iterdir()}

    assert mode(path.parent) == 0o700
    assert files == {"journal.sqlite3": 0o600, "journal.sqlite3-wal": 0o600, "journal.sqlite3-shm": 0o600}
    assert mode(path) == 0o600


@pytest.mark.usefixtures("permissive_umask")
def test_a_journal_left_readable_by_an_older_release_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with Journal(path) as journal:
        new_sale(journal)
    path.chmod(0o644)

    with Journal(path) as journal:
        assert journal.get("K1-20261128-0001") is not None
        assert {mode(p) for p in tmp_path.iterdir()} == {0o600}
