"""The customer screens: one pure function per view, drawing a :class:`Frame` onto a surface.

Nothing here opens a window or pushes pixels to the display; :mod:`kiosk.display.window` does.
:func:`render` draws a whole frame and returns the :class:`Box` of everything it drew.
:func:`same_static` and :func:`render_dynamic` let the window repaint only the moving parts (the
countdown ring once a second, a spinner) while the QR and every word stay untouched.
"""

from __future__ import annotations

import dataclasses
import logging

import pygame

from kiosk.core.tap_text import tap_line
from kiosk.core.tap_view import TapStage
from kiosk.core.text import Texts, format_countdown, format_decimal_typed, format_eur, format_sats, texts
from kiosk.core.view import (
    AmountEntryView,
    CheckingView,
    Frame,
    IdleView,
    InvoiceView,
    MessageKind,
    MessageView,
    PaidView,
    PreparingView,
    ShopStatus,
    TipCustomView,
    TipView,
)
from kiosk.display import tip_screens, widgets
from kiosk.display.assets import Assets
from kiosk.display.fonts import Face
from kiosk.display.layout import Box, BoxKind, Color, Palette, columns, dim, flow, frame_areas, invoice_layout
from kiosk.display.notice import draw_notice

log = logging.getLogger(__name__)

_default_assets: Assets | None = None
_CALM_KINDS = (MessageKind.EXPIRED, MessageKind.CANCELLED)


def default_assets() -> Assets:
    """A process-wide cache for callers that do not keep their own."""
    global _default_assets
    if _default_assets is None:
        _default_assets = Assets()
    return _default_assets


def render(surface: pygame.Surface, frame: Frame, language: str, *, assets: Assets | None = None,
           anim_s: float = 0.0) -> list[Box]:
    """Draw ``frame`` over the whole of ``surface`` in ``language``; return the boxes drawn.

    ``anim_s`` is a clock for animations whose view carries no time of its own (the checking hint
    on the invoice, the recovering spinner).
    """
    assets = assets or default_assets()
    t = texts(language)
    view = frame.view
    if isinstance(view, PaidView):
        surface.fill(Palette.PAID_BG)
    else:
        surface.fill(Palette.BG)
    if isinstance(view, InvoiceView):
        return _tap_hint(surface, view, frame, language, assets, _invoice(surface, view, frame.status, t, assets, anim_s))
    areas = frame_areas(surface.get_size())
    background = Palette.PAID_BG if isinstance(view, PaidView) else Palette.BG
    boxes = _status(surface, frame.status, areas.footer, t, assets, background)
    if isinstance(view, IdleView):
        boxes += _idle(surface, view, areas.content, t, assets)
    elif isinstance(view, AmountEntryView):
        boxes += _entry(surface, view, areas.content, t, assets)
    elif isinstance(view, (PreparingView, CheckingView)):
        boxes += _waiting(surface, view, areas.content, t, assets)
    elif isinstance(view, PaidView):
        boxes += _paid(surface, view, areas.content, t, assets)
    elif isinstance(view, TipView):
        boxes += tip_screens.tip(surface, view, areas.content, t, assets)
    elif isinstance(view, TipCustomView):
        boxes += tip_screens.tip_custom(surface, view, areas.content, t, assets)
    else:
        boxes += _message(surface, view, areas.content, t, assets, anim_s)
    return draw_notice(surface, frame, language, assets, boxes)


def same_static(old: Frame, new: Frame) -> bool:
    """True when ``new`` differs from ``old`` only in what :func:`render_dynamic` repaints."""
    if (old.status != new.status or type(old.view) is not type(new.view) or old.tap != new.tap
            or old.notice != new.notice):
        return False
    a, b = old.view, new.view
    if isinstance(a, InvoiceView) and isinstance(b, InvoiceView):
        return dataclasses.replace(b, seconds_left=a.seconds_left) == a
    if isinstance(a, (PreparingView, CheckingView)) and isinstance(b, (PreparingView, CheckingView)):
        return dataclasses.replace(b, elapsed_s=a.elapsed_s) == a
    return a == b


