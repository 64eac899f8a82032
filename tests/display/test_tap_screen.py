"""The invoice screen's card-tap line: in every language, for every stage and reason, laid out cleanly."""

from __future__ import annotations

import dataclasses

import pygame
import pytest

from kiosk.core.tap_text import TAP_TEXTS, tap_line
from kiosk.core.tap_view import TapStage, TapView
from kiosk.core.text import LANGUAGES
from kiosk.display import screens
from kiosk.display.assets import Assets
from kiosk.display.screenshot import sample_frame
from tests.display.test_screens import assert_sound_layout

REASON_CODES = sorted(set(TAP_TEXTS["en"]) - {s.value for s in TapStage} - {"service_says"})


def test_every_language_has_every_line() -> None:
    assert set(LANGUAGES) == set(TAP_TEXTS)
    for lang in LANGUAGES:
        assert set(TAP_TEXTS[lang]) == set(TAP_TEXTS["en"]), lang


def test_a_service_reason_is_quoted_after_the_translated_phrase() -> None:
    tap = TapView(stage=TapStage.FAILED, reason="Card is disabled.", from_service=True)
    assert tap_line(tap, "de") == ("Kartenzahlung fehlgeschlagen: der Kartendienst meldet: “Card is disabled.”. "
                                   "Code scannen oder Karte erneut auflegen.")
    assert "korttipalvelu ilmoittaa: “Card is disabled.”" in tap_line(tap, "fi")


def test_the_pin_is_shown_as_dots_only() -> None:
    assert tap_line(TapView(stage=TapStage.PIN, pin_digits=4), "en").endswith(" ●●●●")


TAPS = ([TapView(stage=s) for s in TapStage if s is not TapStage.FAILED]
        + [TapView(stage=TapStage.FAILED, reason=code, sat=1234) for code in REASON_CODES]
        + [TapView(stage=TapStage.FAILED, reason="x" * 120, from_service=True),
           TapView(stage=TapStage.PIN, pin_digits=8),
           TapView(stage=TapStage.PIN, pin_digits=8, reason="Invalid PIN", from_service=True)])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_tap_line_fits_the_invoice_screen(lang: str, assets: Assets) -> None:
    for size in ((800, 480), (480, 800)):
        for tap in TAPS:
            surface = pygame.Surface(size)
            frame = dataclasses.replace(sample_frame("invoice"), tap=tap)
            boxes = screens.render(surface, frame, lang, assets=assets)
            assert_sound_layout(boxes, size)
            hint = next(b for b in boxes if b.name == "hint")
            exact = tap.stage is not TapStage.FAILED  # a long reason may be cut; the PIN's dots never
            assert hint.text == tap_line(tap, lang) or (not exact and hint.text.endswith("…"))
