"""Card taps in the journal: one row per tap (when, outcome, the card service's host, the reason).

Never a URL, ``k1``, card parameter or PIN: the reader hands only these fields over. The table is
created on the first tap (``CREATE TABLE IF NOT EXISTS``), so a journal that never saw a tap, or one
opened read-only by ``kiosk show``, has none and shows none.

The invoice pin survives a restart: just before the reader calls the card service's callback it
journals the tap as ``sent``, with ``pinned_until`` (the moment the handed invoice can no longer be
paid). The tap's outcome then settles that same row; an outcome that released the pin (the service
refused for sure) clears ``pinned_until``. After a kill, :func:`pins_of` gives recovery each sale's
pin, so the restarted register does not swap an invoice the service may still pay.
"""

from __future__ import annotations

from collections.abc import Iterable
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
    amount_msat INTEGER NOT NULL,
    pinned_until_us INTEGER
)"""
SENT = "sent"
"""The outcome of a tap whose callback was handed to the card service and has not come back (yet)."""


@dataclass(frozen=True, slots=True)
class TapRow:
    reference: str
    at: datetime
    outcome: str
    host: str
    reason: str | None
    amount_msat: int
    pinned_until: datetime | None = None
    """The sale must not swap its invoice before then: the service may still pay it (None: no pin)."""
    settles: bool = False
    """This outcome ends a tap journaled as ``sent``: it updates that row instead of adding one."""


def record_tap(journal: Journal, row: TapRow) -> None:
    """Journal one tap (any thread): ``sent`` adds its row; an outcome that ``settles`` a sent tap
    updates the sale's newest ``sent`` row (one tap at a time per sale); any other outcome adds a row.

    Raises:
        StoreError: it could not be written.
    """
    reason = None if row.reason is None else row.reason[:MAX_TEXT_CHARS]
    until = None if row.pinned_until is None else to_us(row.pinned_until)
    with journal._tx("record a card tap") as conn:
        conn.execute(CREATE)
        if not any(column[1] == "pinned_until_us" for column in conn.execute("PRAGMA table_info(card_tap)")):
            conn.execute("ALTER TABLE card_tap ADD COLUMN pinned_until_us INTEGER")  # a journal from before
        if row.settles:
            open_row = conn.execute("SELECT max(rowid) FROM card_tap WHERE reference = ? AND outcome = ?",
                                    (row.reference, SENT)).fetchone()[0]
            if open_row is not None:
                conn.execute("UPDATE card_tap SET outcome = ?, reason = ?, pinned_until_us = ? WHERE rowid = ?",
                             (row.outcome[:40], reason, until, open_row))
                return
        conn.execute("INSERT INTO card_tap VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (row.reference, to_us(row.at), row.outcome[:40], row.host[:253], reason, row.amount_msat,
                      until))


def pins_of(journal: Journal, references: Iterable[str]) -> dict[str, datetime]:
    """The latest journaled invoice pin of each of these sales that has one (for recovery)."""
    wanted = list(references)
    if not wanted:
        return {}
    marks = ", ".join("?" * len(wanted))
    try:
        with journal._tx("read card tap pins", write=False) as conn:
            rows = conn.execute(f"SELECT reference, max(pinned_until_us) FROM card_tap WHERE reference IN ({marks}) "
                                "AND pinned_until_us IS NOT NULL GROUP BY reference", wanted).fetchall()
    except StoreError as exc:
        if "no such table" in str(exc) or "no such column" in str(exc):  # no tap, or none since the pin was kept
            return {}
        raise
    return {reference: from_us(until) for reference, until in rows}


def taps_of(journal: Journal, reference: str) -> list[TapRow]:
    """Every tap journaled for a sale, oldest first (none when no tap was ever journaled)."""
    try:
        with journal._tx("read card taps", write=False) as conn:
            columns = {column[1] for column in conn.execute("PRAGMA table_info(card_tap)")}
            pinned = "pinned_until_us" if "pinned_until_us" in columns else "NULL"
            rows = conn.execute(f"SELECT reference, at_us, outcome, host, reason, amount_msat, {pinned} FROM card_tap "
                                "WHERE reference = ? ORDER BY at_us, rowid", (reference,)).fetchall()
    except StoreError as exc:
        if "no such table" in str(exc):  # this journal never saw a tap
            return []
        raise
    return [TapRow(r[0], from_us(r[1]), r[2], r[3], r[4], r[5], None if r[6] is None else from_us(r[6]))
            for r in rows]


def taps_json(rows: list[TapRow]) -> list[dict[str, object]]:
    """A sale's card taps for ``kiosk show --json``: what the journal holds, never a URL or secret."""
    return [{"at": row.at.isoformat(), "outcome": row.outcome, "host": row.host, "reason": row.reason,
             "amount_msat": row.amount_msat,
             "pinned_until": None if row.pinned_until is None else row.pinned_until.isoformat()} for row in rows]


def taps_text(rows: list[TapRow], tz: tzinfo) -> str:
    """The lines ``kiosk show`` adds for a sale's card taps ("" when it had none)."""
    if not rows:
        return ""
    lines = [f"Card taps ({len(rows)}):"]
    for row in rows:
        when = row.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
        reason = f": {row.reason}" if row.reason else ""
        kept = "" if row.pinned_until is None else \
            f" (invoice kept until {row.pinned_until.astimezone(tz).strftime('%H:%M:%S')})"
        lines.append(f"  {when}  {row.outcome} via {row.host or '-'}{reason}{kept}")
    return "\n".join(lines) + "\n"