def render_dynamic(surface: pygame.Surface, frame: Frame, language: str, boxes: list[Box], *,
                   assets: Assets | None = None, anim_s: float = 0.0) -> list[pygame.Rect]:
    """Repaint only the moving parts named in ``boxes`` (from the last :func:`render`); return their slots."""
    assets = assets or default_assets()
    view = frame.view
    dirty: list[pygame.Rect] = []
    for box in boxes:
        if box.name == "countdown" and isinstance(view, InvoiceView):
            widgets.countdown_ring(surface, assets.fonts, box.slot, view.seconds_left, view.lifetime_s,
                                   format_countdown(view.seconds_left))
            dirty.append(box.slot)
        elif box.name == "spinner":
            widgets.spinner(surface, "spinner", box.slot, _phase(view, anim_s))
            dirty.append(box.slot)
    return dirty


def has_animation(frame: Frame) -> bool:
    """Whether the frame shows a spinner that must keep moving."""
    view = frame.view
    return (isinstance(view, (PreparingView, CheckingView))
            or (isinstance(view, InvoiceView) and view.checking)
            or (isinstance(view, MessageView) and view.kind is MessageKind.RECOVERING))


def _px(surface: pygame.Surface, fraction: float) -> int:
    """A type size as a fraction of the screen's short side: same proportions on every panel."""
    return max(10, round(min(surface.get_size()) * fraction))


def _phase(view: object, anim_s: float) -> float:
    if isinstance(view, (PreparingView, CheckingView)):
        return view.elapsed_s
    return anim_s


def _status(surface: pygame.Surface, status: ShopStatus, footer: pygame.Rect, t: Texts, assets: Assets,
            background: Color) -> list[Box]:
    """The shop's quiet status line: a DEMO tag on the left, problems in muted text on the right."""
    problems = []
    if status.mion_reachable is False:
        problems.append(t.status_mion)
    if status.till_connected is False:
        problems.append(t.status_till)
    if status.printer_problem:
        problems.append(t.status_printer.format(problem=status.printer_problem))
    if status.reader_problem:
        problems.append(t.status_reader.format(problem=status.reader_problem))
    boxes: list[Box] = []
    demo_slot, problem_slot = columns(footer, [0.22, 0.78], gap=footer.height)
    if status.demo:
        boxes.append(widgets.text_line(surface, assets.fonts, "status-demo", t.status_demo, demo_slot,
                                       face=Face.BOLD, color=Palette.ACCENT, align="left"))
    if problems:
        muted = dim(Palette.TEXT, 0.55, toward=background)
        boxes.append(widgets.text_line(surface, assets.fonts, "status", "● " + " · ".join(problems), problem_slot,
                                       color=muted, align="right"))
    return boxes


def _shop_identity(surface: pygame.Surface, view: IdleView, slot: pygame.Rect, assets: Assets,
                   color: Color) -> Box:
    logo = assets.logo(view.logo_path)
    if logo is not None and logo.get_width() > 0 and logo.get_height() > 0:
        scale = min(slot.width / logo.get_width(), slot.height / logo.get_height())
        size = (max(1, int(logo.get_width() * scale)), max(1, int(logo.get_height() * scale)))
        key = f"logo:{view.logo_path}:{size[0]}x{size[1]}"
        image = assets.icon(key, 0, lambda _side: pygame.transform.smoothscale(logo, size))
        return widgets.icon(surface, "logo", image, slot)
    # A long name wraps to two lines and shrinks to a size still readable from a metre; only then an ellipsis.
    return widgets.paragraph(surface, assets.fonts, "shop-name", view.shop_name, slot, face=Face.BOLD, color=color,
                             max_px=_px(surface, 0.16), min_px=_px(surface, 0.055), max_lines=2)


