"""Drawing primitives for the screens: fitted text, the spinner, the countdown ring, icons.

Each function paints inside the rectangle it is given and returns the :class:`Box` it used, so
the screens can report exactly what they drew. Shapes with curves are drawn anti-aliased
(gfxdraw edges, or drawn larger and smoothed down for the static icons).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

import pygame
import pygame.gfxdraw

from kiosk.display.fonts import Face, FontCache
from kiosk.display.layout import Box, BoxKind, Color, Palette, dim
from kiosk.display.theme import large_text, text_cap

log = logging.getLogger(__name__)

SUPERSAMPLE = 3


def text_line(surface: pygame.Surface, fonts: FontCache, name: str, text: str, slot: pygame.Rect, *,
              face: Face = Face.REGULAR, color: Color | None = None, max_px: int | None = None,
              min_px: int | None = None, align: str = "center") -> Box:
    """One line of ``text`` at the largest size that fits ``slot`` (ellipsis as a last resort)."""
    color = Palette.TEXT if color is None else color  # the theme's, when drawn (kiosk.display.theme)
    font, shown = fonts.fit_line(text, face, slot.width, slot.height, max_px=text_cap(max_px), min_px=min_px)
    image = font.render(shown, True, color)
    rect = image.get_rect()
    rect.centery = slot.centery
    if align == "left":
        rect.left = slot.left
    elif align == "right":
        rect.right = slot.right
    else:
        rect.centerx = slot.centerx
    rect = rect.clamp(slot)
    surface.blit(image, rect)
    return Box(name, BoxKind.TEXT, rect, slot.copy(), shown, px=font.point_size)


def paragraph(surface: pygame.Surface, fonts: FontCache, name: str, text: str, slot: pygame.Rect, *,
              face: Face = Face.REGULAR, color: Color | None = None, max_px: int, max_lines: int = 3,
              min_px: int | None = None) -> Box:
    """Word-wrapped, centred ``text`` at the largest size whose lines fit ``slot``."""
    color = Palette.MUTED if color is None else color
    fitted = fonts.fit_paragraph(text, face, slot.width, slot.height, max_px=text_cap(max_px) or max_px,
                                 max_lines=max_lines + (1 if large_text() else 0),
                                 min_px=min_px)
    y = slot.top + (slot.height - fitted.height) // 2
    painted = pygame.Rect(slot.centerx, y, 0, 0)
    for line in fitted.lines:
        image = fitted.font.render(line, True, color)
        rect = image.get_rect(midtop=(slot.centerx, y)).clamp(slot)
        surface.blit(image, rect)
        painted.union_ip(rect)
        y += fitted.line_height
    return Box(name, BoxKind.TEXT, painted.clip(slot), slot.copy(), " ".join(fitted.lines), px=fitted.font.point_size)


def spinner(surface: pygame.Surface, name: str, slot: pygame.Rect, phase_s: float, *,
            color: Color | None = None, background: Color | None = None) -> Box:
    """A ring of dots whose bright head travels round once every 1.2 s: calm, never frozen."""
    color = Palette.ACCENT if color is None else color
    background = Palette.BG if background is None else background
    pygame.draw.rect(surface, background, slot)
    side = min(slot.width, slot.height)
    count = 12
    dot_r = max(2, round(side * 0.06))
    radius = side / 2 - dot_r - 1
    head = int(phase_s / 1.2 * count) % count
    for i in range(count):
        age = (head - i) % count
        shade = dim(color, max(0.18, 1.0 - age / (count * 0.75)), toward=background)
        angle = 2 * math.pi * i / count - math.pi / 2
        x = round(slot.centerx + radius * math.cos(angle))
        y = round(slot.centery + radius * math.sin(angle))
        pygame.gfxdraw.filled_circle(surface, x, y, dot_r, shade)
        pygame.gfxdraw.aacircle(surface, x, y, dot_r, shade)
    return Box(name, BoxKind.GRAPHIC, pygame.Rect(slot.centerx - side // 2, slot.centery - side // 2, side, side),
               slot.copy())


def countdown_ring(surface: pygame.Surface, fonts: FontCache, slot: pygame.Rect, seconds_left: int,
                   lifetime_s: int, label: str) -> list[Box]:
    """A ring that empties as the invoice ages, with ``m:ss`` (``label``) in its middle."""
    pygame.draw.rect(surface, Palette.BG, slot)
    side = min(slot.width, slot.height)
    outer = side / 2 - 1
    thickness = max(3, round(side * 0.07))
    inner = outer - thickness
    cx, cy = slot.center
    _annulus(surface, cx, cy, outer, inner, 0.0, 1.0, Palette.TRACK)
    fraction = 0.0 if lifetime_s <= 0 else min(1.0, max(0.0, seconds_left / lifetime_s))
    if fraction > 0:
        _annulus(surface, cx, cy, outer, inner, 0.0, fraction, Palette.ACCENT)
    ring = pygame.Rect(0, 0, side, side)
    ring.center = slot.center
    text_w = round(inner * 1.5)
    text_slot = pygame.Rect(0, 0, text_w, round(inner * 0.75))
    text_slot.center = slot.center
    text = text_line(surface, fonts, "countdown-text", label, text_slot, face=Face.SEMIBOLD)
    return [Box("countdown", BoxKind.GRAPHIC, ring, slot.copy()), text]


def _annulus(surface: pygame.Surface, cx: float, cy: float, outer: float, inner: float, start: float,
             fraction: float, color: Color) -> None:
    """A ring segment from ``start`` to ``start+fraction`` of a turn, clockwise from 12 o'clock."""
    steps = max(8, int(96 * fraction))
    angles = [2 * math.pi * (start + fraction * i / steps) - math.pi / 2 for i in range(steps + 1)]
    outer_pts = [(cx + outer * math.cos(a), cy + outer * math.sin(a)) for a in angles]
    inner_pts = [(cx + inner * math.cos(a), cy + inner * math.sin(a)) for a in reversed(angles)]
    if fraction >= 1.0:
        # A full ring: two circles, so no seam shows where the polygon would close.
        pygame.draw.circle(surface, color, (round(cx), round(cy)), round(outer), round(outer - inner))
        pygame.gfxdraw.aacircle(surface, round(cx), round(cy), round(outer), color)
        pygame.gfxdraw.aacircle(surface, round(cx), round(cy), round(inner), color)
        return
    points = [(round(x), round(y)) for x, y in outer_pts + inner_pts]
    pygame.gfxdraw.filled_polygon(surface, points, color)
    pygame.gfxdraw.aapolygon(surface, points, color)
    cap_r = (outer - inner) / 2
    mid = (outer + inner) / 2
    for a in (angles[0], angles[-1]):
        x, y = round(cx + mid * math.cos(a)), round(cy + mid * math.sin(a))
        pygame.gfxdraw.filled_circle(surface, x, y, round(cap_r), color)
        pygame.gfxdraw.aacircle(surface, x, y, round(cap_r), color)


