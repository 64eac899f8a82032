"""Where the kiosk keeps its state (the sales journal).

Order of precedence:

1. ``--state-dir`` on the command line (the caller passes it to :func:`resolve_state_dir`);
2. ``$STATE_DIRECTORY``, set by systemd from ``StateDirectory=`` (``/var/lib/kiosk`` on the
   appliance); when several directories are configured it is ``:``-separated and the first is ours;
3. ``$XDG_DATA_HOME/kiosk`` when ``XDG_DATA_HOME`` is an absolute path (the XDG spec says to ignore
   a relative one);
4. ``~/.local/share/kiosk``.

The directory and everything the journal writes into it are the kiosk's alone (0700 and 0600), also
outside systemd (whose ``UMask=0077`` does this for the service) and whatever the umask of the shell
that started a command: sales and their invoices are the shop's business.
"""

from __future__ import annotations

import logging
import os
import stat
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path

from kiosk.errors import StoreError

log = logging.getLogger(__name__)

APP_DIR_NAME = "kiosk"
JOURNAL_FILE_NAME = "journal.sqlite3"
SQLITE_SIDE_SUFFIXES = ("-wal", "-shm", "-journal")
"""The files SQLite keeps next to a database; it gives them the database file's permissions."""


def default_state_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """The state directory when none is given on the command line (see the module docstring)."""
    systemd_dirs = environ.get("STATE_DIRECTORY", "")
    first = systemd_dirs.split(":", 1)[0].strip()
    if first:
        return Path(first)
    xdg = environ.get("XDG_DATA_HOME", "").strip()
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / APP_DIR_NAME
    home = environ.get("HOME", "").strip()
    base = Path(home) if home else Path.home()
    return base / ".local" / "share" / APP_DIR_NAME


def resolve_state_dir(override: str | Path | None, environ: Mapping[str, str] = os.environ) -> Path:
    """``override`` (from ``--state-dir``) when given and not empty, else :func:`default_state_dir`."""
    if override is not None and str(override).strip():
        return Path(override).expanduser()
    return default_state_dir(environ)


def journal_path(state_dir: Path) -> Path:
    """The journal file inside ``state_dir``."""
    return state_dir / JOURNAL_FILE_NAME


def ensure_state_dir(state_dir: Path) -> Path:
    """Create ``state_dir`` (owner-only, 0700) if it is missing and return it.

    An existing directory that others may enter is left as it is, with a warning: it may be one that
    is not the kiosk's alone (``--state-dir /tmp``), whose mode is not ours to change. The journal's
    files in it are private all the same (:func:`make_private`).

    Raises:
        StoreError: one line, ``cannot create the state directory DIR: REASON``, or the path is a file.
    """
    try:
        state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise StoreError(f"state directory {state_dir} exists but is not a directory") from exc
    except OSError as exc:
        raise StoreError(f"cannot create the state directory {state_dir}: {exc.strerror or exc}") from exc
    try:
        mode = stat.S_IMODE(state_dir.stat().st_mode)
    except OSError:
        return state_dir
    if mode & 0o077:
        log.warning("the state directory %s may be entered by other users (mode %04o); if it is the kiosk's "
                    "alone: chmod 700 %s", state_dir, mode, state_dir)
    return state_dir


def reading_uri(db_path: Path, *, dir_writable: bool | None = None) -> str:
    """A SQLite URI that opens ``db_path`` read-only, also where nothing may be written next to it.

    ``mode=ro`` reads a journal in WAL mode, including sales still in its write-ahead log, but it
    needs the ``-wal`` and ``-shm`` files or a directory where it may create them. Where the directory
    cannot be written (a read-only mount, a write-protected card; ``dir_writable`` None asks
    ``os.access``) and no ``-wal`` file exists, the journal was closed cleanly and nothing waits in a
    log, so it is opened ``immutable``: SQLite then reads the file alone and takes no locks. With a
    ``-wal`` file present it is never immutable, which would silently miss the sales in the log.
    """
    if dir_writable is None:
        dir_writable = os.access(db_path.parent, os.W_OK)
    uri = "file:" + urllib.parse.quote(str(db_path.absolute())) + "?mode=ro"
    if not dir_writable and not db_path.with_name(db_path.name + "-wal").exists():
        uri += "&immutable=1"
    return uri


def make_private(db_path: Path) -> None:
    """Create the database file ``db_path`` empty with mode 0600 if it is missing, else tighten it to 0600.

    SQLite gives the write-ahead log and its index the permissions of the database file, so they are
    private from their start. Files an older release left readable are tightened too; a file another
    user owns (who may not be changed) is logged and left as it is.
    """
    fd = os.open(db_path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        _tighten(db_path, lambda: os.fchmod(fd, 0o600))
    finally:
        os.close(fd)
    for suffix in SQLITE_SIDE_SUFFIXES:
        side = db_path.with_name(db_path.name + suffix)
        _tighten(side, lambda side=side: side.chmod(0o600))  # type: ignore[misc]


def _tighten(path: Path, chmod: Callable[[], None]) -> None:
    try:
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            chmod()
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.warning("cannot make %s private (mode 0600): %s", path, exc.strerror)
