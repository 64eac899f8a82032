"""The invoice screen keeps every line with tap to pay on: the rate and the "more time" key beside the tap hint."""

from __future__ import annotations

import dataclasses

import pygame
import pytest

from kiosk.core.tap_text import tap_line
from kiosk.core.tap_view import TapStage, TapView
from kiosk.core.text import LANGUAGES, texts
from kiosk.core.text_tips import rate_line, tip_texts
from kiosk.core.view import InvoiceView
from kiosk.display import screens, theme
from kiosk.display.assets import Assets
from kiosk.display.layout import Box
from kiosk.display.screenshot import sample_frame
from tests.display.test_screens import SIZES, assert_sound_layout

ALL_SIZES = SIZES + [(320, 480), (480, 800), (600, 1024), (1080, 1920)]
MODES = [("normal", False), ("high-contrast", False), ("normal", True), ("high-contrast", True)]


@pytest.fixture(scope="module")
def mode_assets() -> dict[tuple[str, bool], Assets]:
    return {mode: Assets() for mode in MODES}


def _boxes(size: tuple[int, int], lang: str, assets: Assets, **changes: object) -> dict[str, Box]:
    frame = sample_frame("invoice-tap")
    frame = dataclasses.replace(frame, **changes)  # type: ignore[arg-type]
    boxes = screens.render(pygame.Surface(size), frame, lang, assets=assets)
    assert_sound_layout(boxes, size)
    return {b.name: b for b in boxes}


@pytest.mark.parametrize("mode", MODES, ids=lambda m: f"{m[0]}{'-large' if m[1] else ''}")
def test_with_a_card_tap_the_rate_and_more_time_keep_their_own_whole_lines_at_every_size(
        mode: tuple[str, bool], mode_assets: dict[tuple[str, bool], Assets]) -> None:
    view = sample_frame("invoice-tap").view
    assert isinstance(view, InvoiceView)
    with theme.themed(*mode):
        for size in ALL_SIZES:
            for lang in LANGUAGES if mode[1] or size == (480, 320) else ["en"]:
                boxes = _boxes(size, lang, mode_assets[mode])
                shown = {name: boxes[name].text if name in boxes else None for name in ("hint", "rate", "note")}
                assert shown == {"hint": tap_line(TapView(stage=TapStage.OFFERED), lang),
                                 "rate": rate_line(view.amount_cents, view.amount_msat, lang),
                                 "note": tip_texts(lang).more_time}, (size, lang)
                for name in ("hint", "rate", "note", "amount", "sats"):
                    box = boxes[name]
                    assert box.rect.height >= 9, (size, lang, name)


def test_without_a_tap_the_first_hint_names_the_key_and_the_rate_keeps_its_line(assets: Assets) -> None:
    boxes = _boxes((800, 480), "en", assets, tap=None)
    assert boxes["hint"].text == "Press Enter for more time"
    assert boxes["rate"].text == "€1 = 2,000\u00a0sats"
    assert "note" not in boxes
    plain = sample_frame("invoice")
    names = {b.name for b in screens.render(pygame.Surface((800, 480)), plain, "en", assets=assets)}
    assert "rate" not in names and "note" not in names, "without show_rate nor a tap the screen is as before"
    hint = next(b for b in screens.render(pygame.Surface((800, 480)), plain, "en", assets=assets) if b.name == "hint")
    assert hint.text == texts("en").scan_hint


def test_a_tap_in_progress_still_leaves_the_rate_and_more_time_on_screen(assets: Assets) -> None:
    for stage in (TapStage.PROCESSING, TapStage.PIN):
        boxes = _boxes((480, 320), "de", assets, tap=TapView(stage=stage, pin_digits=4))
        assert boxes["hint"].text == tap_line(TapView(stage=stage, pin_digits=4), "de")
        assert boxes["rate"].text == "1\u00a0€ = 2\u202f000\u00a0sats"
        assert boxes["note"].text == "Enter drücken für mehr Zeit"
