"""Plausibility: well-formed answers from Mion that the kiosk still refuses to act on (fail closed).

Pure: the time comes in as data; what is refused is journaled through the register's
``RecordRefusal`` effect (the shell writes it on the sale and logs it), never acted on.

Payment time
------------
A ``paidAt`` counts only inside the session's life: from the sale's creation as journaled
(``Sale.opened_at``; for a sale recovered after a restart, its journaled creation, not the restart)
minus ``Timing.paid_at_slack_s`` (default 300 s, for clock skew between Mion and the kiosk) to now
plus the same slack, both edges included. Outside it the sale is not paid: the register keeps
checking, journals the doubt once for each distinct ``paidAt``, takes the QR code off the screen and
asks for no new invoice (the customer may well have paid: "do not pay twice"). Should the session end
with the doubt still standing, the sale ends as an error with the "payment not confirmed" screen,
never as "expired, nothing was charged", and its late-payment watch goes on. The watch applies the
same rule to every answer it gets.
"""

from __future__ import annotations

from datetime import datetime

from kiosk.core import effects as fx
from kiosk.core.model import SessionStatus
from kiosk.core.sale import Sale, Timing, secs


def paid_at_refusal(paid_at: datetime, *, opened_at: datetime, now: datetime, timing: Timing) -> str | None:
    """Why ``paid_at`` is not believed for a sale created at ``opened_at`` (None: it is)."""
    earliest, latest = opened_at - secs(timing.paid_at_slack_s), now + secs(timing.paid_at_slack_s)
    if earliest <= paid_at <= latest:
        return None
    return (f"paidAt {paid_at.isoformat()} is outside the session's life ({earliest.isoformat()} to "
            f"{latest.isoformat()}); not taken as paid")


def take_status(sale: Sale, status: SessionStatus, now: datetime, timing: Timing) -> list[fx.RecordRefusal]:
    """Keep Mion's latest status on the open ``sale`` and judge its ``paidAt`` (``sale.doubt``).

    Returns the doubt to journal when it is new: a ``paidAt`` not believed that differs from the one
    before (a poll every half second would otherwise journal the same doubt hundreds of times).
    """
    before = sale.last_status
    sale.last_status = status
    sale.doubt = None if status.paid_at is None else paid_at_refusal(status.paid_at, opened_at=sale.opened_at,
                                                                      now=now, timing=timing)
    if sale.doubt is None or (before is not None and before.paid_at == status.paid_at):
        return []
    return [fx.RecordRefusal(reference=sale.reference, detail=sale.doubt)]
