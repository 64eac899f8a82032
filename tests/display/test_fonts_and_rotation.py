"""Bundled fonts cover every character we show; fitting never overflows; rotation maps exactly."""

from __future__ import annotations

import pygame
import pytest

from kiosk.core.text import LANGUAGES, NBSP, NNBSP, texts
from kiosk.display.fonts import ELLIPSIS, FONT_DIR, Face, FontCache, ellipsize
from kiosk.display.rotation import logical_size, map_rect, rotate_onto


def test_fonts_and_licences_are_bundled() -> None:
    for face in Face:
        assert face.path.is_file(), face
    assert (FONT_DIR / "LICENSE-Inter.txt").is_file() and (FONT_DIR / "LICENSE-DejaVu.txt").is_file()


@pytest.mark.parametrize("face", list(Face))
def test_every_customer_character_has_a_glyph(face: Face) -> None:
    font = FontCache().get(face, 24)
    chars = set("€äöåüßÄÖÅÜ…·●" + NBSP + NNBSP + "0123456789")
    for lang in LANGUAGES:
        t = texts(lang)
        chars |= set(t.idle_title + t.scan_hint + t.checking + t.paid_thanks)
        chars |= {c for title, body in t.messages.values() for c in title + body}
    missing = [c for c in chars if font.metrics(c)[0] is None]
    assert not missing, f"{face.value} lacks {missing}"


def test_fit_line_shrinks_then_ellipsizes() -> None:
    cache = FontCache()
    font, shown = cache.fit_line("Pay with Bitcoin Lightning", Face.REGULAR, 200, 60)
    assert shown == "Pay with Bitcoin Lightning" and font.size(shown)[0] <= 200
    font, shown = cache.fit_line("x" * 400, Face.REGULAR, 100, 60, min_px=14)
    assert shown.endswith(ELLIPSIS) and font.size(shown)[0] <= 100 and font.get_height() >= 14


def test_fit_paragraph_wraps_within_the_box() -> None:
    fitted = FontCache().fit_paragraph("Nothing was charged. Ask the cashier to start again.", Face.REGULAR, 180,
                                       80, max_px=40, max_lines=3)
    assert 2 <= len(fitted.lines) <= 3 and fitted.height <= 80
    assert all(fitted.font.size(line)[0] <= 180 for line in fitted.lines)


def test_ellipsize_keeps_what_fits() -> None:
    font = FontCache().get(Face.REGULAR, 20)
    assert ellipsize(font, "short", 500) == "short"
    assert ellipsize(font, "a much longer line of text", 60).endswith(ELLIPSIS)
    assert ellipsize(font, "wide", 1) == ELLIPSIS


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_rotation_maps_each_rect_onto_the_rotated_pixels(rotate: int) -> None:
    physical_size = (80, 50)
    logical = pygame.Surface(logical_size(physical_size, rotate))
    logical.fill((0, 0, 0))
    marker = pygame.Rect(3, 7, 11, 5)
    logical.fill((255, 0, 0), marker)
    physical = pygame.Surface(physical_size)
    rotate_onto(logical, physical, rotate)
    mapped = map_rect(marker, logical.get_size(), rotate)
    assert physical.get_bounding_rect(min_alpha=1) == physical.get_rect()
    reds = [(x, y) for x in range(physical_size[0]) for y in range(physical_size[1])
            if physical.get_at((x, y))[:3] == (255, 0, 0)]
    assert pygame.Rect(mapped).collidelistall([pygame.Rect(p, (1, 1)) for p in reds])
    assert len(reds) == mapped.width * mapped.height == marker.width * marker.height
    assert all(mapped.collidepoint(p) for p in reds)


def test_rotation_refuses_odd_angles() -> None:
    with pytest.raises(ValueError, match="45"):
        logical_size((800, 480), 45)
