"""Which status polls the Mion worker may hold (``kiosk.mion.worker.Hold``).

The poll of the invoice on screen is held: the worker asks Mion every ``poll_interval_s`` as before,
but hands the answer on only when it says something new, a request fails, or ``HOLD_S`` has passed.
Every other poll (a sale being set up, a closed sale's late-payment watch, a recovered sale before
its first answer, a sale whose last request failed) is handed on at once, as the register expects.
"""

from __future__ import annotations

from datetime import datetime

from kiosk.core import effects as fx
from kiosk.core.model import Phase
from kiosk.core.register import Register
from kiosk.mion.worker import Hold

HOLD_S = 5.0
"""Longest a status poll of the invoice on screen is held while Mion's answer stays the same: the
register hears "still open" at least this often."""


def hold_for(poll: fx.PollStatus, register: Register, now: datetime, mion_reachable: bool | None) -> Hold | None:
    """The hold for ``poll``, or None to hand its answer on at once.

    Held only for the sale on screen awaiting payment, once Mion has answered it without a failure
    since ("reachable again" is news too), and never past the session's end, when the register wants
    to hear Mion's last word.
    """
    sale = register.sale
    if sale is None or sale.reference != poll.reference or register.phase is not Phase.AWAITING_PAYMENT:
        return None
    if sale.failures or sale.last_status is None or not mion_reachable:
        return None
    every_s = register.timing.poll_interval_s
    at_most_s = min(HOLD_S, (sale.session_expires_at - now).total_seconds())
    return Hold(every_s=every_s, at_most_s=at_most_s) if at_most_s >= 2 * every_s else None
