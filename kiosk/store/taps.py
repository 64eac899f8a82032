"""Card taps in the journal: one row per tap (when, outcome, the card service's host, the reason).

Never a URL, ``k1``, card parameter or PIN: the reader hands only these fields over. The table is
created on the first tap (``CREATE TABLE IF NOT EXISTS``), so a journal that never saw a tap, or one
opened read-only by ``kiosk show``, has none and shows none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from kiosk.errors import StoreError
from kiosk.store.journal import Journal
from kiosk.store.schema import MAX_TEXT_CHARS, from_us, to_us

CREATE = """CREATE TABLE IF NOT EXISTS card_tap (
    reference TEXT NOT NULL,
    at_us INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    host TEXT NOT NULL,
    reason TEXT,
    amount_msat INTEGER NOT NULL
)"""


@dataclass(frozen=True, slots=True)
class TapRow:
    reference: str
    at: datetime
    outcome: str
    host: str
    reason: str | None
    amount_msat: int


def record_tap(journal: Journal, row: TapRow) -> None:
    """Journal one tap (any thread).

    Raises:
        StoreError: it could not be written.
    """
    with journal._tx("record a card tap") as conn:
        conn.execute(CREATE)
        conn.execute("INSERT INTO card_tap VALUES (?, ?, ?, ?, ?, ?)",
                     (row.reference, to_us(row.at), row.outcome[:40], row.host[:253],
                      None if row.reason is None else row.reason[:MAX_TEXT_CHARS], row.amount_msat))


def taps_of(journal: Journal, reference: str) -> list[TapRow]:
    """Every tap journaled for a sale, oldest first (none when no tap was ever journaled)."""
    try:
        with journal._tx("read card taps", write=False) as conn:
            rows = conn.execute("SELECT reference, at_us, outcome, host, reason, amount_msat FROM card_tap "
                                "WHERE reference = ? ORDER BY at_us, rowid", (reference,)).fetchall()
    except StoreError as exc:
        if "no such table" in str(exc):  # this journal never saw a tap
            return []
        raise
    return [TapRow(r[0], from_us(r[1]), r[2], r[3], r[4], r[5]) for r in rows]


def taps_text(rows: list[TapRow], tz: tzinfo) -> str:
    """The lines ``kiosk show`` adds for a sale's card taps ("" when it had none)."""
    if not rows:
        return ""
    lines = [f"Card taps ({len(rows)}):"]
    for row in rows:
        when = row.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
        reason = f": {row.reason}" if row.reason else ""
        lines.append(f"  {when}  {row.outcome} via {row.host or '-'}{reason}")
    return "\n".join(lines) + "\n"
