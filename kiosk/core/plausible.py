"""Plausibility: well-formed answers from Mion that the kiosk still refuses to act on (fail closed).

Pure: the time comes in as data; what is refused is journaled through the register's
``RecordRefusal`` effect (the shell writes it on the sale and logs it), never acted on.

Invoice rate
------------
An invoice's rate is msat per cent (``amount_msat / amount_cents``), compared in integers only. It
must lie within the sanity bounds ``Timing.min_rate_msat_per_cent`` to ``max_rate_msat_per_cent``
(defaults 1 000 to 1 000 000: 1 BTC at 1 000 000 € down to 1 000 €, wide enough for years, narrow
enough to catch a unit slip of a thousand), and within ``rate_band_pct`` % (default 10) of the rate
of the last invoice this kiosk showed, if that was shown at most ``rate_memory_s`` ago (default
600 s). The first invoice of a run, or after a quiet spell, has no reference and meets the bounds
only; the memory is short so that a real market move, or a reference that was itself off, cannot
keep the kiosk refusing for long. Every invoice shown becomes the reference (:class:`RateGuard`).
An invoice refused is journaled (``RecordRefusal``) but never shown and never journaled as an
attempt, so neither the till nor a restart ever sees it. The register asks for one more; the
second refused in a row ends the sale as an invalid invoice (an error: "please pay another way").
A sale that had shown an earlier invoice is then watched for its late payment, as every ended sale.

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

from dataclasses import dataclass
from datetime import datetime

from kiosk.core import effects as fx
from kiosk.core.events import Request
from kiosk.core.model import Attempt, SessionStatus
from kiosk.core.sale import Sale, Timing, secs

REFUSALS_TO_END = 2
"""Invoices refused in a row that end the sale: one more is asked for after the first."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RateMark:
    """The rate of an invoice shown: ``amount_msat`` for ``amount_cents``, at ``at``."""

    amount_msat: int
    amount_cents: int
    at: datetime


def rate_refusal(amount_msat: int, amount_cents: int, *, last: RateMark | None, now: datetime,
                 timing: Timing) -> str | None:
    """Why an invoice of ``amount_msat`` for ``amount_cents`` must not be shown (None: it may)."""
    low, high = timing.min_rate_msat_per_cent, timing.max_rate_msat_per_cent
    offered = f"{amount_msat} msat for {amount_cents} cents"
    if not low * amount_cents <= amount_msat <= high * amount_cents:
        return f"invoice not shown: its rate ({offered}) is outside {low} to {high} msat per cent"
    if last is None or now - last.at > secs(timing.rate_memory_s):
        return None
    # |m/c - M/C| <= pct/100 * M/C, multiplied by 100 * c * C: integers only, exact at the edges.
    gap = abs(amount_msat * last.amount_cents - last.amount_msat * amount_cents)
    if 100 * gap <= timing.rate_band_pct * last.amount_msat * amount_cents:
        return None
    age_s = int((now - last.at).total_seconds())
    return (f"invoice not shown: its rate ({offered}) is more than {timing.rate_band_pct} % off the "
            f"{last.amount_msat} msat for {last.amount_cents} cents shown {age_s} s before")


@dataclass(slots=True)
class RateGuard:
    """The register's memory of the last invoice shown, and the judge of the next one."""

    last: RateMark | None = None

    def judge(self, sale: Sale, attempt: Attempt, now: datetime, timing: Timing) -> str | None:
        """None: ``attempt`` may be shown, and its rate is the reference from now on. Otherwise why not:
        the refusal is counted on ``sale`` (``refused_attempts``) and the next invoice made due after
        the usual backoff."""
        refusal = rate_refusal(attempt.amount_msat, sale.amount_cents, last=self.last, now=now, timing=timing)
        if refusal is None:
            self.last = RateMark(amount_msat=attempt.amount_msat, amount_cents=sale.amount_cents, at=now)
            sale.refused_attempts = 0
        else:
            sale.refused_attempts += 1
            sale.failed(Request.CREATE_ATTEMPT, now, timing, None)
        return refusal


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
