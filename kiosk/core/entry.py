"""Typing an amount on the keypad: digits, one decimal separator, at most two decimals.

The cashier types ``12``, ``12.5`` or ``12,50``; the value is kept as text (what the screen shows)
and converted to integer cents without ever passing through a float.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.core.events import Key
from kiosk.core.sale import amount_in_range
from kiosk.core.view import EntryError

MAX_TYPED_CHARS = 9
"""Enough for 999 999,99; anything longer is a slip of the finger, not a price."""


@dataclass(frozen=True, slots=True)
class AmountEntry:
    """An amount being typed. Every method returns a new entry; none raises."""

    typed: str = ""
    error: EntryError | None = None

    def press(self, key: Key, max_amount_cents: int) -> AmountEntry:
        """The entry after one key: a digit, the separator, backspace, or Enter (which validates)."""
        if key.digit is not None:
            return self.press_digit(key.digit)
        if key is Key.SEPARATOR:
            return self.press_separator()
        if key is Key.BACKSPACE:
            return self.press_backspace()
        if key is Key.ENTER:
            return self.validate(max_amount_cents)
        return self

    def press_digit(self, digit: str) -> AmountEntry:
        if len(self.typed) >= MAX_TYPED_CHARS:
            return AmountEntry(self.typed, EntryError.TOO_LARGE)
        if "." in self.typed and len(self.typed.split(".")[1]) >= 2:
            return AmountEntry(self.typed, EntryError.MALFORMED)
        if self.typed == "0" and digit == "0":
            return AmountEntry(self.typed, None)
        typed = digit if self.typed == "0" else self.typed + digit
        return AmountEntry(typed, None)

    def press_separator(self) -> AmountEntry:
        if "." in self.typed:
            return AmountEntry(self.typed, EntryError.MALFORMED)
        return AmountEntry((self.typed or "0") + ".", None)

    def press_backspace(self) -> AmountEntry:
        return AmountEntry(self.typed[:-1], None)

    @property
    def amount_cents(self) -> int | None:
        """The typed amount in cents, or None while nothing is typed."""
        return parse_cents(self.typed)

    def validate(self, max_amount_cents: int) -> AmountEntry:
        """The same entry, with the error that stops it from being charged (if any)."""
        cents = self.amount_cents
        if cents is None or cents == 0:
            return AmountEntry(self.typed, EntryError.ZERO)
        if not amount_in_range(cents, max_amount_cents):
            return AmountEntry(self.typed, EntryError.TOO_LARGE)
        return AmountEntry(self.typed, None)


def parse_cents(text: str) -> int | None:
    """``"12.5"`` -> 1250; ``"12,50"`` -> 1250; ``""`` -> None. Raises nothing: bad text gives None."""
    text = text.strip().replace(",", ".")
    if not text or text.count(".") > 1:
        return None
    whole, _, frac = text.partition(".")
    if not (whole or frac) or not (whole.isdigit() or whole == "") or not (frac.isdigit() or frac == ""):
        return None
    if len(frac) > 2 or not whole.isascii() or not frac.isascii():
        return None
    return int(whole or "0") * 100 + int((frac + "00")[:2])
