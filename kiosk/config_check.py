"""Checks the settings sections share, and how an error shows the value it refuses.

Number ranges
-------------
Every whole-number or decimal setting is declared with :func:`number`, which keeps its allowed range
in the field's metadata. :func:`check_numbers` refuses a value outside it with one line that names
the setting and the range::

    [display] dim_after_s: expected seconds from 0 to 86400, got inf

NaN and the infinities are refused too: NaN compares false with everything, so without this a range
written as ``not value < lo`` would let it pass, and an infinite wait would only fail much later, in
the running kiosk. A test walks every numeric setting of every section, so a new one cannot be added
without a range. Checks a range cannot say (a rotation of 0, 90, 180 or 270; not below another
setting) stay in the section's own ``check()``.

Mion's address
--------------
The API key travels in a header of every request, so ``[mion] base_url`` must be ``https://``;
plain ``http://`` is allowed only to this machine (127.0.0.0/8, ::1, ``localhost``), where the
simulator runs. ``localhost`` must be exactly that name, and addresses must be written out in full
(``127.1`` is refused), so no spelling sends the key to another machine.

What an error may repeat
------------------------
A key pasted into the wrong setting must go no further: not onto the customer's screen (which shows
config errors), into the log, ``kiosk doctor``'s output or the ``config-error`` file. So:

* A text that *looks like a key* is never repeated. It looks like one when a piece of it is 32
  characters or longer, or 16 or longer with a digit in it. Pieces are split at white space and at
  ``. : @ ? & = # ; ,``, and in paths and URLs (starting with ``/``, ``~`` or holding ``://``) at
  ``/`` too; device paths under ``/dev/`` (serial numbers in by-id names) never look like keys.
  A language code, a pin name, a host, a path or a URL is repeated as before, because that helps.
* Texts of ``[mion]`` are never repeated at all: that is where a key lands one line off.
* Where a key-like word (not a path or URL) can only be a pasted key, it is refused: in the shop's
  name and address lines and the receipt footer (they reach the customer), the till's port (which
  the log names), and ``[mion]``'s header, scheme, variable, file and field names.

``kiosk doctor`` also hides every key-like piece of every setting from its lines (see
:func:`secret_texts`), since the messages of serial ports, printers and networks repeat the values
they were given.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import math
import re
import typing
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

from kiosk.errors import ConfigError

BOUNDS = "kiosk.bounds"
"""The key of a numeric field's :class:`Bounds` in its metadata."""

_SHOWN_DIGITS = 15
_SPLIT = re.compile(r"[.:@?&=#;,]+")
_SPLIT_PATH = re.compile(r"[/.:@?&=#;,]+")
_LONG_PIECE_CHARS = 32
_DIGIT_PIECE_CHARS = 16
HIDDEN = "***"
"""What a key-like piece becomes in doctor's output."""

N = TypeVar("N", int, float)


