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


def test_nine_characters_can_be_typed_and_a_tenth_is_refused_as_too_large() -> None:
    entry = AmountEntry()
    for digit in "123456.78":
        entry = entry.press_separator() if digit == "." else entry.press_digit(digit)
    assert entry.typed == "123456.78" and entry.error is None
    nine = AmountEntry("99999999").press_digit("9")
    assert nine.typed == "999999999" and nine.error is None
    too_long = nine.press_digit("9")
    assert too_long.typed == "999999999" and too_long.error is EntryError.TOO_LARGE


@pytest.mark.parametrize(("keys", "typed"), [
    ("00", "0"), ("05", "5"), ("10", "10"), ("100", "100"), ("0.05", "0.05"), (".05", "0.05"), ("0.", "0."),
])
def test_a_leading_zero_is_not_kept_but_zeros_after_a_digit_are(keys: str, typed: str) -> None:
    entry = AmountEntry()
    for key in keys:
        entry = entry.press_separator() if key == "." else entry.press_digit(key)
    assert entry.typed == typed and entry.error is None


def test_backspace_takes_back_exactly_one_character_and_clears_the_error() -> None:
    entry = AmountEntry("12.34").press_digit("5")
    assert entry.error is EntryError.MALFORMED
    assert entry.press_backspace() == AmountEntry("12.3", None)
    assert AmountEntry("").press_backspace() == AmountEntry("", None)


@pytest.mark.parametrize(("text", "max_cents", "error"), [
    ("1", 100, None), ("1.00", 100, None), ("1.01", 100, EntryError.TOO_LARGE), ("0.01", 100, None),
    ("0", 100, EntryError.ZERO), ("", 100, EntryError.ZERO), ("0.", 100, EntryError.ZERO),
])
def test_validation_allows_one_cent_up_to_the_maximum(text: str, max_cents: int, error: EntryError | None) -> None:
    assert AmountEntry(text).validate(max_cents) == AmountEntry(text, error)


@pytest.mark.parametrize("text", ["1.٢", "1.²", " ", "1 2"])
def test_parse_cents_takes_ascii_digits_only(text: str) -> None:
    assert parse_cents(text) is None
