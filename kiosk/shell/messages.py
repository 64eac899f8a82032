"""What the edge threads hand the main loop: the register's events and the shell's own messages.

The loop's queue carries these values only, never closures: every kind is matched by name in
``kiosk.shell.loop``, and a kind the loop does not handle fails the type check (``assert_never``).
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.core import events as ev
from kiosk.core.tap_view import TapView


@dataclass(frozen=True, slots=True)
class TillBytes:
    """Bytes the till wrote (serial reader thread)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class TillQuiet:
    """The till stopped writing for a moment (serial reader thread)."""


@dataclass(frozen=True, slots=True)
class TillLink:
    """The till's port was opened (True) or lost (False)."""

    connected: bool


@dataclass(frozen=True, slots=True)
class PrinterState:
    """The print worker's word for the shop's indicator ("paper out", ...), None when fine."""

    problem: str | None


@dataclass(frozen=True, slots=True)
class ReaderState:
    """A payment reader's word for the shop's indicator, None when fine."""

    name: str
    problem: str | None


@dataclass(frozen=True, slots=True)
class TapUpdate:
    """A payment reader's card tap moved on (its own thread): ``tap`` is what the screen says.

    ``wants_pin`` asks the loop to pin ``invoice`` of sale ``reference`` before the card's service is
    called (``kiosk.core.tap``); the loop answers with ``PaymentReader.pinned``. ``released`` says the
    tap ended without the service taking the invoice. Never a URL, a secret or a PIN digit.
    """

    reader: str
    reference: str
    invoice: str
    tap: TapView
    wants_pin: bool = False
    released: bool = False


ShellMessage = TillBytes | TillQuiet | TillLink | PrinterState | ReaderState | TapUpdate
Message = ev.Event | ShellMessage
"""Anything on the loop's queue."""
