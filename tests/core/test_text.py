"""Customer-facing strings and money formats per language."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.core.text import (
    LANGUAGES,
    NBSP,
    NNBSP,
    Texts,
    format_countdown,
    format_decimal_typed,
    format_eur,
    format_sats,
    texts,
)
from kiosk.core.view import EntryError, MessageKind


@pytest.mark.parametrize(
    ("cents", "lang", "expected"),
    [
        (1200, "en", "€12.00"),
        (1200, "de", f"12,00{NBSP}€"),
        (1200, "fi", f"12,00{NBSP}€"),
        (123456, "en", "€1,234.56"),
        (123456, "de", f"1.234,56{NBSP}€"),
        (123456, "fi", f"1{NBSP}234,56{NBSP}€"),
        (1, "en", "€0.01"),
        (1, "de", f"0,01{NBSP}€"),
        (1, "fi", f"0,01{NBSP}€"),
        (0, "en", "€0.00"),
        (100_000_000, "en", "€1,000,000.00"),
        (100_000_000, "de", f"1.000.000,00{NBSP}€"),
        (100_000_000, "fi", f"1{NBSP}000{NBSP}000,00{NBSP}€"),
        (-250, "en", "-€2.50"),
    ],
)
def test_format_eur_writes_each_locale_its_own_way(cents: int, lang: str, expected: str) -> None:
    assert format_eur(cents, lang) == expected


@pytest.mark.parametrize(
    ("sat", "lang", "expected"),
    [
        (25_000, "en", "25,000 sats"),
        (25_000, "de", f"25{NNBSP}000 sats"),
        (25_000, "fi", f"25{NNBSP}000 sats"),
        (0, "en", "0 sats"),
        (0, "fi", "0 sats"),
        (1, "en", "1 sat"),
        (999, "de", "999 sats"),
        (1_234_567, "en", "1,234,567 sats"),
        (1_234_567, "fi", f"1{NNBSP}234{NNBSP}567 sats"),
        (123_456, "en", "123,456 sats"),
        (123_456, "de", f"123{NNBSP}456 sats"),
    ],
)
def test_format_sats_groups_thousands(sat: int, lang: str, expected: str) -> None:
    # The unit is joined with a no-break space so "sats" never wraps away from its number.
    assert format_sats(sat, lang) == expected.replace(" sat", f"{NBSP}sat")


@given(cents=st.integers(min_value=0, max_value=10**12), lang=st.sampled_from(LANGUAGES))
def test_format_eur_round_trips_to_the_exact_amount(cents: int, lang: str) -> None:
    text = format_eur(cents, lang).replace("€", "").replace(NBSP, "")
    if lang == "en":
        text = text.replace(",", "")
    else:
        text = text.replace(".", "").replace(",", ".")
    assert Decimal(text) * 100 == cents


@given(sat=st.integers(min_value=0, max_value=10**15), lang=st.sampled_from(LANGUAGES))
def test_format_sats_groups_are_three_digits(sat: int, lang: str) -> None:
    number = format_sats(sat, lang).split(NBSP)[0]
    groups = number.split("," if lang == "en" else NNBSP)
    assert "".join(groups) == str(sat)
    assert 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])


def test_money_formatting_refuses_floats() -> None:
    with pytest.raises(TypeError):
        format_eur(12.5, "en")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_sats(2.0, "en")  # type: ignore[arg-type]


def test_money_formatting_refuses_booleans() -> None:
    with pytest.raises(TypeError, match="got bool"):
        format_eur(True, "en")
    with pytest.raises(TypeError, match="got bool"):
        format_sats(True, "en")


def test_unknown_language_is_named_in_the_error() -> None:
    with pytest.raises(ValueError, match="'sv'.*en, de, fi"):
        format_eur(100, "sv")
    with pytest.raises(ValueError, match="'sv'"):
        texts("sv")


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(0, "0:00"), (5, "0:05"), (59, "0:59"), (60, "1:00"), (125, "2:05"), (600, "10:00"), (-3, "0:00")],
)
def test_format_countdown(seconds: int, expected: str) -> None:
    assert format_countdown(seconds) == expected


def test_typed_amount_uses_the_locale_decimal_sign() -> None:
    assert format_decimal_typed("12.5", "en") == "€12.5"
    assert format_decimal_typed("12.5", "de") == f"12,5{NBSP}€"
    assert format_decimal_typed("", "fi") == f"0{NBSP}€"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_has_every_string(lang: str) -> None:
    t = texts(lang)
    for f in dataclasses.fields(Texts):
        value = getattr(t, f.name)
        assert value, f"{lang}: {f.name} is empty"
    assert set(t.entry_errors) == set(EntryError)
    assert set(t.messages) == set(MessageKind)
    assert all(title and body.endswith(".") for title, body in t.messages.values())
    assert "{max}" in t.entry_errors[EntryError.TOO_LARGE]
    assert "{amount}" in t.pole_total


def test_languages_differ() -> None:
    assert texts("en").scan_hint != texts("de").scan_hint != texts("fi").scan_hint