def _smooth_icon(side: int, draw: Callable[[pygame.Surface, int], None]) -> pygame.Surface:
    """Draw at SUPERSAMPLE x size with ``draw(surface, big_side)``, then smooth down: soft edges."""
    big = pygame.Surface((side * SUPERSAMPLE, side * SUPERSAMPLE), pygame.SRCALPHA)
    draw(big, side * SUPERSAMPLE)
    return pygame.transform.smoothscale(big, (side, side))


def check_icon(side: int, circle: Color, mark: Color) -> pygame.Surface:
    """A filled circle with a bold check mark: 'paid' at a glance."""

    def draw(s: pygame.Surface, n: int) -> None:
        pygame.draw.circle(s, circle, (n // 2, n // 2), n // 2)
        points = [(0.28 * n, 0.52 * n), (0.44 * n, 0.67 * n), (0.73 * n, 0.36 * n)]
        width = max(2, round(n * 0.085))
        pygame.draw.lines(s, mark, False, points, width)
        for p in points:
            pygame.draw.circle(s, mark, (round(p[0]), round(p[1])), width // 2)

    return _smooth_icon(side, draw)


def bolt_icon(side: int, color: Color) -> pygame.Surface:
    """The Lightning bolt, the one decoration on the idle screen."""

    def draw(s: pygame.Surface, n: int) -> None:
        shape = [(0.58, 0.04), (0.20, 0.56), (0.47, 0.56), (0.38, 0.96), (0.80, 0.40), (0.53, 0.40), (0.66, 0.04)]
        pygame.draw.polygon(s, color, [(x * n, y * n) for x, y in shape])

    return _smooth_icon(side, draw)


def notice_icon(side: int, color: Color) -> pygame.Surface:
    """A ring with an exclamation mark: something ended or needs another way to pay."""

    def draw(s: pygame.Surface, n: int) -> None:
        pygame.draw.circle(s, color, (n // 2, n // 2), n // 2, max(2, round(n * 0.07)))
        bar = pygame.Rect(0, 0, round(n * 0.09), round(n * 0.34))
        bar.midtop = (n // 2, round(n * 0.22))
        pygame.draw.rect(s, color, bar, border_radius=bar.width // 2)
        pygame.draw.circle(s, color, (n // 2, round(n * 0.72)), round(n * 0.06))

    return _smooth_icon(side, draw)


def icon(surface: pygame.Surface, name: str, image: pygame.Surface, slot: pygame.Rect) -> Box:
    """Blit a square icon centred in ``slot``."""
    rect = image.get_rect(center=slot.center)
    surface.blit(image, rect)
    return Box(name, BoxKind.GRAPHIC, rect, slot.copy())
