"""The screen's themes (``[display] theme``) and large text (``[display] large_text``).

Screens draw with the colours of :class:`kiosk.display.layout.Palette`; :func:`apply` sets them for
the chosen theme before the first frame (and :func:`themed` for one screenshot). The high-contrast
theme is pure white text on black, a yellow accent and a dark green paid screen: every text colour
is at least 7:1 against its background (WCAG AAA), which ``tests/display`` checks. Nothing about a
sale is told by colour alone: every outcome has its own icon, words and sound.

Large text raises the size cap of every line of text by :data:`LARGE_TEXT_SCALE`, lets a paragraph
take one line more, and gives the rows holding sentences more of the screen (:func:`roomier`); amounts
and titles keep their rows, so no text is smaller than in the normal mode. A line still never leaves
its slot (it is fitted to it), so every screen stays sound at every size, which is tested too.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager

from kiosk.display.layout import Color, Palette

THEMES: dict[str, dict[str, Color]] = {
    "normal": {
        "BG": (17, 21, 28), "PANEL": (30, 36, 46), "TEXT": (244, 245, 247), "MUTED": (148, 157, 172),
        "TRACK": (52, 60, 74), "ACCENT": (247, 147, 26), "ERROR": (255, 128, 118), "PAID_BG": (21, 128, 61),
        "PAID_FG": (255, 255, 255), "POLE_BG": (6, 10, 12), "POLE_TEXT": (226, 232, 226),
    },
    "high-contrast": {
        "BG": (0, 0, 0), "PANEL": (0, 0, 0), "TEXT": (255, 255, 255), "MUTED": (230, 230, 230),
        "TRACK": (110, 110, 110), "ACCENT": (255, 214, 0), "ERROR": (255, 170, 160), "PAID_BG": (0, 80, 30),
        "PAID_FG": (255, 255, 255), "POLE_BG": (0, 0, 0), "POLE_TEXT": (255, 255, 255),
    },
}
THEME_NAMES = tuple(THEMES)
LARGE_TEXT_SCALE = 1.3


class _TextSize:
    scale = 1.0


def text_cap(max_px: int | None) -> int | None:
    """A line's size cap, raised in large-text mode (None: no cap, the slot decides).

    The normal mode keeps the screen's own cap: without it a short line would grow to its whole slot
    and large text could come out smaller than normal text.
    """
    return None if max_px is None else round(max_px * _TextSize.scale)


def large_text() -> bool:
    """Whether large text is on (a paragraph may then take one line more)."""
    return _TextSize.scale != 1.0


def roomier(weights: Sequence[float], text_rows: Collection[int], keep: Collection[int] = (), *,
            kept: float = 1.03) -> list[float]:
    """Row weights for a screen: in large-text mode the ``text_rows`` (sentences) get
    :data:`LARGE_TEXT_SCALE` times their share and the other rows (icons, spacing) give it up, so the
    screen keeps its height and its sentences get the room to be larger; rows in ``keep`` (amounts,
    headlines) keep theirs, times ``kept`` (a whisker more, so rounding to whole pixels never makes a
    kept line smaller). Unchanged in normal mode."""
    scale = _TextSize.scale
    if scale == 1.0:
        return list(weights)
    others = sum(w for i, w in enumerate(weights) if i not in text_rows and i not in keep)
    extra = sum(w * ((scale if i in text_rows else kept) - 1.0) for i, w in enumerate(weights)
                if i in text_rows or i in keep)
    shrink = max(0.25, (others - extra) / others) if others > 0 else 1.0
    return [w * scale if i in text_rows else w * kept if i in keep else w * shrink for i, w in enumerate(weights)]


def apply(theme: str, large_text: bool = False) -> None:
    """Use ``theme``'s colours and the text size from now on (call before drawing).

    Raises:
        ValueError: an unknown theme, naming the known ones.
    """
    if theme not in THEMES:
        raise ValueError(f"unknown theme {theme!r}: expected one of {', '.join(THEME_NAMES)}")
    for name, color in THEMES[theme].items():
        setattr(Palette, name, color)
    _TextSize.scale = LARGE_TEXT_SCALE if large_text else 1.0


def current() -> tuple[str, bool]:
    """The theme in use and whether text is large."""
    colors = {name: getattr(Palette, name) for name in THEMES["normal"]}
    name = next((n for n, c in THEMES.items() if c == colors), "normal")
    return name, _TextSize.scale != 1.0


@contextmanager
def themed(theme: str, large_text: bool = False) -> Iterator[None]:
    """``theme`` and text size inside the block, the previous ones after it."""
    before = current()
    apply(theme, large_text)
    try:
        yield
    finally:
        apply(*before)


def contrast_ratio(a: Color, b: Color) -> float:
    """The WCAG contrast ratio of two colours (1 to 21)."""
    def luminance(c: Color) -> float:
        def channel(v: int) -> float:
            s = v / 255
            return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4
        r, g, b_ = (channel(v) for v in c)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b_
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
