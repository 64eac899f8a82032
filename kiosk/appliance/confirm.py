"""The kiosk's side of an update: on READY it records which environment runs, which is how
``kiosk update`` (:mod:`kiosk.appliance.update`) tells a new version that came up from one that did not."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path

from kiosk import __version__

log = logging.getLogger(__name__)

RUNNING = "running.json"
"""In the kiosk's state folder: ``{"prefix": <environment, symlinks resolved>, "version", "at"}``."""


def confirm_running(state_dir: Path, prefix: str | None = None) -> None:
    """Record that this environment reached READY. Never raises: a kiosk that cannot write it still
    runs (an update in progress is then rolled back by the updater, which is the safe side)."""
    record = {"prefix": os.path.realpath(prefix or sys.prefix), "version": __version__, "at": time.time()}
    try:
        partial = state_dir / (RUNNING + ".partial")
        partial.write_text(json.dumps(record), encoding="utf-8")
        partial.replace(state_dir / RUNNING)
    except OSError as exc:
        log.warning("cannot record that this version runs (%s): an update in progress would be rolled back", exc)
