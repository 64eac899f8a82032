"""Geometry and colours: where things go, computed from the screen size alone.

Nothing here knows a resolution. Sizes are fractions of the screen's short side; the invoice layout
picks landscape (QR left, details right) or portrait (QR on top) by which one gives the larger QR.
Every drawn thing is reported as a :class:`Box`, so tests can prove that nothing overlaps, nothing
leaves the screen and no text leaves its slot.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

import pygame

Color = tuple[int, int, int]


class Palette:
    """One calm dark theme with a single accent; green only for 'paid'."""

    BG: Color = (17, 21, 28)
    PANEL: Color = (30, 36, 46)
    TEXT: Color = (244, 245, 247)
    MUTED: Color = (148, 157, 172)
    TRACK: Color = (52, 60, 74)
    ACCENT: Color = (247, 147, 26)
    ERROR: Color = (255, 128, 118)
    PAID_BG: Color = (21, 128, 61)
    PAID_FG: Color = (255, 255, 255)
    POLE_BG: Color = (6, 10, 12)
    POLE_TEXT: Color = (226, 232, 226)


def dim(color: Color, factor: float = 0.45, toward: Color | None = None) -> Color:
    """``color`` blended toward ``toward`` (the dimmed idle screen, fading spinner dots); default: the background."""
    toward = Palette.BG if toward is None else toward
    return (
        round(toward[0] + (color[0] - toward[0]) * factor),
        round(toward[1] + (color[1] - toward[1]) * factor),
        round(toward[2] + (color[2] - toward[2]) * factor),
    )


class BoxKind(enum.Enum):
    TEXT = "text"
    QR = "qr"
    GRAPHIC = "graphic"


@dataclass(frozen=True, slots=True)
class Box:
    """One drawn element: ``rect`` is what was painted, ``slot`` the space the layout gave it."""

    name: str
    kind: BoxKind
    rect: pygame.Rect
    slot: pygame.Rect
    text: str = ""
    px: int = 0
    """For text: the font size it was drawn at (tests compare sizes between themes and text sizes)."""


@dataclass(frozen=True, slots=True)
class Areas:
    """The screen split into the content area and the thin footer for the shop's status line."""

    margin: int
    content: pygame.Rect
    footer: pygame.Rect