@dataclass(frozen=True, slots=True)
class Bounds:
    """The allowed range of a numeric setting, both ends included."""

    lo: int | float
    hi: int | float
    unit: str = ""
    """What the number counts (seconds, cents, pixels); empty for a plain number."""

    def text(self) -> str:
        """``lo to hi``, as the errors and docs/kiosk.example.toml write it."""
        return f"{self.lo} to {self.hi}"

    def expected(self, whole: bool) -> str:
        """What an error says is expected, such as ``seconds from 0.1 to 10``."""
        if whole:
            return f"a whole number{' of ' + self.unit if self.unit else ''} from {self.text()}"
        return f"{self.unit or 'a number'} from {self.text()}"

    def holds(self, value: object) -> bool:
        """Whether ``value`` is a finite number inside the range."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if isinstance(value, float) and not math.isfinite(value):
            return False
        return self.lo <= value <= self.hi  # exact for whole numbers of any size


def number(default: N, lo: N, hi: N, unit: str = "") -> N:
    """A numeric settings field with its default and its range (see the module docstring)."""
    result: N = field(default=default, metadata={BOUNDS: Bounds(lo, hi, unit)})
    return result


def bounds_of(cls: type[Any], section: str, name: str) -> Bounds | None:
    """The range of the setting ``[section] name`` of the settings dataclass ``cls``, if it has one.

    ``section`` may be nested with dots (``mion.paths``).
    """
    for part in section.split(".") if section else ():
        cls = typing.get_type_hints(cls)[part]
    for f in dataclasses.fields(cls):
        if f.name == name:
            bounds = f.metadata.get(BOUNDS)
            return bounds if isinstance(bounds, Bounds) else None
    raise KeyError(f"[{section}] {name} is not a setting")


def check_numbers(section_settings: object, section: str) -> None:
    """Refuse any numeric field of ``section_settings`` that is outside its range, NaN or infinite."""
    for f in dataclasses.fields(section_settings):  # type: ignore[arg-type]
        bounds = f.metadata.get(BOUNDS)
        if isinstance(bounds, Bounds):
            value = getattr(section_settings, f.name)
            if not bounds.holds(value):
                raise ConfigError(f"[{section}] {f.name}: expected {bounds.expected(is_whole(f))}"
                                  f"{got_text(value, section)}")


def is_whole(f: dataclasses.Field[Any]) -> bool:
    """Whether the field holds whole numbers (its annotation is ``int``)."""
    return f.type in (int, "int")


def check_base_url(url: str) -> None:
    """Refuse a Mion base URL that is not https, or plain http to another machine (module docstring).

    The message never repeats the URL: a key pasted into it must not travel on.
    """
    label = "[mion] base_url"
    example = "https://api.mion.group"
    if not url.isprintable() or any(ch.isspace() for ch in url):
        raise ConfigError(f"{label}: expected a URL such as {example}, without spaces")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - reading it checks it (a port above 65535 raises)
    except ValueError as exc:
        raise ConfigError(f"{label}: expected a URL such as {example} (its host or port cannot be read)") from exc
    if parts.scheme not in ("http", "https") or not host:
        raise ConfigError(f"{label}: expected an https:// URL with a host, such as {example}")
    if parts.username is not None or parts.password is not None:
        raise ConfigError(f"{label}: must not hold a user name or password; the API key belongs in the file "
                          "named by api_key_file")
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise ConfigError(f"{label}: expected a URL without a ?query or #fragment, such as {example}")
    if parts.scheme == "http" and not is_loopback(host):
        raise ConfigError(f"{label}: plain http is allowed only to this machine (127.0.0.1, ::1, localhost); "
                          "use https://")


def is_loopback(host: str) -> bool:
    """Whether ``host`` (as ``urlsplit`` gives it) is this machine: ``localhost``, 127.0.0.0/8 or ::1."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def secret_parts(text: str) -> list[str]:
    """The pieces of ``text`` that look like a key (see the module docstring); empty when none do."""
    found = []
    for word in text.split():
        if word.startswith("/dev/"):
            continue
        for piece in (_SPLIT_PATH if _path_like(word) else _SPLIT).split(word):
            if len(piece) >= _LONG_PIECE_CHARS or (len(piece) >= _DIGIT_PIECE_CHARS
                                                    and any(ch.isdigit() for ch in piece)):
                found.append(piece)
    return found


def _path_like(word: str) -> bool:
    return word.startswith(("/", "~")) or "://" in word


def looks_secret(text: str) -> bool:
    """Whether some piece of ``text`` looks like a key, so it must not be repeated."""
    return bool(secret_parts(text))


def refuse_secret(section: str, name: str, value: str, what: str = "") -> None:
    """Refuse a text setting holding a word that looks like a key; the message does not repeat it.

    Paths and URLs are left to the hiding rule: a by-id or test directory name may look like a key,
    and a key pasted by mistake is a word of its own.
    """
    if any(not _path_like(word) and looks_secret(word) for word in value.split()):
        raise ConfigError(f"[{section}] {name}: looks like an API key (not repeated here); "
                          f"{what or 'the key belongs in its own file, named by [mion] api_key_file'}")


def secret_texts(settings: object) -> set[str]:
    """Every key-like piece of every text in ``settings`` (a settings dataclass, nested ones included)."""
    found: set[str] = set()
    for f in dataclasses.fields(settings):  # type: ignore[arg-type]
        value = getattr(settings, f.name)
        if dataclasses.is_dataclass(value):
            found |= secret_texts(value)
        elif isinstance(value, str):
            found.update(secret_parts(value))
        elif isinstance(value, tuple):
            found.update(part for item in value if isinstance(item, str) for part in secret_parts(item))
    return found


def scrub(text: str, secrets: typing.Iterable[str]) -> str:
    """``text`` with every one of ``secrets`` replaced by ``***`` (longest first)."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, HIDDEN)
    return text


def got_text(value: object, section: str) -> str:
    """``, got <value>`` for an error message, or less when the value must not be repeated."""
    if isinstance(value, str) and section.split(".")[0] == "mion":
        return ""
    if isinstance(value, str) and looks_secret(value):
        return " (the value looks like a key and is not repeated here)"
    return f", got {show(value)}"


def show(value: object) -> str:
    """``value`` as a config error repeats it: texts in quotes, tables and lists by kind.

    Callers that may meet a text pass through :func:`got_text`, which applies the rule above.
    """
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int) and abs(value) >= 10 ** _SHOWN_DIGITS:
        return f"a number of more than {_SHOWN_DIGITS} digits"
    return repr(value)


def require(ok: bool, section: str, name: str, expected: str, got: object) -> None:
    """Raise ``[section] name: expected ..., got ...`` unless ``ok``."""
    if not ok:
        raise ConfigError(f"[{section}] {name}: expected {expected}{got_text(got, section)}")
