"""Large text: every text a customer reads is at least as large as normal, sentences clearly larger, none cut."""

from __future__ import annotations

import statistics

import pygame
import pytest

from kiosk.display import screens, theme
from kiosk.display.assets import Assets
from kiosk.display.layout import Box, BoxKind
from kiosk.display.screenshot import SCREEN_NAMES, sample_frame
from tests.display.test_screens import SIZES

PORTRAIT = [(320, 480), (480, 800), (600, 1024), (1080, 1920)]
SENTENCES = {"subtitle", "hint", "body", "thanks", "note", "error", "label", "limit", "total", "tip-title",
             "pole-press"}
"""The boxes that hold sentences (titles, amounts, the status line and the tip choices must not shrink)."""


@pytest.fixture(scope="module")
def two_caches() -> tuple[Assets, Assets]:
    return Assets(), Assets()


def _texts(size: tuple[int, int], name: str, lang: str, assets: Assets, large: bool) -> dict[str, Box]:
    with theme.themed("high-contrast" if large else "normal", large_text=large):
        boxes = screens.render(pygame.Surface(size), sample_frame(name), lang, assets=assets)
    return {b.name: b for b in boxes if b.kind is BoxKind.TEXT}


def _compare(sizes: list[tuple[int, int]], lang: str,
             caches: tuple[Assets, Assets]) -> list[tuple[float, tuple[int, int], str, str]]:
    """Every sentence's large size over its normal one; fails on any text that shrinks, is cut or goes missing.

    (That nothing overlaps or leaves its slot in large text is ``tests/display/test_themes.py``'s.)
    """
    ratios = []
    for size in sizes:
        for name in SCREEN_NAMES:
            normal, large = (_texts(size, name, lang, cache, big) for cache, big in zip(caches, (False, True),
                                                                                       strict=True))
            assert set(large) == set(normal), (size, name)
            for key, box in normal.items():
                grown = large[key]
                assert grown.px >= box.px, f"{name}/{key} at {size} {lang}: {grown.px} px < {box.px} px"
                assert not grown.text.endswith("…") or box.text.endswith("…"), f"{name}/{key} cut at {size}"
                if key in SENTENCES:
                    ratios.append((grown.px / box.px, size, name, key))
    return ratios


def test_no_text_shrinks_or_is_cut_and_sentences_grow_at_every_size(two_caches: tuple[Assets, Assets]) -> None:
    found = _compare(SIZES + PORTRAIT, "en", two_caches)
    ratios = [r for r, *_ in found]
    assert statistics.median(ratios) >= 1.25
    assert sum(r >= 1.15 for r in ratios) >= 0.8 * len(ratios), sorted(found)[:20]
    reference = [f for f in found if f[1] == (800, 480)]
    assert reference and all(r >= 1.12 for r, *_ in reference), sorted(reference)[:5]


@pytest.mark.parametrize("lang", ["de", "fi"])
def test_longer_languages_keep_their_sizes_on_the_smallest_screens(lang: str,
                                                                   two_caches: tuple[Assets, Assets]) -> None:
    ratios = [r for r, *_ in _compare([(480, 320), (320, 480)], lang, two_caches)]
    assert statistics.median(ratios) >= 1.15


def test_rows_give_sentences_room_only_in_large_text() -> None:
    weights = [0.1, 0.4, 0.2, 0.3]
    assert theme.roomier(weights, {2}, keep={1}) == weights
    with theme.themed("normal", large_text=True):
        grown = theme.roomier(weights, {2}, keep={1})
    assert grown[2] == pytest.approx(0.2 * theme.LARGE_TEXT_SCALE)
    assert grown[1] == pytest.approx(0.4 * 1.03)
    assert sum(grown) == pytest.approx(sum(weights)), "the screen keeps its height"
    assert grown[0] < 0.1 and grown[3] < 0.3
