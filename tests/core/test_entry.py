"""Typing amounts: text to integer cents, never through a float."""

import pytest

from kiosk.core.entry import AmountEntry, parse_cents
from kiosk.core.view import EntryError


@pytest.mark.parametrize(("text", "cents"), [
    ("12", 1200), ("12.5", 1250), ("12,50", 1250), ("0.01", 1), ("0,1", 10), (".5", 50), ("999999.99", 99999999),
    ("", None), (".", None), ("1.2.3", None), ("1.234", None), ("abc", None), ("١٢", None), ("-1", None),
])
def test_parse_cents(text: str, cents: int | None) -> None:
    assert parse_cents(text) == cents


def test_typing_keeps_at_most_two_decimals_and_one_separator() -> None:
    entry = AmountEntry()
    for digit in "12":
        entry = entry.press_digit(digit)
    entry = entry.press_separator().press_digit("3").press_digit("4")
    assert entry.typed == "12.34"
    assert entry.press_digit("5").error is EntryError.MALFORMED
    assert entry.press_separator().error is EntryError.MALFORMED
    assert entry.press_digit("5").typed == "12.34", "a refused key changes nothing"


def test_validation_names_zero_and_too_large() -> None:
    assert AmountEntry("0").validate(100).error is EntryError.ZERO
    assert AmountEntry("1.01").validate(100).error is EntryError.TOO_LARGE
    assert AmountEntry("1").validate(100).error is None
