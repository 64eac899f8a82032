"""The high-contrast theme and large text: every screen at every size stays sound, and every text reads."""

from __future__ import annotations

from pathlib import Path

import pygame
import pytest

from kiosk.display import screens, theme
from kiosk.display.assets import Assets
from kiosk.display.layout import Palette
from kiosk.display.screenshot import SCREEN_NAMES, render_screenshot, sample_frame
from tests.display.test_screens import SIZES, assert_sound_layout

TEXT_ON = [("TEXT", "BG"), ("MUTED", "BG"), ("ACCENT", "BG"), ("ERROR", "BG"), ("PAID_FG", "PAID_BG"),
           ("POLE_TEXT", "POLE_BG")]


@pytest.fixture(scope="module")
def large_assets() -> Assets:
    return Assets()


@pytest.mark.parametrize(("fg", "bg"), TEXT_ON)
def test_every_high_contrast_text_colour_is_at_least_7_to_1_on_its_background(fg: str, bg: str) -> None:
    colors = theme.THEMES["high-contrast"]
    assert theme.contrast_ratio(colors[fg], colors[bg]) >= 7.0, (fg, bg)


def test_the_normal_theme_is_the_palette_as_it_was_and_themes_have_the_same_colours() -> None:
    assert theme.THEMES["normal"]["BG"] == (17, 21, 28)
    assert set(theme.THEMES["normal"]) == set(theme.THEMES["high-contrast"])
    assert theme.current() == ("normal", False)


@pytest.mark.parametrize("size", SIZES + [(320, 480), (480, 800)])
def test_every_screen_lays_out_cleanly_in_high_contrast_with_large_text(size: tuple[int, int],
                                                                      large_assets: Assets) -> None:
    with theme.themed("high-contrast", large_text=True):
        for name in SCREEN_NAMES:
            surface = pygame.Surface(size)
            assert_sound_layout(screens.render(surface, sample_frame(name), "de", assets=large_assets), size)
            if name == "idle":
                assert surface.get_at((1, 1))[:3] == Palette.BG == (0, 0, 0)
    assert theme.current() == ("normal", False)  # the block leaves no trace


def test_large_text_makes_the_sentences_larger_where_their_space_allows(assets: Assets,
                                                                       large_assets: Assets) -> None:
    def height(name: str, box: str, large: bool) -> int:
        with theme.themed("normal", large_text=large):
            boxes = screens.render(pygame.Surface((800, 480)), sample_frame(name), "en",
                                   assets=large_assets if large else assets)
        return next(b for b in boxes if b.name == box).rect.height
    for name, box in (("expired", "body"), ("invoice", "hint"), ("tip", "tip-title"), ("entry-error", "error")):
        assert height(name, box, True) >= 1.2 * height(name, box, False), (name, box)


def test_a_screenshot_in_high_contrast_is_black_where_the_normal_one_is_dark_blue(tmp_path: Path) -> None:
    normal = render_screenshot("tip", (480, 320), out=tmp_path / "n.png")
    contrast = render_screenshot("tip", (480, 320), out=tmp_path / "h.png", theme="high-contrast")
    assert pygame.image.load(normal).get_at((2, 2))[:3] == (17, 21, 28)
    assert pygame.image.load(contrast).get_at((2, 2))[:3] == (0, 0, 0)
    with pytest.raises(ValueError, match="unknown theme 'sepia'"):
        render_screenshot("tip", (480, 320), out=tmp_path / "x.png", theme="sepia")