def frame_areas(size: tuple[int, int]) -> Areas:
    """Margins and footer from the screen size: generous whitespace, scaled to the short side."""
    width, height = size
    short = min(width, height)
    margin = max(8, round(short * 0.05))
    footer_h = max(12, round(short * 0.045))
    footer = pygame.Rect(margin, height - margin - footer_h, width - 2 * margin, footer_h)
    content = pygame.Rect(margin, margin, width - 2 * margin, footer.top - margin // 2 - margin)
    return Areas(margin=margin, content=content, footer=footer)


def stack(area: pygame.Rect, weights: Sequence[float], *, gap: int = 0) -> list[pygame.Rect]:
    """Split ``area`` top to bottom into rows proportional to ``weights``, ``gap`` pixels apart.

    Rows are whole pixels and never overlap; the last one ends exactly at ``area.bottom``.
    """
    total = sum(weights) or 1.0
    free = max(0, area.height - gap * (len(weights) - 1))
    rows: list[pygame.Rect] = []
    y = area.top
    acc = 0.0
    for i, weight in enumerate(weights):
        acc += weight
        bottom = area.top + round(free * acc / total) + gap * i
        if i == len(weights) - 1:
            bottom = area.bottom
        rows.append(pygame.Rect(area.left, y, area.width, max(0, bottom - y)))
        y = bottom + gap
    return rows


def columns(area: pygame.Rect, weights: Sequence[float], *, gap: int = 0) -> list[pygame.Rect]:
    """Like :func:`stack`, left to right."""
    flipped = pygame.Rect(area.top, area.left, area.height, area.width)
    return [pygame.Rect(r.top, r.left, r.height, r.width) for r in stack(flipped, weights, gap=gap)]


@dataclass(frozen=True, slots=True)
class InvoiceLayout:
    """Where the invoice screen puts the QR and each detail."""

    portrait: bool
    qr: pygame.Rect
    module_px: int
    amount: pygame.Rect
    sats: pygame.Rect
    countdown: pygame.Rect
    hint: pygame.Rect
    footer: pygame.Rect
    rate: pygame.Rect | None = None
    """The rate's own line under the sats (``[display] show_rate``)."""
    note: pygame.Rect | None = None
    """A second hint line under the first (the "more time" key while the first names the card tap)."""


def invoice_layout(size: tuple[int, int], qr_modules: int, *, rate: bool = False, note: bool = False,
                   text_scale: float = 1.0) -> InvoiceLayout:
    """The QR as large as whole pixels per module allow, with the details beside or below it.

    ``rate`` and ``note`` ask for their own lines; the countdown ring (landscape) or the amount and
    the first hint (portrait) give them the room, so no line is ever replaced by another. With
    ``text_scale`` above 1 (large text) the details get that much more of the screen; the QR gives it
    up, which its whole-pixel modules mostly absorb.
    """
    width, height = size
    margin = frame_areas(size).margin
    land_side = min(height - 2 * margin, width - 3 * margin - round(width * 0.30 * text_scale))
    port_side = min(width - 2 * margin, height - 3 * margin - round(height * 0.34 * text_scale))
    portrait = port_side > land_side
    side = max(qr_modules, port_side if portrait else land_side)
    module_px = max(1, side // qr_modules)
    qr_px = module_px * qr_modules
    if portrait:
        # QR and details form one block centred above the footer, so a tall screen has no empty tail.
        footer = frame_areas(size).footer
        bottom = footer.top - margin // 2
        info_h = max(0, min(bottom - qr_px - 3 * margin, round(width * 0.55 * text_scale)))
        top_y = margin + max(0, (bottom - margin - (qr_px + margin + info_h)) // 2)
        qr = pygame.Rect((width - qr_px) // 2, top_y, qr_px, qr_px)
        info = pygame.Rect(margin, qr.bottom + margin, width - 2 * margin, info_h)
        shares = [0.64, 0.20, 0.16] if note else [0.72, 0.28]
        rows = stack(info, shares, gap=max(2, margin // 4))
        top, hint = rows[0], rows[1]
        note_rect = rows[2] if note else None
        texts, countdown = columns(top, [0.58, 0.42], gap=margin // 2)
        lines = stack(texts, [0.5, 0.27, 0.23] if rate else [0.62, 0.38])
        amount, sats = lines[0], lines[1]
        rate_rect = lines[2] if rate else None
    else:
        qr = pygame.Rect(margin, (height - qr_px) // 2, qr_px, qr_px)
        info = pygame.Rect(qr.right + margin, margin, width - qr.right - 2 * margin, height - 2 * margin)
        weights = {"amount": 0.19, "sats": 0.09, "rate": 0.075, "gap": 0.03, "countdown": 0.40, "hint": 0.16,
                   "note": 0.09, "footer": 0.07}
        names = [n for n in weights if (n != "rate" or rate) and (n != "note" or note)]
        weights["countdown"] -= (0.075 if rate else 0.0) + (0.09 if note else 0.0)
        slots = dict(zip(names, stack(info, [weights[n] for n in names], gap=max(2, margin // 4)), strict=True))
        amount, sats, countdown, hint, footer = (slots[n] for n in ("amount", "sats", "countdown", "hint", "footer"))
        rate_rect, note_rect = slots.get("rate"), slots.get("note")
    return InvoiceLayout(portrait=portrait, qr=qr, module_px=module_px, amount=amount, sats=sats,
                         countdown=countdown, hint=hint, footer=footer, rate=rate_rect, note=note_rect)


def flow(area: pygame.Rect, weights: Sequence[float], *, gap: int = 0) -> list[pygame.Rect]:
    """Rows like :func:`stack`, but sized from the area's shorter side and centred vertically.

    On a portrait screen this keeps a screen's elements together in the middle instead of spreading
    them over the whole height.
    """
    unit = min(area.height, round(area.width * 1.3))
    height = min(area.height, round(unit * sum(weights)) + gap * (len(weights) - 1))
    group = pygame.Rect(area.left, area.top + (area.height - height) // 2, area.width, height)
    return stack(group, weights, gap=gap)
