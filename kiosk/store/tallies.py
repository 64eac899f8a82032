"""What the journal holds in total: the counts the metrics start from, so they survive a restart.

Read once at start on a read-only connection of its own, never by the loop. Each sale counts once, by
the outcome it first ended with: a sale that ended expired, cancelled, blocked or error and was then
paid late stays under that outcome (the journal keeps it in ``ended_as``), and its payment counts as a
late payment. That is how the running kiosk counts (:class:`kiosk.shell.metrics.KioskMetrics`), so the
counters read back equal the counters before a restart. A journal older than ``ended_as`` (read before
the kiosk upgraded it) counts a late payment's sale as expired, as the releases that wrote it did.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from kiosk.core.model import FINAL_PHASES, Phase
from kiosk.errors import StoreError
from kiosk.store.paths import reading_uri

TIP_COLUMN = "tip_cents"
"""The sale column that holds a tip (schema 4); in an older journal tips read back as 0."""
ENDED_COLUMN = "ended_as"
"""The sale column that keeps the outcome a sale first ended with (schema 6)."""


@dataclass(frozen=True, slots=True)
class Tallies:
    """Totals over every sale in the journal."""

    outcomes: dict[str, int] = field(default_factory=dict)
    """Sales by outcome (``Phase.value`` of the final phases)."""
    paid_cents: int = 0
    paid_msat: int = 0
    tips_cents: int = 0
    late_payments: int = 0
    last_paid_at: datetime | None = None


def count(conn: sqlite3.Connection) -> Tallies:
    """The totals of the journal on ``conn``."""
    finals = tuple(phase.value for phase in FINAL_PHASES)
    outcomes = {phase: 0 for phase in finals}
    columns = {row[1] for row in conn.execute("PRAGMA table_info(sale)")}
    if ENDED_COLUMN in columns:
        outcome = f"COALESCE({ENDED_COLUMN}, phase)"
    else:
        outcome = f"CASE WHEN phase = '{Phase.PAID.value}' AND late THEN '{Phase.EXPIRED.value}' ELSE phase END"
    marks = ",".join("?" * len(finals))
    for first, sales in conn.execute(
            f"SELECT {outcome}, COUNT(*) FROM sale WHERE phase IN ({marks}) GROUP BY 1", finals):
        if first in outcomes:
            outcomes[first] += sales
    tips = f"COALESCE(SUM({TIP_COLUMN}), 0)" if TIP_COLUMN in columns else "0"
    cents, msat, tip_cents, late_payments, last_us = conn.execute(
        f"SELECT COALESCE(SUM(amount_cents), 0), COALESCE(SUM(amount_msat), 0), {tips}, COALESCE(SUM(late), 0), "
        "MAX(paid_at_us) FROM sale WHERE phase = ?", (Phase.PAID.value,)).fetchone()
    last = None if last_us is None else datetime.fromtimestamp(last_us / 1_000_000, UTC)
    return Tallies(outcomes=outcomes, paid_cents=int(cents), paid_msat=int(msat), tips_cents=int(tip_cents),
                   late_payments=int(late_payments), last_paid_at=last)


def read_tallies(path: Path) -> Tallies:
    """The totals of the journal file at ``path`` (empty totals when there is none yet).

    Raises:
        StoreError: the file cannot be read.
    """
    if not path.is_file():
        return Tallies(outcomes={phase.value: 0 for phase in FINAL_PHASES})
    try:
        conn = sqlite3.connect(reading_uri(path), uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read the journal {path}: {exc}") from exc
    try:
        conn.execute("PRAGMA query_only = ON")
        return count(conn)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot count the journal's sales: {exc}") from exc
    finally:
        conn.close()
