"""Pole-display emulation: the kiosk poses as a classic 2x20 customer display and reads the total.

Theory of operation
-------------------
Many tills can only talk to a customer pole display over a serial port. :class:`PoleDisplay` takes
the bytes such a till sends, interprets them with one of four command sets (CD5220, Epson ESC/POS
customer display, Logic Controls, AEDEX), keeps a virtual 2 x ``columns`` character screen and finds
the total on it with a configurable regular expression whose first group is the amount.

Each command set is a table of :class:`_Command` rows (byte prefix, argument length, action), not an
if-ladder. A byte that starts no command is text and is written at the cursor. A prefix that turns
out not to be a command is written out as text, byte by byte, as a real display would.

When the screen is reported: :meth:`PoleDisplay.feed` reports it after every complete command and
after a character lands in a line's last column. These points depend only on the byte stream,
never on how it was split into reads, so any split gives the same updates; they are good for
mirroring the text. But a till repaints one line at a time, so such an update may pair a new
"TOTAL" line with the previous item's price. Only :meth:`PoleDisplay.flush`, called once the line
has gone quiet (the till finished its burst), reports a *settled* screen: act on ``total_cents``
only when ``settled`` is true. Each kind of update is only emitted when the lines changed since the
last update of that kind.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import ClassVar

from kiosk.config import Settings
from kiosk.core import events as ev
from kiosk.inputs.till_protocol import SaleDesk, TillProtocol

log = logging.getLogger(__name__)

ROWS = 2
QUIET_S = 0.25
"""The till has finished painting the screen once its line was quiet this long."""
UNTIL_CR = -1
"""Argument length of commands whose argument is text ended by CR."""
MAX_COMMAND_TEXT = 80
"""Longest text argument accepted before CR; a longer one is a lost CR and the command is dropped."""
_CR = 0x0D
_AMOUNT = re.compile(r"(\d{1,3}(?:[.,' ]\d{3})+|\d+)[.,](\d{2})")


@dataclass(frozen=True, slots=True)
class PoleUpdate:
    """What the virtual pole display shows now, and the total found on it (None: no usable total)."""

    lines: tuple[str, str]
    total_cents: int | None
    settled: bool = False
    """True only from flush() after the line went quiet: the screen is complete, the total usable."""


class _Screen:
    """A character screen of ROWS x columns with a cursor, as a pole display has."""

    def __init__(self, columns: int) -> None:
        self.columns = columns
        self.cells = [[" "] * columns for _ in range(ROWS)]
        self.row = 0
        self.col = 0
        self.scroll = False  # vertical scroll mode: writing past the bottom line scrolls up

    def lines(self) -> tuple[str, str]:
        return ("".join(self.cells[0]), "".join(self.cells[1]))

    def clear(self) -> None:
        self.cells = [[" "] * self.columns for _ in range(ROWS)]
        self.home()

    def home(self) -> None:
        self.row, self.col = 0, 0

    def clear_row(self) -> None:
        self.cells[self.row] = [" "] * self.columns

    def set_row(self, row: int, text: str) -> None:
        padded = text[: self.columns].ljust(self.columns)
        self.cells[row] = list(padded)

    def move(self, row: int, col: int) -> None:
        self.row = min(max(row, 0), ROWS - 1)
        self.col = min(max(col, 0), self.columns - 1)

    def put(self, char: str) -> bool:
        """Write one character; True when it filled the line's last column."""
        self.cells[self.row][self.col] = char
        self.col += 1
        if self.col < self.columns:
            return False
        self.col = 0
        self.line_feed()
        return True

    def line_feed(self) -> None:
        if self.row < ROWS - 1:
            self.row += 1
        elif self.scroll:
            self.cells = [*self.cells[1:], [" "] * self.columns]
        else:
            self.row = 0  # overwrite mode wraps to the top line

    def back(self) -> None:
        if self.col > 0:
            self.col -= 1
        elif self.row > 0:
            self.row, self.col = self.row - 1, self.columns - 1

    def forward(self) -> None:
        self.col += 1
        if self.col == self.columns:
            self.col = 0
            self.line_feed()


