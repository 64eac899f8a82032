"""Journal records as text and JSON, for ``kiosk history`` and ``kiosk show``.

Text is for a person at a terminal: local times, amounts in the shop's format, one sale per line in
the history. JSON is for scripts: UTC ISO 8601 times, money as integers (cents, msat, sat), phase
names as stored; sats are rounded up, as on the screen and the receipt. Text that came from outside (Mion's status strings, error details) is shown with any
control character replaced, so a hostile string cannot drive the terminal.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime, tzinfo

from kiosk.core.model import Phase, sats_for
from kiosk.core.text import format_eur, format_sats
from kiosk.store.bookings import is_not_booked
from kiosk.store.records import AttemptRecord, SaleRecord, StatusRecord

log = logging.getLogger(__name__)

_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


# --- text ----------------------------------------------------------------------------------------------

def history_text(records: Iterable[SaleRecord], lang: str, tz: tzinfo) -> str:
    """One line per sale (local time, reference, EUR, sats, status) and a closing summary line."""
    sales = list(records)
    if not sales:
        return "No sales.\n"
    tipped = any(s.tip_cents for s in sales)  # the tip column appears once a sale has a tip
    rows = [("Time", "Reference", "EUR", *(("tip",) if tipped else ()), "sats", "Status")]
    rows += [(_local(s.created_at, tz), _safe(s.reference), format_eur(s.amount_cents, lang),
              *((format_eur(s.tip_cents, lang) if s.tip_cents else "-",) if tipped else ()),
              "-" if s.amount_sat is None else format_sats(s.amount_sat, lang), _status_word(s)) for s in sales]
    count = len(rows[0])
    widths = [max(len(row[i]) for row in rows) for i in range(count)]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1]),
                 *(row[i].rjust(widths[i]) for i in range(2, count - 1)), row[-1]]
        lines.append("  ".join(cells).rstrip())
    lines.append(_summary(sales, lang))
    return "\n".join(lines) + "\n"


def sale_text(record: SaleRecord, tz: tzinfo, *, lang: str = "en") -> str:
    """Everything the journal knows about one sale, as labelled lines."""
    r = record
    fields = [
        ("Reference", _safe(r.reference)),
        ("Status", _status_word(r)),
        ("Amount", format_eur(r.amount_cents, lang)),
        ("Tip", f"{format_eur(r.tip_cents, lang)} (included in the amount)" if r.tip_cents else "-"),
        ("Invoice amount", "-" if r.amount_msat is None
         else f"{format_sats(sats_for(r.amount_msat), lang)} ({r.amount_msat} msat)"),
        ("Source", r.source.value),
        ("Created", _local(r.created_at, tz)),
        ("Last change", _local(r.updated_at, tz)),
        ("Mion session", _safe(r.session_id) if r.session_id else "-"),
        ("Paid at", _local(r.paid_at, tz) if r.paid_at else "-"),
        ("Paid late", "yes" if r.late else "no"),
        ("Receipt printed", _local(r.receipt_printed_at, tz) if r.receipt_printed_at else "no"),
        ("Till notified", _local(r.till_notified_at, tz) if r.till_notified_at else "no"),
        ("Detail", _safe(r.detail) if r.detail else "-"),
    ]
    width = max(len(label) for label, _ in fields) + 1
    lines = [f"{label + ':':<{width}} {value}" for label, value in fields]
    lines.append(f"Attempts ({len(r.attempts)}):")
    lines += [_attempt_line(n, a, tz, lang) for n, a in enumerate(r.attempts, 1)]
    lines.append(f"Statuses ({len(r.statuses)}):")
    lines += [_status_line(s, tz) for s in r.statuses]
    return "\n".join(lines) + "\n"


def _attempt_line(number: int, attempt: AttemptRecord, tz: tzinfo, lang: str) -> str:
    return (f"  {number}. {_local(attempt.created_at, tz)}  {format_sats(sats_for(attempt.amount_msat), lang)}"
            f"  expires {_local(attempt.expires_at, tz)}\n     {_safe(attempt.invoice)}")


def _status_line(status: StatusRecord, tz: tzinfo) -> str:
    paid = f"  paidAt {_local(status.paid_at, tz)}" if status.paid_at else ""
    return f"  {_local(status.seen_at, tz)}  {_safe(status.status)}{paid}"


def _status_word(sale: SaleRecord) -> str:
    word = sale.phase.value.replace("_", " ")
    word = f"{word} (late)" if sale.late else word
    return f"{word} (not booked by the till)" if is_not_booked(sale.detail) else word


def _summary(sales: list[SaleRecord], lang: str) -> str:
    paid = [s for s in sales if s.phase is Phase.PAID]
    total = sum(s.amount_cents for s in paid)
    tips = sum(s.tip_cents for s in paid)
    noun = "sale" if len(sales) == 1 else "sales"
    tip_part = f" (of which {format_eur(tips, lang)} tips)" if tips else ""
    return f"{len(sales)} {noun}, {len(paid)} paid, {format_eur(total, lang)} received{tip_part}"


def _local(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime(_TIME_FORMAT)


def _safe(text: str) -> str:
    """``text`` with control characters (escape sequences, newlines) replaced by ``?``."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)


# --- JSON ----------------------------------------------------------------------------------------------

def history_json(records: Iterable[SaleRecord]) -> str:
    """A JSON array with one summary object per sale (no attempts or statuses; see :func:`sale_json`)."""
    return json.dumps([_summary_dict(r) for r in records], indent=2, ensure_ascii=False) + "\n"


def sale_json(record: SaleRecord) -> str:
    """One JSON object with everything the journal knows about the sale."""
    data = _summary_dict(record)
    data["attempts"] = [{"invoice": a.invoice, "amount_msat": a.amount_msat, "amount_sat": sats_for(a.amount_msat),
                         "expires_at": _iso(a.expires_at), "created_at": _iso(a.created_at)}
                        for a in record.attempts]
    data["statuses"] = [{"status": s.status, "paid_at": _iso(s.paid_at), "seen_at": _iso(s.seen_at)}
                        for s in record.statuses]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _summary_dict(r: SaleRecord) -> dict[str, object]:
    return {
        "reference": r.reference,
        "phase": r.phase.value,
        "amount_cents": r.amount_cents,
        "tip_cents": r.tip_cents,
        "amount_msat": r.amount_msat,
        "amount_sat": r.amount_sat,
        "source": r.source.value,
        "created_at": _iso(r.created_at),
        "updated_at": _iso(r.updated_at),
        "session_id": r.session_id,
        "paid_at": _iso(r.paid_at),
        "late": r.late,
        "receipt_printed_at": _iso(r.receipt_printed_at),
        "till_notified_at": _iso(r.till_notified_at),
        "detail": r.detail,
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")
