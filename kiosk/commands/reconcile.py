"""``kiosk reconcile``: ask Mion now about every sale whose truth the journal does not know yet.

These are the sales the running kiosk would recover at start-up (``kiosk.shell.recovery``): every
unfinished one, and every one that ended unpaid after showing an invoice within its late-payment
grace. Paid ones are recorded as paid with the same receipt copies and till message the running
kiosk queues (``kiosk.shell.ledger.paid_outputs``), exactly once: the journal refuses a second payment record.
Unfinished ones past their session's end that Mion confirms unpaid are ended as expired; the rest
are left for the running kiosk.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from kiosk.config import Settings
from kiosk.core import events as ev
from kiosk.core.model import Phase
from kiosk.core.plausible import paid_at_refusal
from kiosk.errors import MionError
from kiosk.inputs.till_protocol import PaidSale, protocol_class
from kiosk.mion.client import MionClient
from kiosk.shell.ledger import paid_outputs
from kiosk.shell.recovery import read_recoverable
from kiosk.shell.rules import timing_from
from kiosk.store.journal import Journal


def reconcile(settings: Settings, api_key: str, journal: Journal, *, as_json: bool) -> int:
    """Re-check those sales; print one line (or a JSON list) per sale. Exit status 1 on errors."""
    results: list[dict[str, str]] = []
    failed = False
    sales = read_recoverable(journal, datetime.now(UTC), session_lifetime_s=settings.sale.session_lifetime_s,
                             late_grace_s=settings.sale.late_grace_s)
    with MionClient(settings.mion, api_key) as client:
        for sale in sales:
            try:
                outcome = _check(settings, client, journal, sale)
            except MionError as exc:
                failed = True
                outcome = f"not checked: {exc}"
            results.append({"reference": sale.reference, "outcome": outcome})
    if as_json:
        print(json.dumps(results, indent=2))
    elif not results:
        print("no unfinished sales")
    else:
        for row in results:
            print(f"{row['reference']}: {row['outcome']}")
    return 1 if failed else 0


def _check(settings: Settings, client: MionClient, journal: Journal, sale: ev.RecoveredSale) -> str:
    now = datetime.now(UTC)
    session_id = sale.session_id
    if session_id is None:
        found = client.session_by_reference(sale.reference)
        if found is not None:
            session_id = found.session_id
            journal.set_session(sale.reference, session_id, now)
    expired = now >= sale.created_at + timedelta(seconds=settings.sale.session_lifetime_s)
    if session_id is None:
        if not expired:
            return "still open"
        _end(settings, journal, sale.reference, now, "Mion has no session for it")
        return "expired (Mion has no session for it)"
    status = client.session_status(session_id)
    journal.record_status(sale.reference, status, now)
    doubt = None if status.paid_at is None else paid_at_refusal(
        status.paid_at, opened_at=sale.created_at, now=now, timing=timing_from(settings))
    if doubt is not None:
        return f"not taken as paid: {doubt}; ask Mion about session {session_id}"
    if status.paid_at is not None:
        amount_msat = sale.last_attempt.amount_msat if sale.last_attempt is not None else None
        paid = PaidSale(reference=sale.reference, session_id=session_id, paid_at=status.paid_at,
                        amount_msat=amount_msat, late=True, tip_cents=_tip_of(journal, sale.reference))
        copies, line = paid_outputs(settings, paid, protocol_class(settings))
        journal.mark_paid(sale.reference, paid_at=status.paid_at, amount_msat=amount_msat, late=True, at=now,
                          print_copies=copies, till_line=line)
        return f"paid at {status.paid_at.isoformat()}" + (" (late, after it ended)" if sale.ended else "")
    if sale.ended:
        return f"ended {_phase_of(journal, sale.reference)}, still unpaid (Mion status {status.status})"
    if expired:
        _end(settings, journal, sale.reference, now, f"Mion status {status.status}")
        return f"expired (Mion status {status.status})"
    return "still open"


def _end(settings: Settings, journal: Journal, reference: str, now: datetime, detail: str) -> None:
    protocol = protocol_class(settings)
    journal.end_sale(reference, Phase.EXPIRED, now, detail=detail,
                     till_line=None if protocol is None else protocol.ended_message(reference, Phase.EXPIRED, detail))


def _phase_of(journal: Journal, reference: str) -> str:
    record = journal.get(reference)
    return "?" if record is None else record.phase.value


def _tip_of(journal: Journal, reference: str) -> int:
    """The tip the journal keeps for ``reference`` (0 when none), for the till's ``EVENT PAID``."""
    record = journal.get(reference)
    return record.tip_cents if record is not None else 0
