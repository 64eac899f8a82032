"""What the journal holds in total: the counts the metrics start from, so they survive a restart.

Read once at start on a read-only connection of its own, never by the loop. Each sale counts once,
by the outcome the journal keeps for it. A late payment turns an ended sale into a paid one and the
journal keeps only that it was late. The running kiosk counted that sale when it ended unpaid and
then the late payment (not a second outcome); read back, it counts as a late payment and, for the
outcome it first ended with, which the journal no longer holds, as expired, the way nearly every
late payment begins. So the counts after a restart do not fall below those shown before it.
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
"""The sale column that would hold a tip; until the journal has one, tips read back as 0."""


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
    marks = ",".join("?" * len(finals))
    for phase, late, sales in conn.execute(
            f"SELECT phase, late, COUNT(*) FROM sale WHERE phase IN ({marks}) GROUP BY phase, late", finals):
        late_paid = phase == Phase.PAID.value and late
        outcomes[Phase.EXPIRED.value if late_paid else phase] += sales
    columns = {row[1] for row in conn.execute("PRAGMA table_info(sale)")}
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
