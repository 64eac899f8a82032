"""After a restart: which sales the journal says may still need Mion's answer.

:func:`recoverable_sales` is pure (records and the time in, the register's ``RecoveredSale`` values
out). The running kiosk hands them to the register at start-up; ``kiosk reconcile`` checks the same
sales with Mion, so both agree on what is still open and which ended sales may yet be paid late.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from kiosk.core import events as ev
from kiosk.core.model import Attempt, Phase
from kiosk.store.journal import Journal
from kiosk.store.records import SaleRecord


def recoverable_sales(unfinished: list[SaleRecord], recent: list[SaleRecord]) -> tuple[ev.RecoveredSale, ...]:
    """Every unfinished sale, and every recent one that ended unpaid after showing an invoice (its
    late-payment watch lived in memory only). ``recent`` are the sales created within one session
    lifetime plus the late grace; the register drops those whose grace has run out."""
    ended = [s for s in recent
             if s.phase in (Phase.CANCELLED, Phase.EXPIRED) and s.session_id is not None and s.attempts]
    return tuple(
        ev.RecoveredSale(reference=s.reference, amount_cents=s.amount_cents, source=s.source,
                         created_at=s.created_at, session_id=s.session_id, last_attempt=last_attempt(s),
                         ended=s.phase.is_final, tip_cents=s.tip_cents)
        for s in [*unfinished, *ended])


def read_recoverable(journal: Journal, now: datetime, *, session_lifetime_s: float,
                     late_grace_s: float) -> tuple[ev.RecoveredSale, ...]:
    """:func:`recoverable_sales` from the journal's records."""
    window = timedelta(seconds=session_lifetime_s + late_grace_s)
    recent = journal.sales_between(now - window, now + timedelta(seconds=1))
    return recoverable_sales(journal.unfinished(), recent)


def last_attempt(record: SaleRecord) -> Attempt | None:
    """The invoice last shown for a sale, as the register knows attempts."""
    if not record.attempts or record.session_id is None:
        return None
    last = record.attempts[-1]
    return Attempt(session_id=record.session_id, invoice=last.invoice, amount_msat=last.amount_msat,
                   expires_at=last.expires_at)