def _idle(surface: pygame.Surface, view: IdleView, area: pygame.Rect, t: Texts, assets: Assets) -> list[Box]:
    factor = 0.4 if view.dimmed else 1.0
    text, muted, accent = (dim(c, factor) for c in (Palette.TEXT, Palette.MUTED, Palette.ACCENT))
    fonts = assets.fonts
    if view.pole_lines is not None:
        name, _, pole, _, total, press = flow(area, [0.13, 0.05, 0.42, 0.07, 0.19, 0.10])
        boxes = [_shop_identity(surface, view, name, assets, muted), _pole(surface, view.pole_lines, pole, assets)]
        if view.pending_total_cents is not None:
            amount = format_eur(view.pending_total_cents, t.lang)
            boxes.append(widgets.text_line(surface, fonts, "pole-total", t.pole_total.format(amount=amount), total,
                                           face=Face.BOLD, color=text, max_px=_px(surface, 0.11)))
            boxes.append(widgets.paragraph(surface, fonts, "pole-press", t.pole_press_key, press, color=muted,
                                           max_px=_px(surface, 0.05), max_lines=2))
        else:
            boxes.append(widgets.text_line(surface, fonts, "title", t.idle_title, total, face=Face.SEMIBOLD,
                                           color=accent))
        return boxes
    _, name, _, bolt, title, subtitle, _ = flow(area, [0.04, 0.24, 0.08, 0.24, 0.15, 0.08, 0.05])
    side = min(bolt.width, bolt.height)
    bolt_image = assets.icon(f"bolt{factor}", side, lambda s: widgets.bolt_icon(s, accent))
    return [
        _shop_identity(surface, view, name, assets, text),
        widgets.icon(surface, "bolt", bolt_image, bolt),
        widgets.paragraph(surface, fonts, "title", t.idle_title, title, face=Face.SEMIBOLD, color=text,
                          max_px=_px(surface, 0.09), max_lines=2),
        widgets.text_line(surface, fonts, "subtitle", t.idle_subtitle, subtitle, color=muted,
                          max_px=_px(surface, 0.05)),
    ]


def _printable(line: str) -> str:
    """Control bytes from the till become spaces: the screen never shows tofu boxes."""
    return "".join(ch if ch.isprintable() else " " for ch in line)


