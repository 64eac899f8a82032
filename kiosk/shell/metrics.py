"""The kiosk's Prometheus metrics and its health, fed from the loop, the ledger and the Mion worker.

Imported only when ``[metrics] listen`` is set: it loads ``prometheus_client``.

The loop never waits for a scrape. What the loop, the ledger and the Mion worker report is a counter
or histogram update (a lock held for a few instructions). The states of the shop's devices are
published by the loop as one small immutable :class:`Snapshot` per turn; a scrape, on the metrics server's own thread, reads the last snapshot and
looks at the disk itself. Counters start from the journal's totals (:mod:`kiosk.store.tallies`), so
a restart does not reset them.
"""

from __future__ import annotations

import os
import platform
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily
from prometheus_client.registry import Collector

from kiosk import __version__
from kiosk.core import events as ev
from kiosk.core.model import FINAL_PHASES, Phase
from kiosk.store.records import SaleRecord
from kiosk.store.tallies import Tallies

LATENCY_BUCKETS_S = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the loop knows of the shop's devices, as of one turn."""

    mion_reachable: bool | None = None
    till_connected: bool | None = None
    """None: no till is configured."""
    printer: bool = False
    """A printer is configured."""
    printer_problem: str | None = None
    reader_problems: tuple[tuple[str, str], ...] = ()
    journal_problem: str | None = None


