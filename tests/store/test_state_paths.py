"""Where the journal lives: systemd's state directory, the XDG data directory, or --state-dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.errors import StoreError
from kiosk.store.paths import default_state_dir, ensure_state_dir, journal_path, resolve_state_dir


def test_systemd_state_directory_wins() -> None:
    env = {"STATE_DIRECTORY": "/var/lib/kiosk", "XDG_DATA_HOME": "/home/pi/.data", "HOME": "/home/pi"}
    assert default_state_dir(env) == Path("/var/lib/kiosk")


def test_the_first_of_several_systemd_directories_is_ours() -> None:
    assert default_state_dir({"STATE_DIRECTORY": "/var/lib/kiosk:/var/lib/other"}) == Path("/var/lib/kiosk")


def test_xdg_data_home_is_next() -> None:
    assert default_state_dir({"XDG_DATA_HOME": "/home/pi/.data", "HOME": "/home/pi"}) == Path("/home/pi/.data/kiosk")


@pytest.mark.parametrize("env", [{"HOME": "/home/pi"}, {"STATE_DIRECTORY": "", "XDG_DATA_HOME": "", "HOME": "/home/pi"},
                                 {"XDG_DATA_HOME": "relative/dir", "HOME": "/home/pi"}])
def test_otherwise_the_home_data_directory(env: dict[str, str]) -> None:
    assert default_state_dir(env) == Path("/home/pi/.local/share/kiosk")


def test_state_dir_option_overrides_everything() -> None:
    env = {"STATE_DIRECTORY": "/var/lib/kiosk"}
    assert resolve_state_dir("/srv/kiosk", env) == Path("/srv/kiosk")
    assert resolve_state_dir(None, env) == Path("/var/lib/kiosk")
    assert resolve_state_dir("  ", env) == Path("/var/lib/kiosk")


def test_journal_file_and_directory_creation(tmp_path: Path) -> None:
    state = ensure_state_dir(tmp_path / "a" / "b")
    assert state.is_dir() and (state.stat().st_mode & 0o777) == 0o700
    assert journal_path(state) == state / "journal.sqlite3"


def test_a_file_in_the_way_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "state").write_text("x")
    with pytest.raises(StoreError, match="not a directory"):
        ensure_state_dir(tmp_path / "state")
