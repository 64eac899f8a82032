"""Where the kiosk keeps its state (the sales journal).

Order of precedence:

1. ``--state-dir`` on the command line (the caller passes it to :func:`resolve_state_dir`);
2. ``$STATE_DIRECTORY``, set by systemd from ``StateDirectory=`` (``/var/lib/kiosk`` on the
   appliance); when several directories are configured it is ``:``-separated and the first is ours;
3. ``$XDG_DATA_HOME/kiosk`` when ``XDG_DATA_HOME`` is an absolute path (the XDG spec says to ignore
   a relative one);
4. ``~/.local/share/kiosk``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from kiosk.errors import StoreError

log = logging.getLogger(__name__)

APP_DIR_NAME = "kiosk"
JOURNAL_FILE_NAME = "journal.sqlite3"


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

    Raises:
        StoreError: it cannot be created, or exists but is not a directory.
    """
    try:
        state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise StoreError(f"state directory {state_dir} exists but is not a directory") from exc
    except OSError as exc:
        raise StoreError(f"cannot create the state directory {state_dir}: {exc.strerror or exc}") from exc
    return state_dir
