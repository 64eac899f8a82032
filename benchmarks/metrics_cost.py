"""What the Prometheus metrics cost the kiosk: per loop turn, per Mion request, per scrape, at start.

The loop's share is ``KioskMetrics.loop_turned`` (one small Snapshot per turn) and the ledger's
counter updates; a Mion request adds one histogram observation on its worker thread. A scrape runs
on the metrics thread (rendering the registry, statting the journal and the card); reading the
journal's totals back runs once at start.

    .venv/bin/python benchmarks/metrics_cost.py [--sales 20000] [--turns 200000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client import generate_latest

from kiosk.core import events as ev
from kiosk.core.model import Phase, SaleSource
from kiosk.shell.metrics import KioskMetrics, Snapshot
from kiosk.store.journal import Journal
from kiosk.store.tallies import read_tallies


def per_call_us(call: Callable[[], object], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        call()
    return (time.perf_counter() - start) / n * 1e6


def fill(path: Path, sales: int) -> None:
    t0 = datetime(2026, 1, 1, 9, tzinfo=UTC)
    with Journal(path) as journal:
        for n in range(sales):
            at = t0 + timedelta(minutes=n)
            ref = f"K1-{n:06d}"
            journal.create_sale(reference=ref, amount_cents=100 + n % 5000, source=SaleSource.KEYPAD, at=at)
            journal.set_session(ref, f"ps_{n}", at)
            if n % 5:
                journal.mark_paid(ref, paid_at=at, amount_msat=1_000_000 + n, late=n % 97 == 0, at=at,
                                  print_copies=(), till_line=None)
            else:
                journal.end_sale(ref, Phase.EXPIRED, at)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=20_000, help="sales in the journal read back at start")
    parser.add_argument("--turns", type=int, default=200_000, help="loop turns and requests to time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "journal.sqlite3"
        fill(path, args.sales)
        metrics = KioskMetrics(path, stale_after_s=10)
        start = time.perf_counter()
        metrics.start_from(read_tallies(path))
        read_back_ms = (time.perf_counter() - start) * 1000
        problems: dict[str, str] = {}
        turn_us = per_call_us(lambda: metrics.loop_turned(lambda: Snapshot(  # as metrics_wiring.snapshot_of
            mion_reachable=True, till_connected=True, printer=True, printer_problem=None,
            reader_problems=tuple(sorted(problems.items())), journal_problem=None)), args.turns)
        request_us = per_call_us(lambda: metrics.mion_call(ev.Request.POLL, 0.12, None), args.turns)
        start = time.perf_counter()
        scrapes = 200
        for _ in range(scrapes):
            body = generate_latest(metrics.registry)
        scrape_ms = (time.perf_counter() - start) / scrapes * 1000
    print(f"journal read back at start ({args.sales} sales): {read_back_ms:.1f} ms")
    print(f"per loop turn (snapshot + turn time):            {turn_us:.2f} us")
    print(f"per Mion request (histogram + poll counter):     {request_us:.2f} us")
    print(f"per scrape (render, stat journal and card):      {scrape_ms:.2f} ms, {len(body)} bytes")


if __name__ == "__main__":
    main()
