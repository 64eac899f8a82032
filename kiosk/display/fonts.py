"""The bundled fonts, a cache of loaded sizes, and text that always fits its box.

Fonts ship inside the package (Inter for words and numbers, DejaVu Sans Mono for the pole display)
so every kiosk draws the same glyphs, with ``€`` and ``ä ö å ü ß``, whatever the host has installed.
Fitting text shrinks the size until it fits; an ellipsis is the last resort, never a cut glyph.
"""

from __future__ import annotations

import enum
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pygame

log = logging.getLogger(__name__)

FONT_DIR = Path(__file__).with_name("fonts")
ELLIPSIS = "…"


class Face(enum.Enum):
    """Which bundled font file a text uses."""

    REGULAR = "Inter-Regular.otf"
    SEMIBOLD = "Inter-SemiBold.otf"
    BOLD = "Inter-Bold.otf"
    MONO = "DejaVuSansMono.ttf"

    @property
    def path(self) -> Path:
        return FONT_DIR / self.value


@dataclass(frozen=True, slots=True)
class FittedLines:
    """Text broken into lines that fit a box at one font size."""

    font: pygame.font.Font
    lines: tuple[str, ...]
    line_height: int

    @property
    def height(self) -> int:
        return self.line_height * len(self.lines)


class FontCache:
    """Loaded ``pygame.font.Font`` objects by face and pixel size, the last :attr:`CAPACITY` used.

    Loading a font is slow on a Pi Zero and each costs memory, so the sizes are searched with one
    probe font per face, resized in place (``point_size``: the same metrics as a font loaded at that
    size), and only the sizes a screen draws with are loaded and kept.
    """

    MIN_PX = 8
    CAPACITY = 24
    """Fonts kept: more than any two screens use together, so a redraw loads nothing."""

    def __init__(self) -> None:
        self._fonts: OrderedDict[tuple[Face, int], pygame.font.Font] = OrderedDict()
        self._probes: dict[Face, pygame.font.Font] = {}
        self._last_size: dict[tuple[object, ...], int] = {}
        self.loads = 0
        """How many fonts were loaded (tests check the cache works)."""

    def get(self, face: Face, px: int) -> pygame.font.Font:
        """The font ``face`` at ``px`` pixels (at least :attr:`MIN_PX`)."""
        px = max(self.MIN_PX, int(px))
        key = (face, px)
        font = self._fonts.get(key)
        if font is None:
            font = self._load(face, px)
            self._fonts[key] = font
            while len(self._fonts) > self.CAPACITY:
                self._fonts.popitem(last=False)
        else:
            self._fonts.move_to_end(key)
        return font

    def _load(self, face: Face, px: int) -> pygame.font.Font:
        if not pygame.font.get_init():
            pygame.font.init()
        self.loads += 1
        return pygame.font.Font(face.path, px)

    def _probe(self, face: Face, px: int) -> pygame.font.Font:
        """The face's measuring font, set to ``px`` (only for measuring: the next probe resizes it)."""
        probe = self._probes.get(face)
        if probe is None:
            probe = self._probes[face] = self._load(face, px)
        probe.point_size = px
        return probe

    def fit_line(self, text: str, face: Face, width: int, height: int, *, max_px: int | None = None,
                 min_px: int | None = None) -> tuple[pygame.font.Font, str]:
        """The largest font (up to ``max_px``, never taller than ``height``) that shows ``text`` in ``width``.

        Below ``min_px`` (still readable) the text is shortened with an ellipsis instead.
        """
        top = max(self.MIN_PX, min(height, max_px or height))
        bottom = min(top, max(self.MIN_PX, min_px or self.MIN_PX))
        px = self._largest(bottom, top, lambda f: f.size(text)[0] <= width and f.get_linesize() <= height, face,
                           box=("line", width, height))
        font = self.get(face, px)
        if font.size(text)[0] <= width:
            return font, text
        return font, ellipsize(font, text, width)

    def fit_paragraph(self, text: str, face: Face, width: int, height: int, *, max_px: int,
                      max_lines: int = 4, min_px: int | None = None) -> FittedLines:
        """Word-wrap ``text`` at the largest size whose lines all fit ``width`` x ``height``."""

        def fits(font: pygame.font.Font) -> bool:
            lines = wrap(font, text, width)
            return (len(lines) <= max_lines and font.get_linesize() * len(lines) <= height
                    and all(font.size(line)[0] <= width for line in lines))

        top = max(self.MIN_PX, min(height, max_px))
        bottom = min(top, max(self.MIN_PX, min_px or self.MIN_PX))
        font = self.get(face, self._largest(bottom, top, fits, face, box=("paragraph", width, height, max_lines)))
        lines = balanced_wrap(font, text, width)
        room = max(1, min(max_lines, height // max(1, font.get_linesize())))
        if len(lines) > room:
            lines = lines[:room]
            lines[-1] = ellipsize(font, lines[-1] + ELLIPSIS, width)
        lines = [ellipsize(font, line, width) for line in lines]
        return FittedLines(font=font, lines=tuple(lines), line_height=font.get_linesize())

    def _largest(self, bottom: int, top: int, ok: Callable[[pygame.font.Font], bool], face: Face, *,
                 box: tuple[object, ...] = ()) -> int:
        """The largest size in [bottom, top] for which ``ok(font)`` holds (else ``bottom``).

        The size last found for the same ``box`` is tried first with loaded fonts (a countdown's text
        changes every second, its size seldom); otherwise a binary search with the probe font.
        """
        key = (face, bottom, top, *box)
        last = self._last_size.get(key)
        if last is not None and ok(self.get(face, last)) and (last >= top or not ok(self.get(face, last + 1))):
            return last
        found = self._search(bottom, top, ok, face)
        self._last_size[key] = found
        if len(self._last_size) > self.CAPACITY * 4:
            self._last_size.pop(next(iter(self._last_size)))
        return found

    def _search(self, bottom: int, top: int, ok: Callable[[pygame.font.Font], bool], face: Face) -> int:
        lo, hi = max(self.MIN_PX, bottom), max(self.MIN_PX, bottom, top)
        if ok(self._probe(face, hi)):
            return hi
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if ok(self._probe(face, mid)):
                lo = mid
            else:
                hi = mid
        return lo


def wrap(font: pygame.font.Font, text: str, width: int) -> list[str]:
    """Greedy word wrap; a single word wider than ``width`` stays on its own line (caller ellipsizes)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and font.size(candidate)[0] > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines or [""]


def balanced_wrap(font: pygame.font.Font, text: str, width: int) -> list[str]:
    """Wrap into as few lines as :func:`wrap` needs, but with lines of similar length (no lone last word)."""
    lines = wrap(font, text, width)
    if len(lines) < 2:
        return lines
    lo, hi = 1, width
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if len(wrap(font, text, mid)) <= len(lines):
            hi = mid
        else:
            lo = mid
    narrower = wrap(font, text, hi)
    return narrower if len(narrower) == len(lines) else lines


def ellipsize(font: pygame.font.Font, text: str, width: int) -> str:
    """``text`` shortened at the end with ``…`` until it fits ``width`` (may become just ``…``)."""
    if font.size(text)[0] <= width:
        return text
    base = text.rstrip(ELLIPSIS)
    while base and font.size(base.rstrip() + ELLIPSIS)[0] > width:
        base = base[:-1]
    return base.rstrip() + ELLIPSIS if base else ELLIPSIS
