"""Screenshots of every screen with realistic sample data, without a display.

``kiosk screenshot --screen invoice --size 800x480 --out invoice.png`` calls
:func:`render_screenshot`; the README images and the layout tests come from here too.
"""

from __future__ import annotations

import logging
import os
import random
from pathlib import Path

import pygame

from kiosk.core.tap_view import TapStage, TapView
from kiosk.core.view import (
    AmountEntryView,
    CheckingView,
    EntryError,
    Frame,
    IdleView,
    InvoiceView,
    MessageKind,
    MessageView,
    PaidView,
    PreparingView,
    ShopStatus,
    TipCustomView,
    TipOption,
    TipView,
    View,
)
from kiosk.display import screens
from kiosk.display.assets import Assets
from kiosk.display.rotation import rotate_onto
from kiosk.display.theme import themed
from kiosk.mion.sim_invoice import build_invoice

log = logging.getLogger(__name__)

SCREEN_NAMES = ("idle", "idle-pole", "entry", "entry-error", "preparing", "invoice", "checking", "checking-noqr",
                "paid", "paid-late", "expired", "cancelled", "blocked", "invoice-invalid", "error", "unconfirmed",
                "recovering", "config-error", "out-of-service", "tip", "tip-custom", "tip-custom-error", "invoice-tip", "invoice-rate",
                "invoice-tap")

SAMPLE_TIMESTAMP = 1_795_000_000
"""When the sample invoices were "issued" (2026-11-18), so the pictures do not change from run to run."""


def sample_invoice(seed: int = 7, amount_msat: int = 25_000_000) -> str:
    """A regtest invoice signed by the simulator's demo node, the same for the same ``seed``.

    A wallet that scans it reads the amount and the description and fails only at routing.
    """
    rng = random.Random(seed)
    return build_invoice(amount_msat=amount_msat, network="regtest", timestamp=SAMPLE_TIMESTAMP, expiry_s=120,
                         description="Mion demo K1-000042", payment_hash=rng.randbytes(32),
                         payment_secret=rng.randbytes(32))


def sample_frame(name: str) -> Frame:
    """A frame of realistic data for the screen ``name`` (one of :data:`SCREEN_NAMES`).

    Raises:
        ValueError: for any other name, listing the known ones.
    """
    amount_cents, amount_msat = 1250, 25_000_000
    quiet = ShopStatus(mion_reachable=True, till_connected=True)
    views: dict[str, View] = {
        "idle": IdleView(shop_name="Café Aurora"),
        "idle-pole": IdleView(shop_name="Café Aurora", pole_lines=("2x Cappuccino   9.00", "TOTAL          12.50"),
                              pending_total_cents=amount_cents),
        "entry": AmountEntryView(typed="12.5", amount_cents=amount_cents, max_amount_cents=100_000),
        "entry-error": AmountEntryView(typed="2500", amount_cents=250_000, max_amount_cents=100_000,
                                       error=EntryError.TOO_LARGE),
        "preparing": PreparingView(amount_cents=amount_cents, elapsed_s=0.7),
        "invoice": InvoiceView(amount_cents=amount_cents, amount_msat=amount_msat, invoice=sample_invoice(),
                               seconds_left=97, lifetime_s=120, reference="K1-000042"),
        "checking": InvoiceView(amount_cents=amount_cents, amount_msat=amount_msat, invoice=sample_invoice(),
                                seconds_left=64, lifetime_s=120, checking=True, reference="K1-000042"),
        "checking-noqr": CheckingView(amount_cents=amount_cents, elapsed_s=3.4),
        "paid": PaidView(amount_cents=amount_cents, amount_msat=amount_msat),
        "paid-late": PaidView(amount_cents=amount_cents, amount_msat=amount_msat, late=True),
        "expired": MessageView(kind=MessageKind.EXPIRED, amount_cents=amount_cents),
        "cancelled": MessageView(kind=MessageKind.CANCELLED, amount_cents=amount_cents),
        "blocked": MessageView(kind=MessageKind.BLOCKED, amount_cents=amount_cents),
        "invoice-invalid": MessageView(kind=MessageKind.INVOICE_INVALID, amount_cents=amount_cents),
        "error": MessageView(kind=MessageKind.ERROR, amount_cents=amount_cents),
        "unconfirmed": MessageView(kind=MessageKind.UNCONFIRMED, amount_cents=amount_cents),
        "recovering": MessageView(kind=MessageKind.RECOVERING),
        "out-of-service": MessageView(kind=MessageKind.OUT_OF_SERVICE, detail=(
            "Storage full: 1 payment received is kept; it is recorded, printed and sent to the till as soon as "
            "the journal can be written.")),
        "config-error": MessageView(kind=MessageKind.CONFIG_ERROR,
                                    detail='[sale] max_amount_cents: expected a whole number of cents, got "12.50"'),
    }
    views.update(_tip_views(amount_cents, amount_msat))
    if name not in views:
        raise ValueError(f"unknown screen {name!r}: expected one of {', '.join(SCREEN_NAMES)}")
    status = ShopStatus(mion_reachable=False, till_connected=True) if name == "checking-noqr" else quiet
    # With tap to pay, the rate and the "more time" key keep their own lines beside the tap hint.
    tap = TapView(stage=TapStage.OFFERED) if name == "invoice-tap" else None
    return Frame(view=views[name], status=status, tap=tap)


