"""Tap to pay: what a card tap shows, and the rule that pins the invoice while a withdrawal is in flight.

Pure: the sale, the phase and the time come in; nothing here reads a clock or does I/O.

The pin: a card service that was handed invoice A may pay it a minute later. Had the register swapped A
for a fresh invoice B meanwhile, a customer could pay B too. So a tap may start only while the invoice
on screen is the sale's current one, no fresh invoice is on its way, and at least ``min_left_s`` of it
is left; from then on the sale asks for no fresh invoice until the pinned one has expired (it cannot
be paid after that) or the tap ends without the service taking the invoice (:func:`release`).
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from kiosk.core.events import Request
from kiosk.core.model import Phase
from kiosk.core.sale import Sale, Timing


class PinRefusal(enum.Enum):
    NO_INVOICE = "no_invoice"
    REFRESHING = "refreshing"
    TOO_LATE = "too_late"


def pin(sale: Sale | None, phase: Phase, reference: str, invoice: str, now: datetime, timing: Timing,
        min_left_s: float) -> PinRefusal | None:
    """Pin ``invoice`` of sale ``reference`` for a tap; None when pinned, else why not (nothing changed)."""
    if (sale is None or phase is not Phase.AWAITING_PAYMENT or sale.reference != reference
            or sale.attempt is None or sale.attempt.invoice != invoice or not sale.qr_visible(now, timing)):
        return PinRefusal.NO_INVOICE
    if Request.CREATE_ATTEMPT in sale.in_flight:
        return PinRefusal.REFRESHING
    shown_until = sale.shown_until(timing)
    if shown_until is None or shown_until - now < timedelta(seconds=min_left_s):
        return PinRefusal.TOO_LATE
    sale.tap_pinned_until = min(sale.attempt.expires_at, sale.session_expires_at)
    return None


def release(sale: Sale | None, reference: str) -> None:
    """The tap ended and the service did not take the invoice: the sale may refresh it again."""
    if sale is not None and sale.reference == reference:
        sale.tap_pinned_until = None