class KioskMetrics:
    """The metrics of one running kiosk, in a registry of their own.

    Args:
        journal_path: the journal file, whose size and free disk space each scrape reports.
        stale_after_s: ``health`` fails when the loop has not turned for this long.
        monotonic: the clock of the loop's turns (injected in tests).
    """

    def __init__(self, journal_path: Path, *, stale_after_s: float,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._journal_path = journal_path
        self._stale_after_s = stale_after_s
        self._monotonic = monotonic
        self._turned_at: float | None = None
        self._snapshot = Snapshot()
        self._last_paid_s: float | None = None
        self._lock = threading.Lock()
        reg = self.registry
        self.sales = Counter("kiosk_sales", "Sales by the outcome they ended with", ["outcome"], registry=reg)
        for phase in FINAL_PHASES:
            self.sales.labels(phase.value)
        self.paid_cents = Counter("kiosk_paid_cents", "Amount paid, in cents of the shop's currency", registry=reg)
        self.paid_sats = Counter("kiosk_paid_sats", "Amount paid, in satoshis", registry=reg)
        self.tips_cents = Counter("kiosk_tips_cents", "Tips paid, in cents", registry=reg)
        self.late = Counter("kiosk_late_payments", "Payments that arrived after their sale had ended", registry=reg)
        self.polls = Counter("kiosk_mion_polls", "Status polls sent to Mion", registry=reg)
        self.latency = Histogram("kiosk_mion_request_duration_seconds", "Mion requests by endpoint",
                                 ["endpoint"], buckets=LATENCY_BUCKETS_S, registry=reg)
        self.errors = Counter("kiosk_mion_errors", "Failed Mion requests by kind of failure", ["kind"], registry=reg)
        for request in ev.Request:
            self.latency.labels(request.value)
        for failure in ev.Failure:
            self.errors.labels(failure.value)
        reg.register(_StateCollector(self))

    # --- from the start, the ledger, the worker, the loop -----------------------------------------------

    def start_from(self, tallies: Tallies) -> None:
        """Begin the counters at the journal's totals (once, before the loop runs)."""
        for outcome, sales in tallies.outcomes.items():
            self.sales.labels(outcome).inc(sales)
        self.paid_cents.inc(tallies.paid_cents)
        self.paid_sats.inc(tallies.paid_msat / 1000)
        self.tips_cents.inc(tallies.tips_cents)
        self.late.inc(tallies.late_payments)
        if tallies.last_paid_at is not None:
            self._last_paid_s = tallies.last_paid_at.timestamp()

    def sale_ended(self, phase: Phase) -> None:
        """A sale ended unpaid (ledger, once it is journaled)."""
        self.sales.labels(phase.value).inc()

    def sale_paid(self, record: SaleRecord, *, late: bool, paid_at: datetime) -> None:
        """A payment was journaled (once per sale). A sale that had already ended unpaid was counted by
        that outcome (``record.ended_as``) and stays there; any other counts as paid. A late one (paid
        after its invoice's time) also counts as a late payment."""
        if late:
            self.late.inc()
        if record.ended_as is None:
            self.sales.labels(Phase.PAID.value).inc()
        self.paid_cents.inc(record.amount_cents)
        self.tips_cents.inc(record.tip_cents)
        if record.amount_msat is not None:
            self.paid_sats.inc(record.amount_msat / 1000)
        with self._lock:
            self._last_paid_s = max(self._last_paid_s or 0.0, paid_at.timestamp())

    def mion_call(self, request: ev.Request, seconds: float, failure: ev.Failure | None) -> None:
        """One Mion request ended (worker thread)."""
        self.latency.labels(request.value).observe(seconds)
        if request is ev.Request.POLL:
            self.polls.inc()
        if failure is not None:
            self.errors.labels(failure.value).inc()

    def loop_turned(self, snapshot: Callable[[], Snapshot]) -> None:
        """The loop turned (main thread); ``snapshot`` gives the devices' states as of this turn."""
        self._snapshot = snapshot()
        self._turned_at = self._monotonic()

    # --- from the server's thread --------------------------------------------------------------------

    def health(self) -> str | None:
        """Why the kiosk is not healthy, or None when its loop turns and its journal takes writes."""
        turned_at, snapshot = self._turned_at, self._snapshot
        if turned_at is None:
            return "the kiosk is starting: its main loop has not turned yet"
        idle_s = self._monotonic() - turned_at
        if idle_s > self._stale_after_s:
            return f"the main loop has not turned for {idle_s:.0f} s"
        if snapshot.journal_problem is not None:
            return f"the journal cannot be written: {snapshot.journal_problem}"
        return None

    def states(self) -> Iterator[GaugeMetricFamily | InfoMetricFamily]:
        """The gauges each scrape computes (see :class:`_StateCollector`)."""
        snap = self._snapshot
        turned_at = self._turned_at
        info = InfoMetricFamily("kiosk_build", "The kiosk's version")
        info.add_metric([], {"version": __version__, "python": platform.python_version()})
        yield info
        yield _gauge("kiosk_loop_turn_age_seconds", "Seconds since the main loop last turned",
                     None if turned_at is None else self._monotonic() - turned_at)
        yield _gauge("kiosk_healthy", "1 when /healthz answers 200", float(self.health() is None))
        yield _gauge("kiosk_journal_writable", "1 while the journal takes writes", float(snap.journal_problem is None))
        yield _gauge("kiosk_mion_reachable", "1 when Mion's last answer came, 0 when it could not be reached",
                     None if snap.mion_reachable is None else float(snap.mion_reachable))
        yield _gauge("kiosk_till_link_up", "1 while the till's serial link is open (absent without a till)",
                     None if snap.till_connected is None else float(snap.till_connected))
        yield _gauge("kiosk_printer_ok", "1 while the receipt printer reports no problem (absent without one)",
                     float(snap.printer_problem is None) if snap.printer else None)
        problem = GaugeMetricFamily("kiosk_printer_problem", "The printer's current problem (1 while it lasts)",
                                    labels=["problem"])
        if snap.printer and snap.printer_problem is not None:
            problem.add_metric([snap.printer_problem], 1.0)
        yield problem
        readers = GaugeMetricFamily("kiosk_reader_problem", "A payment (NFC) reader's current problem",
                                    labels=["reader", "problem"])
        for name, text in snap.reader_problems:
            readers.add_metric([name, text], 1.0)
        yield readers
        with self._lock:
            last_paid = self._last_paid_s
        yield _gauge("kiosk_last_paid_timestamp_seconds", "When the last paid sale was paid (Unix time)", last_paid)
        yield from self._disk()

    def _disk(self) -> Iterator[GaugeMetricFamily]:
        size = 0
        for suffix in ("", "-wal"):
            try:
                size += os.stat(f"{self._journal_path}{suffix}").st_size
            except OSError:
                pass
        yield _gauge("kiosk_journal_bytes", "Size of the sales journal with its write-ahead log", float(size))
        try:
            usage = shutil.disk_usage(self._journal_path.parent)
        except OSError:
            return
        yield _gauge("kiosk_disk_free_bytes", "Free space where the journal lives", float(usage.free))
        yield _gauge("kiosk_disk_size_bytes", "Size of the file system where the journal lives", float(usage.total))


def _gauge(name: str, documentation: str, value: float | None) -> GaugeMetricFamily:
    """A gauge without labels; no sample when the value is unknown (None)."""
    family = GaugeMetricFamily(name, documentation)
    if value is not None:
        family.add_metric([], value)
    return family


class _StateCollector(Collector):
    def __init__(self, metrics: KioskMetrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[GaugeMetricFamily | InfoMetricFamily]:
        return self._metrics.states()