def _pole(surface: pygame.Surface, lines: tuple[str, str], slot: pygame.Rect, assets: Assets) -> Box:
    """The till's two lines in a monospaced panel, like the pole display a customer knows."""
    rows = [_printable(line) for line in lines]
    widest = max([20, *(len(r) for r in rows)])
    pad = max(4, min(slot.width, slot.height) // 12)
    font, _ = assets.fonts.fit_line("0" * widest, Face.MONO, slot.width - 3 * pad, (slot.height - 2 * pad) // 2,
                                    max_px=_px(surface, 0.1))
    line_h = font.get_linesize()
    inner = pygame.Rect(0, 0, font.size("0" * widest)[0], 2 * line_h)
    inner.center = slot.center
    panel = inner.inflate(3 * pad, 2 * pad).clip(slot)
    pygame.draw.rect(surface, Palette.POLE_BG, panel, border_radius=pad)
    pygame.draw.rect(surface, Palette.TRACK, panel, width=max(1, pad // 6), border_radius=pad)
    for i, row in enumerate(rows):
        image = font.render(row.rstrip() or " ", True, Palette.POLE_TEXT)
        row_slot = pygame.Rect(inner.left, inner.top + i * line_h, inner.width, line_h)
        surface.blit(image, image.get_rect(midleft=row_slot.midleft).clamp(row_slot))
    return Box("pole", BoxKind.TEXT, inner, slot.copy(), " / ".join(rows))


def _entry(surface: pygame.Surface, view: AmountEntryView, area: pygame.Rect, t: Texts, assets: Assets) -> list[Box]:
    _, label, amount, error, limit, _ = flow(area, [0.08, 0.12, 0.36, 0.13, 0.10, 0.12], gap=2)
    fonts = assets.fonts
    limit_text = format_eur(view.max_amount_cents, t.lang)
    typed_color = Palette.TEXT if view.typed else Palette.MUTED
    boxes = [
        widgets.text_line(surface, fonts, "label", t.entry_label, label, color=Palette.MUTED,
                          max_px=_px(surface, 0.06)),
        widgets.text_line(surface, fonts, "amount", format_decimal_typed(_printable(view.typed), t.lang), amount,
                          face=Face.BOLD, color=typed_color),
        widgets.text_line(surface, fonts, "limit", t.entry_max.format(max=limit_text), limit, color=Palette.MUTED,
                          max_px=_px(surface, 0.05)),
    ]
    if view.error is not None:
        message = t.entry_errors[view.error].format(max=limit_text)
        boxes.append(widgets.paragraph(surface, fonts, "error", message, error, face=Face.SEMIBOLD,
                                       color=Palette.ERROR, max_px=_px(surface, 0.06), max_lines=2))
    return boxes


def _waiting(surface: pygame.Surface, view: PreparingView | CheckingView, area: pygame.Rect, t: Texts,
             assets: Assets) -> list[Box]:
    _, amount, _, spin, _, title, hint, _ = flow(area, [0.06, 0.2, 0.06, 0.3, 0.06, 0.12, 0.08, 0.06])
    title_text, hint_text = ((t.preparing, t.preparing_hint) if isinstance(view, PreparingView)
                             else (t.checking, t.checking_hint))
    fonts = assets.fonts
    return [
        widgets.text_line(surface, fonts, "amount", format_eur(view.amount_cents, t.lang), amount, face=Face.BOLD,
                          max_px=_px(surface, 0.15)),
        widgets.spinner(surface, "spinner", spin, view.elapsed_s),
        widgets.paragraph(surface, fonts, "title", title_text, title, face=Face.SEMIBOLD, color=Palette.TEXT,
                          max_px=_px(surface, 0.08), max_lines=2),
        widgets.text_line(surface, fonts, "hint", hint_text, hint, color=Palette.MUTED,
                          max_px=_px(surface, 0.05)),
    ]


def _invoice(surface: pygame.Surface, view: InvoiceView, status: ShopStatus, t: Texts, assets: Assets,
             anim_s: float) -> list[Box]:
    fonts = assets.fonts
    layout = invoice_layout(surface.get_size(), assets.qr.matrix(view.invoice).size)
    code = assets.qr.surface(view.invoice, layout.module_px)
    surface.blit(code, layout.qr)
    boxes = [Box("qr", BoxKind.QR, layout.qr.copy(), layout.qr.copy(), view.invoice)]
    align = "left" if layout.portrait else "center"
    boxes.append(widgets.text_line(surface, fonts, "amount", format_eur(view.amount_cents, t.lang), layout.amount,
                                   face=Face.BOLD, align=align))
    boxes.append(widgets.text_line(surface, fonts, "sats", tip_screens.sats_line(view, t.lang), layout.sats,
                                   color=Palette.MUTED, align=align))
    boxes += widgets.countdown_ring(surface, fonts, layout.countdown, view.seconds_left, view.lifetime_s,
                                    format_countdown(view.seconds_left))
    if view.checking:
        side = layout.hint.height
        spin_slot, text_slot = columns(layout.hint, [side, max(1, layout.hint.width - 2 * side)], gap=side // 2)
        spin_slot.width = min(spin_slot.width, side)
        boxes.append(widgets.spinner(surface, "spinner", spin_slot, anim_s))
        boxes.append(widgets.text_line(surface, fonts, "hint", t.checking, text_slot, face=Face.SEMIBOLD,
                                       color=Palette.ACCENT, align="left"))
    else:
        boxes.append(widgets.paragraph(surface, fonts, "hint", tip_screens.hint_line(view, t.scan_hint, t.lang),
                                       layout.hint, face=Face.SEMIBOLD,
                                       color=Palette.TEXT, max_px=_px(surface, 0.05), max_lines=2))
    boxes += _status(surface, status, layout.footer, t, assets, Palette.BG)
    return boxes


def _paid(surface: pygame.Surface, view: PaidView, area: pygame.Rect, t: Texts, assets: Assets) -> list[Box]:
    _, mark, _, title, amount, thanks, _ = flow(area, [0.02, 0.42, 0.05, 0.19, 0.1, 0.1, 0.02], gap=2)
    fonts = assets.fonts
    side = min(mark.width, mark.height)
    check = assets.icon("check", side, lambda s: widgets.check_icon(s, Palette.PAID_FG, Palette.PAID_BG))
    money = format_eur(view.amount_cents, t.lang)
    if view.amount_sat is not None:
        money += " · " + format_sats(view.amount_sat, t.lang)
    soft = dim(Palette.PAID_FG, 0.85, toward=Palette.PAID_BG)
    return [
        widgets.icon(surface, "check", check, mark),
        widgets.text_line(surface, fonts, "title", t.paid_late_title if view.late else t.paid_title, title,
                          face=Face.BOLD, color=Palette.PAID_FG, max_px=_px(surface, 0.16)),
        widgets.text_line(surface, fonts, "amount", money, amount, face=Face.SEMIBOLD, color=soft,
                          max_px=_px(surface, 0.065)),
        widgets.text_line(surface, fonts, "thanks", t.paid_thanks, thanks, color=soft,
                          max_px=_px(surface, 0.065)),
    ]


_DETAILED_KINDS = (MessageKind.CONFIG_ERROR, MessageKind.OUT_OF_SERVICE)
"""Screens that show their technical detail line, for the staff."""


def _message(surface: pygame.Surface, view: MessageView, area: pygame.Rect, t: Texts, assets: Assets,
             anim_s: float) -> list[Box]:
    has_detail = view.kind in _DETAILED_KINDS and bool(view.detail)
    weights = [0.03, 0.22, 0.05, 0.15, 0.2, 0.03, 0.09] + ([0.2] if has_detail else [0.04])
    _, mark, _, title, body, _, amount, extra = flow(area, weights, gap=2)
    fonts = assets.fonts
    title_text, body_text = t.messages[view.kind]
    boxes: list[Box] = []
    if view.kind is MessageKind.RECOVERING:
        boxes.append(widgets.spinner(surface, "spinner", mark, anim_s))
    else:
        color = Palette.MUTED if view.kind in _CALM_KINDS else Palette.ACCENT
        side = min(mark.width, mark.height)
        image = assets.icon(f"notice{color}", side, lambda s: widgets.notice_icon(s, color))
        boxes.append(widgets.icon(surface, "icon", image, mark))
    boxes.append(widgets.paragraph(surface, fonts, "title", title_text, title, face=Face.BOLD, color=Palette.TEXT,
                                   max_px=_px(surface, 0.1), max_lines=2))
    boxes.append(widgets.paragraph(surface, fonts, "body", body_text, body, max_px=_px(surface, 0.058),
                                   max_lines=2, color=Palette.MUTED))
    if view.amount_cents is not None:
        boxes.append(widgets.text_line(surface, fonts, "amount", format_eur(view.amount_cents, t.lang), amount,
                                       face=Face.SEMIBOLD, max_px=_px(surface, 0.06)))
    if has_detail and view.detail:
        boxes.append(widgets.paragraph(surface, fonts, "detail", _printable(view.detail), extra, face=Face.MONO,
                                       max_px=_px(surface, 0.04), max_lines=3, color=Palette.MUTED))
    return boxes


def _tap_hint(surface: pygame.Surface, view: InvoiceView, frame: Frame, language: str, assets: Assets,
              boxes: list[Box]) -> list[Box]:
    """With tap to pay: the invoice's hint line says what a card tap does now ("or tap your card", ...)."""
    tap = frame.tap
    if tap is None or (view.checking and tap.stage is TapStage.OFFERED):
        return boxes
    layout = invoice_layout(surface.get_size(), assets.qr.matrix(view.invoice).size)
    surface.fill(Palette.BG, layout.hint)
    color = Palette.ACCENT if tap.stage in (TapStage.PROCESSING, TapStage.PIN, TapStage.INITIATED) else Palette.TEXT
    kept = [box for box in boxes if box.name not in ("hint", "spinner")]
    kept.append(widgets.paragraph(surface, assets.fonts, "hint", tap_line(tap, language), layout.hint,
                                  face=Face.SEMIBOLD, color=color, max_px=_px(surface, 0.05), max_lines=2))
    return kept
