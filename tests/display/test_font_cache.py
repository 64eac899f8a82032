"""The font cache loads only the sizes drawn with, keeps a bounded number, and measures like a loaded font."""

from __future__ import annotations

import pygame

from kiosk.display.fonts import Face, FontCache


def test_fitting_text_loads_one_font_and_measures_as_a_font_loaded_at_that_size() -> None:
    cache = FontCache()
    font, text = cache.fit_line("Pay 12.50 EUR with Lightning", Face.BOLD, 300, 80)
    assert cache.loads <= 2, "one probe for the search, one font for the size found"
    loaded = pygame.font.Font(Face.BOLD.path, font.point_size)
    assert loaded.size(text) == font.size(text) and loaded.size(text)[0] <= 300


def test_the_cache_is_bounded_and_keeps_what_is_used() -> None:
    cache = FontCache()
    kept = cache.get(Face.REGULAR, 20)
    for px in range(21, 21 + 3 * FontCache.CAPACITY):
        cache.get(Face.REGULAR, px)
        assert cache.get(Face.REGULAR, 20) is kept  # used every time: never evicted
    assert len(cache._fonts) == FontCache.CAPACITY
    loads = cache.loads
    cache.fit_paragraph("Nothing was charged. Ask the cashier to start again.", Face.REGULAR, 180, 120, max_px=40)
    cache.fit_paragraph("Nothing was charged. Ask the cashier to start again.", Face.REGULAR, 180, 120, max_px=40)
    cache.fit_paragraph("Nothing was charged. Ask the cashier to start again.", Face.REGULAR, 180, 120, max_px=40)
    assert cache.loads - loads <= 3, "the size found and, to check it again, the size above it"


def test_a_text_that_changes_in_the_same_box_keeps_its_size_without_a_search() -> None:
    cache = FontCache()
    first, _ = cache.fit_line("1:59", Face.BOLD, 120, 60)
    loads = cache.loads
    for seconds in range(58, 0, -1):
        font, _ = cache.fit_line(f"1:{seconds:02d}", Face.BOLD, 120, 60)
        assert font.point_size == first.point_size
    assert cache.loads - loads <= 1