def _tip_views(amount_cents: int, amount_msat: int) -> dict[str, View]:
    """The tip step's screens and an invoice for a total with a 10 % tip (``kiosk.core.tip_step``)."""
    options = tuple(TipOption(key=key, pct=pct, tip_cents=tip, total_cents=amount_cents + tip)
                    for key, pct, tip in (("1", 5, 63), ("2", 10, 125), ("3", 15, 188), ("0", 0, 0)))
    total = amount_cents + 125
    tap_invoice = InvoiceView(amount_cents=total, amount_msat=amount_msat * total // amount_cents,
                              invoice=sample_invoice(8, amount_msat * total // amount_cents), seconds_left=24,
                              lifetime_s=120, reference="K1-000043", tip_cents=125, show_rate=True,
                              more_time_hint=True)
    return {
        "invoice-tap": tap_invoice,
        "tip": TipView(amount_cents=amount_cents, options=options, custom=True),
        "tip-custom": TipCustomView(amount_cents=amount_cents, typed="2", tip_cents=200, max_tip_cents=amount_cents),
        "tip-custom-error": TipCustomView(amount_cents=amount_cents, typed="20", tip_cents=2000,
                                          max_tip_cents=amount_cents, error=EntryError.TOO_LARGE),
        "invoice-rate": InvoiceView(amount_cents=amount_cents, amount_msat=amount_msat, invoice=sample_invoice(),
                                    seconds_left=97, lifetime_s=120, reference="K1-000042", show_rate=True),
        "invoice-tip": InvoiceView(amount_cents=total, amount_msat=amount_msat * total // amount_cents,
                                   invoice=sample_invoice(8, amount_msat * total // amount_cents), seconds_left=97,
                                   lifetime_s=120, reference="K1-000043", tip_cents=125, show_rate=True),
    }


def render_screenshot(name: str, size: tuple[int, int], *, rotate: int = 0, language: str = "en",
                      out: Path, assets: Assets | None = None, theme: str = "normal",
                      large_text: bool = False) -> Path:
    """Draw the sample ``name`` as a ``size`` display would show it (rotated by ``rotate``) to PNG ``out``.

    ``size`` is the physical display; with ``rotate`` 90 or 270 the screen is laid out in portrait
    and turned onto it, exactly as the kiosk does.

    Raises:
        ValueError: unknown screen name, language or rotation, or a size below 1x1.
    """
    if rotate not in (0, 90, 180, 270):
        raise ValueError(f"rotate must be 0, 90, 180 or 270, got {rotate}")
    if size[0] < 1 or size[1] < 1:
        raise ValueError(f"size must be at least 1x1, got {size[0]}x{size[1]}")
    frame = sample_frame(name)
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    if not pygame.font.get_init():
        pygame.font.init()
    logical = (size[1], size[0]) if rotate in (90, 270) else size
    canvas = pygame.Surface(logical)
    with themed(theme, large_text):  # the theme's colours, and its own icons (drawn in them)
        screens.render(canvas, frame, language, assets=assets or Assets(), anim_s=0.3)
    target = pygame.Surface(size)
    rotate_onto(canvas, target, rotate)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    pygame.image.save(target, str(out))
    log.info("saved %s (%dx%d, rotate %d, %s) to %s", name, size[0], size[1], rotate, language, out)
    return out
