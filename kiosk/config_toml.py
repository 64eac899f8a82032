"""Reading the settings file: TOML text to the settings dataclasses, one setting at a time.

The mapping is generic: a table becomes the dataclass of its section, each value is converted to its
field's type (``bool``, ``int``, ``float``, ``str``, a tuple of texts, or a nested section), and the
first thing that does not fit stops with one line naming the setting. Range and meaning are checked
afterwards by each section's ``check()`` (``kiosk.config``).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import tomllib
import typing
from pathlib import Path
from typing import Any

from kiosk.config_check import BOUNDS, Bounds, got_text, looks_secret
from kiosk.errors import ConfigError

_UTF8_BOM = b"\xef\xbb\xbf"
_OTHER_BOMS = (  # UTF-32 first: its little-endian mark begins like UTF-16's
    (b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16"),
)
_SAVE_AS = 'save it as UTF-8 (in Notepad: "Save as", Encoding "UTF-8")'


def read_toml(path: Path) -> dict[str, Any]:
    """The TOML table in the file at ``path``.

    Raises:
        ConfigError: the file is missing, unreadable, not UTF-8 or not TOML; one line naming the file
            and, where there is one, the line and column.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {path} does not exist") from exc
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from exc
    text = decode(raw, path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    except ValueError as exc:  # tomllib lets Python's refusal of a number of thousands of digits through
        raise ConfigError(f"config file {path} is not valid TOML: a number has too many digits") from exc


def decode(raw: bytes, path: Path) -> str:
    """The text of a settings file, which TOML requires to be UTF-8.

    Editors save text in other ways too, so each gets one line naming the file and where it went
    wrong: Notepad's "UTF-8 with BOM" is accepted (the byte-order mark is dropped); "Unicode"
    (UTF-16, with or without a byte-order mark) and "ANSI" (Windows-1252 and the like, where ``ä`` or
    ``€`` are single bytes) are refused with the position of the first byte that gives them away.
    """
    raw = raw.removeprefix(_UTF8_BOM)
    for bom, name in _OTHER_BOMS:
        if raw.startswith(bom):
            raise ConfigError(f"config file {path} is {name} text, not UTF-8 (its byte-order mark at line 1, "
                              f"column 1 says so); {_SAVE_AS}")
    # UTF-16 without a byte-order mark: every ASCII character comes with a NUL byte, often long before
    # a byte that is not UTF-8 (which would point at the wrong place).
    nul = raw.find(b"\0")
    try:
        text = raw[:nul].decode("utf-8") if nul >= 0 else raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path} is not UTF-8 text: byte 0x{raw[exc.start]:02X} at "
                          f"{_position(raw, exc.start)} (saved as \"ANSI\"?); {_SAVE_AS}") from exc
    if nul >= 0:
        raise ConfigError(f"config file {path} is not UTF-8 text: a NUL byte at {_position(raw, nul)} "
                          f"(saved as UTF-16, \"Unicode\"?); {_SAVE_AS}")
    return text


def _position(raw: bytes, offset: int) -> str:
    """``line L, column C`` (both from 1; columns count characters) of the byte at ``offset``."""
    line_start = raw.rfind(b"\n", 0, offset) + 1
    column = len(raw[line_start:offset].decode("utf-8", errors="replace")) + 1
    line = raw.count(b"\n", 0, offset) + 1
    return f"line {line}, column {column}"


def build(cls: type[Any], data: object, where: str) -> Any:
    """An instance of the settings dataclass ``cls`` from the TOML table ``data`` found at ``where``."""
    section = f"[{where}] " if where else ""
    if not isinstance(data, dict):
        raise ConfigError(f"{section.strip() or 'config'}: expected a table of settings")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [key for key in data if key not in fields]
    if unknown:
        key = unknown[0]
        if looks_secret(key):
            raise ConfigError(f"{section or 'config: '}an unknown setting whose name looks like a key "
                              "(not repeated here)")
        close = difflib.get_close_matches(key, list(fields), n=1)
        hint = f"; did you mean {close[0]}?" if close else f"; known settings: {', '.join(fields)}"
        raise ConfigError(f"{section}{key}: unknown setting{hint}")
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        bounds = fields[name].metadata.get(BOUNDS)
        kwargs[name] = _convert(hints[name], value, where, name, bounds if isinstance(bounds, Bounds) else None)
    return cls(**kwargs)


def _convert(hint: Any, value: object, where: str, name: str, bounds: Bounds | None) -> Any:
    label = f"[{where}] {name}" if where else name
    got = got_text(value, where)
    if bounds is not None and isinstance(value, float) and not math.isfinite(value):
        # nan or inf for a whole number: say the range rather than only the type.
        raise ConfigError(f"{label}: expected {bounds.expected(hint is int)}{got}")
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return build(hint, value, f"{where}.{name}" if where else name)
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{label}: expected true or false{got}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{label}: expected a whole number{got}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{label}: expected a number{got}")
        try:
            return float(value)
        except OverflowError:  # a whole number too large for a float
            expected = bounds.expected(False) if bounds else "a number"
            raise ConfigError(f"{label}: expected {expected}{got}") from None
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{label}: expected a text in quotes{got}")
        return value
    if typing.get_origin(hint) is tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{label}: expected a list of texts such as [\"a\", \"b\"]{got}")
        return tuple(value)
    raise ConfigError(f"{label}: unsupported setting type")  # pragma: no cover - no such settings
