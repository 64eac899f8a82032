"""Recovery after a restart: what the register does with the sales the journal held as unfinished.

A pure plan, made from the ``Recovered`` event alone: the newest unfinished sale goes back on screen
if it showed an invoice (it may have been paid: Mion's answer decides) or if enough of its session is
left for a fresh one (``Sale.invoice_fits``: more than ``refresh_margin_s + min_attempt_s``, the rule
for every fresh invoice); one that never showed an invoice and has less left ends at once, as
``recovery_unpayable`` says, with :data:`TOO_LITTLE_TIME` (a sale that runs out of time later while
Mion is being asked ends the same way, on the register's next tick). Older ones with a session are
watched until their truth is known; older ones without a session never showed an invoice (the session
is journaled before the attempt is asked for), so nobody can have paid them and they end at once.
Ended sales still inside their late-payment grace are watched again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.core.events import Request
from kiosk.core.model import Phase
from kiosk.core.sale import Sale, Timing, secs
from kiosk.core.view import MessageKind

NEVER_SHOWN = "no invoice was shown before the restart"
TOO_LITTLE_TIME = "too little time left after the restart"


@dataclass(slots=True)
class RecoveryPlan:
    resume: Sale | None = None
    """The newest unfinished sale: back on screen."""
    resume_phase: Phase | None = None
    """The phase it resumes in (its first request made due); None: it never showed an invoice and
    too little of its time is left for one (``Sale.stranded``), so it ends at once."""
    watch: list[tuple[Sale, datetime]] = field(default_factory=list)
    """Older unfinished sales with a session, each watched until the given moment."""
    watch_ended: list[ev.RecoveredSale] = field(default_factory=list)
    """Ended sales whose late-payment grace has not run out."""
    end_now: list[fx.Effect] = field(default_factory=list)
    """``RecordEnded`` for older sales that never showed an invoice."""


def unpayable_phase(timing: Timing) -> Phase:
    """How a recovered sale that can no longer be paid ends."""
    return Phase.CANCELLED if timing.recovery_unpayable == "cancelled" else Phase.EXPIRED


def unpayable_ending(timing: Timing) -> tuple[Phase, MessageKind]:
    """The phase and the screen of a recovered sale that can no longer be paid."""
    phase = unpayable_phase(timing)
    return phase, MessageKind.CANCELLED if phase is Phase.CANCELLED else MessageKind.EXPIRED


def plan_recovery(event: ev.Recovered, timing: Timing, now: datetime) -> RecoveryPlan:
    plan = RecoveryPlan(watch_ended=[found for found in event.sales if found.ended])
    still_open = sorted((found for found in event.sales if not found.ended), key=lambda s: s.created_at,
                        reverse=True)
    for index, found in enumerate(still_open):
        expires_at = found.created_at + secs(timing.session_lifetime_s)
        sale = Sale(reference=found.reference, amount_cents=found.amount_cents, source=found.source,
                    started_at=now, session_expires_at=expires_at, create_sent_at=found.created_at,
                    session_id=found.session_id, attempt=found.last_attempt,
                    ever_shown=found.last_attempt is not None, recovered=True,
                    attempt_received_at=now if found.last_attempt is not None else None, tip_cents=found.tip_cents)
        if index == 0:
            plan.resume = sale
            plan.resume_phase = _resume(sale, now, timing)
        elif found.session_id is not None:
            plan.watch.append((sale, max(now, expires_at) + secs(timing.late_grace_s)))
        else:
            plan.end_now.append(fx.RecordEnded(reference=found.reference, phase=unpayable_phase(timing),
                                               detail=NEVER_SHOWN))
    return plan


def _resume(sale: Sale, now: datetime, timing: Timing) -> Phase | None:
    """The phase a resumed sale goes back to, with the request that learns its truth made due."""
    if sale.stranded(now, timing):
        return None
    if sale.session_id is None:
        sale.due[Request.FIND_SESSION] = now
        return Phase.CREATING_SESSION
    sale.due[Request.POLL] = now
    return Phase.AWAITING_PAYMENT if sale.ever_shown else Phase.CREATING_ATTEMPT
