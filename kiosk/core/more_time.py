""""More time": the customer presses Enter while the QR is shown and gets a fresh invoice.

The fresh invoice comes the way every refresh comes: a ``CreateAttempt`` for the same session, whose
answer the register swaps in with a new countdown (``Register._on_attempt``). It is granted only when
the register would ask for a new invoice anyway (``Sale.invoice_fits``: more than ``refresh_margin_s``
plus ``min_attempt_s`` of the session left), when no invoice is already on its way and no card tap may be
paying the shown one (``Sale.tap_pinned_until``), and when the shown
one is not itself fresh (received ``min_attempt_s`` ago or more), so a held-down key cannot flood Mion
with attempts. A refused press changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from kiosk.core import effects as fx
from kiosk.core.events import Request
from kiosk.core.sale import Sale, Timing, secs

HINT_BELOW_S = 30
"""The invoice screen offers more time once fewer seconds than this are left."""


def more_time_refusal(sale: Sale, now: datetime, timing: Timing) -> str | None:
    """Why the customer cannot have more time now; None when a fresh invoice may be asked for."""
    if not timing.more_time:
        return "more time is off"
    if sale.session_id is None or sale.attempt is None or not sale.qr_visible(now, timing):
        return "no invoice is on screen"
    if Request.CREATE_ATTEMPT in sale.in_flight:
        return "a fresh invoice is already on its way"
    if sale.tap_pinned_until is not None and now < sale.tap_pinned_until:
        return "a card tap may be paying the invoice on screen"
    if not sale.invoice_fits(now, timing):
        return "too little of the session is left for a fresh invoice"
    received = sale.attempt_received_at
    if received is not None and now < received + secs(timing.min_attempt_s):
        return "the invoice on screen is fresh"
    return None


def ask_more_time(sale: Sale, now: datetime, timing: Timing) -> list[fx.Effect]:
    """A ``CreateAttempt`` for the sale's session when more time is granted, else nothing."""
    if more_time_refusal(sale, now, timing) is not None:
        return []
    assert sale.session_id is not None
    sale.due.pop(Request.CREATE_ATTEMPT, None)
    sale.in_flight.add(Request.CREATE_ATTEMPT)
    return [fx.CreateAttempt(reference=sale.reference, session_id=sale.session_id, amount_cents=sale.amount_cents)]


def offer_hint(sale: Sale, now: datetime, timing: Timing, seconds_left: int) -> bool:
    """Whether the invoice screen says which key gives more time (late in the countdown, when it works)."""
    return seconds_left < HINT_BELOW_S and more_time_refusal(sale, now, timing) is None
