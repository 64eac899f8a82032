"""What several commands share: the settings, the state directory, the journal and the API key."""

from __future__ import annotations

import argparse
from pathlib import Path

from kiosk.config import Settings, load_settings, read_api_key
from kiosk.errors import ConfigError, KioskError
from kiosk.store.journal import Journal


def settings(args: argparse.Namespace) -> Settings:
    return load_settings(args.config)


def state_dir(args: argparse.Namespace, *, demo: bool = False) -> Path:
    from kiosk.store.paths import default_state_dir

    base: Path = args.state_dir or default_state_dir()
    return base / "demo" if demo and args.state_dir is None else base


def journal(args: argparse.Namespace, *, read_only: bool = False) -> Journal:
    """The journal in the state directory (it must exist: the tools never create one); ``read_only``
    opens it so that nothing is created or changed (it works on a read-only file system)."""
    path = state_dir(args) / "journal.sqlite3"
    if not path.exists():
        raise KioskError(f"no sales journal at {path} (use --state-dir to point at another)")
    return Journal(path, read_only=read_only)


def api_key(settings: Settings) -> str:
    key = read_api_key(settings.mion)
    if key is None:
        raise ConfigError(f"no Mion API key: set {settings.mion.api_key_env} or [mion] api_key_file")
    return key
