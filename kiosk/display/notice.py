"""The till notice drawn over a screen (:class:`~kiosk.core.till_notice.TillNotice`).

On the idle screen it is a banner over the lower part of the content area, where the greeting was;
on every other screen but the invoice it takes the footer line, so the customer's "Paid" and the
amount stay where they are. The invoice screen never shows it: the QR code is the customer's.
"""

from __future__ import annotations

import pygame

from kiosk.core.till_notice_text import notice_lines
from kiosk.core.view import Frame, IdleView, InvoiceView, PaidView
from kiosk.display import widgets
from kiosk.display.assets import Assets
from kiosk.display.fonts import Face
from kiosk.display.layout import Box, Palette, flow, frame_areas

BANNER_SHARE = 0.32
"""The lower share of the idle screen's content area the banner covers."""


def draw_notice(surface: pygame.Surface, frame: Frame, language: str, assets: Assets, boxes: list[Box]) -> list[Box]:
    """Draw ``frame.notice`` over what :func:`~kiosk.display.screens.render` drew; the boxes left visible."""
    notice, view = frame.notice, frame.view
    if notice is None or isinstance(view, InvoiceView):
        return boxes
    title, body, footer_text = notice_lines(notice, language)
    areas = frame_areas(surface.get_size())
    short = min(surface.get_size())
    fonts = assets.fonts
    if isinstance(view, IdleView):
        content = areas.content
        height = round(content.height * BANNER_SHARE)
        banner = pygame.Rect(content.left, content.bottom - height, content.width, height)
        kept = [box for box in boxes if not box.slot.colliderect(banner)]
        for box in boxes:
            if box not in kept:  # what the banner would cut in half goes altogether
                surface.fill(Palette.BG, box.slot)
        surface.fill(Palette.ACCENT, banner)
        pad = max(4, round(short * 0.015))
        head, text = flow(banner.inflate(-2 * pad, -2 * pad), [0.38, 0.62], gap=2)
        kept.append(widgets.text_line(surface, fonts, "notice-title", title, head, face=Face.BOLD, color=Palette.BG,
                                      max_px=max(10, round(short * 0.07))))
        kept.append(widgets.paragraph(surface, fonts, "notice-body", body, text, color=Palette.BG, max_lines=3,
                                      max_px=max(10, round(short * 0.045))))
        return kept
    footer = areas.footer
    background = Palette.PAID_BG if isinstance(view, PaidView) else Palette.BG
    surface.fill(background, footer)
    kept = [box for box in boxes if not box.slot.colliderect(footer)]
    color = Palette.PAID_FG if isinstance(view, PaidView) else Palette.ACCENT
    kept.append(widgets.text_line(surface, fonts, "notice-footer", footer_text, footer, face=Face.BOLD, color=color))
    return kept
