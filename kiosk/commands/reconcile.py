"""``kiosk reconcile``: ask Mion now about every sale the journal holds as unfinished.

Paid ones are recorded as paid (with their receipt and till message, exactly once: the journal
refuses a second payment record); ones past their session's end that Mion confirms unpaid are
ended as expired; the rest are left for the running kiosk.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from kiosk.config import Settings
from kiosk.core.model import Phase
from kiosk.errors import MionError
from kiosk.inputs import pos_protocol
from kiosk.mion.client import MionClient
from kiosk.store.journal import Journal


def reconcile(settings: Settings, api_key: str, journal: Journal, *, as_json: bool) -> int:
    """Re-check unfinished sales; print one line (or a JSON list) per sale. Exit status 1 on errors."""
    results: list[dict[str, str]] = []
    failed = False
    with MionClient(settings.mion, api_key) as client:
        for sale in journal.unfinished():
            now = datetime.now(UTC)
            outcome = "still open"
            try:
                session_id = sale.session_id
                if session_id is None:
                    found = client.session_by_reference(sale.reference)
                    if found is not None:
                        session_id = found.session_id
                        journal.set_session(sale.reference, session_id, now)
                expired = now >= sale.created_at + timedelta(seconds=settings.sale.session_lifetime_s)
                if session_id is None:
                    if expired:
                        journal.end_sale(sale.reference, Phase.EXPIRED, now, detail="Mion has no session for it")
                        outcome = "expired (Mion has no session for it)"
                else:
                    status = client.session_status(session_id)
                    journal.record_status(sale.reference, status, now)
                    if status.paid_at is not None:
                        copies = () if settings.printer.kind == "none" else ("customer",)
                        sat = (sale.amount_msat or 0) // 1000
                        line = (pos_protocol.event_paid(sale.reference, session_id, status.paid_at, sat)
                                if settings.pos.enabled and settings.pos.mode == "line" else None)
                        journal.mark_paid(sale.reference, paid_at=status.paid_at, amount_msat=sale.amount_msat,
                                          late=True, at=now, print_copies=copies, till_line=line)
                        outcome = f"paid at {status.paid_at.isoformat()}"
                    elif expired:
                        journal.end_sale(sale.reference, Phase.EXPIRED, now, detail=f"Mion status {status.status}")
                        outcome = f"expired (Mion status {status.status})"
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