Action = Callable[[_Screen, bytes], None]


@dataclass(frozen=True, slots=True)
class _Command:
    prefix: bytes
    args: int
    """Argument bytes after the prefix, or UNTIL_CR."""
    action: Action


def _text(raw: bytes) -> str:
    # Pole displays default to code page 437; only printable characters reach the screen.
    return "".join(ch if ch.isprintable() else " " for ch in raw.decode("cp437"))


def _ignore(screen: _Screen, args: bytes) -> None:
    """Brightness, cursor style, blinking, code pages: nothing the kiosk needs to show."""


def _clear(screen: _Screen, args: bytes) -> None:
    screen.clear()


def _home(screen: _Screen, args: bytes) -> None:
    screen.home()


def _row_text(row: int) -> Action:
    return lambda screen, args: screen.set_row(row, _text(args))


def _both_rows(screen: _Screen, args: bytes) -> None:
    text = _text(args)
    screen.set_row(0, text[: screen.columns])
    screen.set_row(1, text[screen.columns:])


def _move_one_based(screen: _Screen, args: bytes) -> None:
    screen.move(args[1] - 1, args[0] - 1)  # x (column) first, then y (row)


def _move_linear(screen: _Screen, args: bytes) -> None:
    screen.move(args[0] // screen.columns, args[0] % screen.columns)


def _carriage_return(screen: _Screen, args: bytes) -> None:
    screen.col = 0


def _set_scroll(on: bool) -> Action:
    def action(screen: _Screen, args: bytes) -> None:
        screen.scroll = on

    return action


_CURSOR_MOTION: tuple[_Command, ...] = (
    _Command(b"\x08", 0, lambda s, a: s.back()),
    _Command(b"\x09", 0, lambda s, a: s.forward()),
    _Command(b"\x0a", 0, lambda s, a: s.line_feed()),
    _Command(b"\x0d", 0, _carriage_return),
    _Command(b"\x0c", 0, _clear),
)

COMMAND_SETS: Mapping[str, tuple[_Command, ...]] = {
    "cd5220": (
        *_CURSOR_MOTION,
        _Command(b"\x0b", 0, _home),
        _Command(b"\x18", 0, lambda s, a: s.clear_row()),
        _Command(b"\x1b@", 0, _clear),
        _Command(b"\x1bQA", UNTIL_CR, _row_text(0)),
        _Command(b"\x1bQB", UNTIL_CR, _row_text(1)),
        _Command(b"\x1bQD", UNTIL_CR, _row_text(0)),  # upper line as a marquee: shown still
        _Command(b"\x1bl", 2, _move_one_based),
        _Command(b"\x1b\x11", 0, _set_scroll(False)),
        _Command(b"\x1b\x12", 0, _set_scroll(True)),
        _Command(b"\x1b\x13", 0, _set_scroll(False)),  # horizontal scroll: treated as overwrite
        _Command(b"\x1b*", 1, _ignore),
        _Command(b"\x1b_", 1, _ignore),
        _Command(b"\x1b=", 1, _ignore),
        _Command(b"\x1bR", 1, _ignore),
        _Command(b"\x1bt", 1, _ignore),
    ),
    "epson": (
        *_CURSOR_MOTION,
        _Command(b"\x0b", 0, _home),
        _Command(b"\x18", 0, lambda s, a: s.clear_row()),
        _Command(b"\x1b@", 0, _clear),
        _Command(b"\x1b=", 1, _ignore),  # select display or printer on a shared cable
        _Command(b"\x1bR", 1, _ignore),
        _Command(b"\x1bt", 1, _ignore),
        _Command(b"\x1f\x01", 0, _set_scroll(False)),
        _Command(b"\x1f\x02", 0, _set_scroll(True)),
        _Command(b"\x1f\x03", 0, _set_scroll(False)),  # horizontal scroll: treated as overwrite
        _Command(b"\x1f$", 2, _move_one_based),
        _Command(b"\x1fB", 0, lambda s, a: s.move(ROWS - 1, s.col)),
        _Command(b"\x1f\x0d", 0, lambda s, a: s.move(s.row, s.columns - 1)),
        _Command(b"\x1f\x0a", 0, lambda s, a: s.move(ROWS - 1, s.col)),
        _Command(b"\x1fC", 1, _ignore),
        _Command(b"\x1fE", 1, _ignore),
        _Command(b"\x1fX", 1, _ignore),
        _Command(b"\x1fr", 1, _ignore),
    ),
    "logic_controls": (
        *_CURSOR_MOTION,
        _Command(b"\x1f", 0, _clear),  # reset
        _Command(b"\x10", 1, _move_linear),
        _Command(b"\x11", 0, _set_scroll(False)),
        _Command(b"\x12", 0, _set_scroll(True)),
        _Command(b"\x13", 0, _ignore),
        _Command(b"\x14", 0, _ignore),
        _Command(b"\x04", 1, _ignore),
    ),
    "aedex": (
        _Command(b"\x0d", 0, _carriage_return),
        _Command(b"!#1", UNTIL_CR, _row_text(0)),
        _Command(b"!#2", UNTIL_CR, _row_text(1)),
        _Command(b"!#4", UNTIL_CR, _row_text(0)),  # upper line as a marquee: shown still
        _Command(b"!#9", UNTIL_CR, _both_rows),
        *(_Command(b"!#" + digit, UNTIL_CR, _ignore) for digit in (b"0", b"3", b"5", b"6", b"7", b"8")),
    ),
}


def parse_amount_cents(text: str) -> int | None:
    """ "12.00", "12,00", "1.234,56", "1,234.56" -> cents; None if it is not such an amount."""
    match = _AMOUNT.fullmatch(text.strip())
    if match is None:
        return None
    whole = re.sub(r"\D", "", match.group(1))
    return int(whole) * 100 + int(match.group(2))


def find_total_cents(lines: tuple[str, str], pattern: re.Pattern[str]) -> int | None:
    """The first amount ``pattern`` finds on the screen (lines joined by a newline), in cents.

    A match is skipped rather than misread when a digit follows it (the amount was cut short, e.g.
    "1.234,56" read as "1.23") or a minus sign touches it (a refund, never a sale). Zero is no total.
    """
    text = "\n".join(lines)
    for match in pattern.finditer(text):
        start, end = match.span(1)
        if start < 0:
            continue
        before = text[start - 1] if start > 0 else ""
        after = text[end] if end < len(text) else ""
        if before == "-" or after == "-" or after.isdigit():
            log.debug("pole total %r skipped: it may be cut short or negative", match.group(1))
            continue
        cents = parse_amount_cents(match.group(1))
        if cents:
            return cents
    return None


class PoleDisplay:
    """Bytes a till writes to its pole display in, :class:`PoleUpdate` values out. Never raises."""

    def __init__(self, command_set: str, total_pattern: str, columns: int = 20) -> None:
        if command_set not in COMMAND_SETS:
            raise ValueError(f"unknown pole command set {command_set!r}; expected one of {', '.join(COMMAND_SETS)}")
        if not 1 <= columns <= 40:
            raise ValueError(f"columns must be 1 to 40, got {columns}")
        self._commands = COMMAND_SETS[command_set]
        self._pattern = re.compile(total_pattern)
        self._columns = columns
        self._screen = _Screen(columns)
        self._pending = bytearray()  # a command prefix in progress
        self._command: _Command | None = None  # a command collecting its arguments
        self._args = bytearray()
        self._reported = self._screen.lines()
        self._settled = self._screen.lines()

    @property
    def lines(self) -> tuple[str, str]:
        """The virtual screen right now, reported or not."""
        return self._screen.lines()

    def reset(self) -> None:
        """Blank screen, no half-read command; e.g. after the port was reopened."""
        self._screen = _Screen(self._columns)
        self._pending.clear()
        self._command = None
        self._args.clear()
        self._reported = self._screen.lines()
        self._settled = self._screen.lines()

    def feed(self, data: bytes) -> list[PoleUpdate]:
        """Take the next bytes from the till; return the screen at each reporting point where it changed."""
        updates: list[PoleUpdate] = []
        for byte in data:
            if self._byte(byte):
                self._report(updates)
        return updates

    def flush(self) -> list[PoleUpdate]:
        """The settled screen, if it changed since the last settled one; call when the line has gone quiet."""
        lines = self._screen.lines()
        if lines == self._settled:
            return []
        self._settled = self._reported = lines
        return [PoleUpdate(lines=lines, total_cents=find_total_cents(lines, self._pattern), settled=True)]

    def _report(self, updates: list[PoleUpdate]) -> None:
        lines = self._screen.lines()
        if lines != self._reported:
            self._reported = lines
            updates.append(PoleUpdate(lines=lines, total_cents=find_total_cents(lines, self._pattern)))

    def _byte(self, byte: int) -> bool:
        """Process one byte; True when the screen reached a point worth reporting."""
        if self._command is not None:
            return self._argument(self._command, byte)
        self._pending.append(byte)
        pending = bytes(self._pending)
        candidates = [c for c in self._commands if c.prefix.startswith(pending)]
        if not candidates:
            # Not a command after all: the first byte is text, the rest is looked at afresh.
            self._pending.clear()
            reached = self._put(pending[0])
            for later in pending[1:]:
                reached = self._byte(later) or reached
            return reached
        exact = next((c for c in candidates if c.prefix == pending), None)
        if exact is None:
            return False
        self._pending.clear()
        if exact.args == 0:
            exact.action(self._screen, b"")
            return True
        self._command = exact
        return False

    def _argument(self, command: _Command, byte: int) -> bool:
        if command.args == UNTIL_CR and byte == _CR:
            return self._run(command)
        self._args.append(byte)
        if command.args == UNTIL_CR and len(self._args) > MAX_COMMAND_TEXT:
            log.debug("pole command %r dropped: no CR within %d bytes", command.prefix, MAX_COMMAND_TEXT)
            self._command = None
            self._args.clear()
            return False
        if len(self._args) == command.args:
            return self._run(command)
        return False

    def _run(self, command: _Command) -> bool:
        args = bytes(self._args)
        self._command = None
        self._args.clear()
        command.action(self._screen, args)
        return True

    def _put(self, byte: int) -> bool:
        if byte < 0x20 or byte == 0x7F:
            return False  # a control byte this command set does not know: a display ignores it
        return self._screen.put(_text(bytes([byte])))


class PoleTill(TillProtocol):
    """Pole-display emulation behind the till seam: the till's two lines go to the idle screen, and
    the total of a settled screen to the register (which starts a sale with it by the Lightning key,
    or by itself when ``[pos] on_total = "start"``). A pole display answers nothing and can never be
    told of a payment: every message is None."""

    quiet_after_s: ClassVar[float | None] = QUIET_S

    def __init__(self, settings: Settings, desk: SaleDesk, post: Callable[[ev.Event], None]) -> None:
        super().__init__(settings, desk, post)
        self.display = PoleDisplay(settings.pos.pole_command_set, settings.pos.total_pattern)

    def receive(self, data: bytes) -> Iterator[bytes]:
        # While the till repaints, lines may pair a new TOTAL with the old price: show the text, but
        # take a total only from the settled screen (after the line went quiet).
        for update in self.display.feed(data):
            self.post(ev.PoleUpdated(lines=update.lines, total_cents=None))
        return iter(())

    def on_quiet(self) -> None:
        for update in self.display.flush():
            self.post(ev.PoleUpdated(lines=update.lines, total_cents=update.total_cents))

    def reset(self) -> None:
        self.display.reset()
