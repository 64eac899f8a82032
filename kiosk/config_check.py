"""Checks the settings sections share, and how an error shows the value it refuses."""

from __future__ import annotations

from kiosk.errors import ConfigError


def show(value: object) -> str:
    """``value`` as a config error repeats it: texts in quotes, tables and lists by kind."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def require(ok: bool, section: str, name: str, expected: str, got: object) -> None:
    """Raise ``[section] name: expected ..., got ...`` unless ``ok``."""
    if not ok:
        raise ConfigError(f"[{section}] {name}: expected {expected}, got {show(got)}")
