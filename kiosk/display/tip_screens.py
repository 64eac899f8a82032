"""The tip step's screens: the options with their exact totals, and typing a tip (``kiosk.core.tip_step``).

Each option is a row that starts with its key in a framed box, so the choice reads by shape and
word, never by colour alone.
"""

from __future__ import annotations

import pygame

from kiosk.core.text import Texts, format_decimal_typed, format_eur, format_sats
from kiosk.core.text_tips import format_tip_option, rate_line, tip_texts
from kiosk.core.view import InvoiceView, TipCustomView, TipView
from kiosk.display import widgets
from kiosk.display.assets import Assets
from kiosk.display.fonts import Face
from kiosk.display.layout import Box, InvoiceLayout, Palette, columns, flow, stack
from kiosk.display.theme import roomier


def _px(surface: pygame.Surface, fraction: float) -> int:
    return max(10, round(min(surface.get_size()) * fraction))


def tip(surface: pygame.Surface, view: TipView, area: pygame.Rect, texts: Texts, assets: Assets) -> list[Box]:
    """The presets, "no tip" and "other amount", one row each, key on the left."""
    lang = texts.lang
    t, fonts = tip_texts(lang), assets.fonts
    rows: list[tuple[str, str]] = [(o.key, format_tip_option(t, o.pct, o.tip_cents, o.total_cents))
                                   for o in view.options if o.key != "0"]
    if view.custom:
        rows.append((",", t.custom_option) if lang != "en" else (".", t.custom_option))
    rows += [(o.key, format_tip_option(t, o.pct, o.tip_cents, o.total_cents)) for o in view.options if o.key == "0"]
    title, _, body, _ = flow(area, roomier([0.16, 0.03, 0.74, 0.02], {0, 2}))
    boxes = [widgets.paragraph(surface, fonts, "tip-title", t.tip_title.format(amount=format_eur(view.amount_cents,
                               lang)), title, face=Face.BOLD, color=Palette.TEXT, max_px=_px(surface, 0.08),
                               max_lines=2)]
    gap = max(2, body.height // 40)
    row_px = _px(surface, 0.07)
    for i, (slot, (key, text)) in enumerate(zip(stack(body, [1.0] * len(rows), gap=gap), rows, strict=True)):
        key_slot, text_slot = columns(slot, [0.14, 0.86], gap=max(4, slot.width // 50))
        side = min(key_slot.width, key_slot.height)
        frame = pygame.Rect(0, 0, side, side)
        frame.center = key_slot.center
        pygame.draw.rect(surface, Palette.TEXT, frame, width=max(2, side // 14), border_radius=max(2, side // 6))
        boxes.append(widgets.text_line(surface, fonts, f"tip-key-{i}", key, frame.inflate(-side // 4, -side // 4),
                                       face=Face.BOLD, color=Palette.TEXT))
        boxes.append(widgets.text_line(surface, fonts, f"tip-option-{i}", text, text_slot, face=Face.SEMIBOLD,
                                       color=Palette.TEXT, align="left", max_px=row_px))
    return boxes


def tip_custom(surface: pygame.Surface, view: TipCustomView, area: pygame.Rect, texts: Texts,
               assets: Assets) -> list[Box]:
    """The tip being typed, the total it makes, and how to confirm or go back."""
    lang = texts.lang
    t, fonts = tip_texts(lang), assets.fonts
    _, label, amount, total, error, hint, _ = flow(area, roomier([0.05, 0.12, 0.3, 0.12, 0.12, 0.09, 0.05],
                                                                     {1, 3, 4, 5}, keep={2}), gap=2)
    typed = format_decimal_typed(view.typed, lang) if view.typed else format_eur(0, lang)
    total_cents = view.amount_cents + (view.tip_cents or 0)
    boxes = [
        widgets.text_line(surface, fonts, "label", t.custom_title, label, color=Palette.MUTED,
                          max_px=_px(surface, 0.07)),
        widgets.text_line(surface, fonts, "amount", typed, amount, face=Face.BOLD,
                          color=Palette.TEXT if view.typed else Palette.MUTED),
        widgets.text_line(surface, fonts, "total", t.custom_total.format(total=format_eur(total_cents, lang)), total,
                          face=Face.SEMIBOLD, color=Palette.TEXT, max_px=_px(surface, 0.07)),
        widgets.paragraph(surface, fonts, "hint", t.custom_help, hint, color=Palette.MUTED,
                          max_px=_px(surface, 0.05), max_lines=2),
    ]
    if view.error is not None:
        message = texts.entry_errors[view.error].format(max=format_eur(view.max_tip_cents, lang))
        boxes.append(widgets.paragraph(surface, fonts, "error", "⚠ " + message, error, face=Face.SEMIBOLD,
                                       color=Palette.ERROR, max_px=_px(surface, 0.06), max_lines=2))
    return boxes


def sats_line(view: InvoiceView, lang: str) -> str:
    """The invoice's sats, then the tip it includes, if any."""
    parts = [format_sats(view.amount_sat, lang)]
    if view.tip_cents:
        parts.append(tip_texts(lang).incl_tip.format(tip=format_eur(view.tip_cents, lang)))
    return " · ".join(parts)


def hint_line(view: InvoiceView, scan_hint: str, lang: str) -> str:
    """The scan hint, or which key gives more time once the invoice runs low (``kiosk.core.more_time``)."""
    return tip_texts(lang).more_time if view.more_time_hint else scan_hint


def invoice_lines(surface: pygame.Surface, view: InvoiceView, layout: InvoiceLayout, lang: str, assets: Assets,
                  align: str) -> list[Box]:
    """The invoice's own lines beside the hint: its rate (``[display] show_rate``) and, while the first
    hint names the card tap, the "more time" key on a line of its own."""
    boxes: list[Box] = []
    rate = rate_line(view.amount_cents, view.amount_msat, lang) if view.show_rate else None
    if layout.rate is not None and rate is not None:
        boxes.append(widgets.text_line(surface, assets.fonts, "rate", rate, layout.rate, color=Palette.MUTED,
                                       align=align))
    if layout.note is not None:
        boxes.append(widgets.paragraph(surface, assets.fonts, "note", tip_texts(lang).more_time, layout.note,
                                       face=Face.SEMIBOLD, color=Palette.TEXT, max_px=_px(surface, 0.05),
                                       max_lines=1))
    return boxes
