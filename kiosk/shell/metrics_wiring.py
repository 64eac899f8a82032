"""Starting the metrics for a running kiosk: counters from the journal, the server, the loop's snapshot.

Imported by :class:`kiosk.shell.app.KioskApp` only when ``[metrics] listen`` is set.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from pathlib import Path

from kiosk.config import Settings
from kiosk.errors import ConfigError, StoreError
from kiosk.shell.loop import Loop
from kiosk.shell.metrics import KioskMetrics, Snapshot
from kiosk.shell.metrics_server import MetricsServer, read_password
from kiosk.store.tallies import read_tallies

log = logging.getLogger(__name__)


def start_metrics(settings: Settings, journal_path: Path,
                  stack: contextlib.ExitStack) -> tuple[KioskMetrics, MetricsServer] | tuple[None, None]:
    """Count from the journal's totals and serve; the server stops when ``stack`` closes.

    Metrics never keep the kiosk from taking payments: when the password cannot be read or the
    address cannot be listened on, the error is logged and the kiosk runs without them (Prometheus
    then sees it down, and says so). Counters that cannot be read back start from zero.
    """
    metrics = KioskMetrics(journal_path, stale_after_s=settings.metrics.stale_after_s)
    try:
        metrics.start_from(read_tallies(journal_path))
    except StoreError as exc:
        log.error("metrics: counting from zero, the journal's totals cannot be read: %s", exc)
    try:
        server = MetricsServer(settings.metrics, metrics, password=read_password(settings.metrics, dict(os.environ)))
        server.start()
    except ConfigError as exc:
        log.error("metrics are off: %s", exc)
        return None, None
    stack.callback(server.stop)
    return metrics, server


def follow(loop: Loop, metrics: KioskMetrics, *, printer: bool) -> None:
    """Have ``loop`` tell ``metrics`` of each turn, with the devices' states."""
    loop.on_turn = functools.partial(metrics.loop_turned, functools.partial(snapshot_of, loop, printer=printer))


def snapshot_of(loop: Loop, *, printer: bool) -> Snapshot:
    """The devices' states as the loop knows them now (main thread)."""
    parts = loop.parts
    till = parts.till if parts is not None else None
    return Snapshot(mion_reachable=loop.mion_reachable, till_connected=None if till is None else till.connected,
                    printer=printer, printer_problem=loop.printer_problem,
                    reader_problems=tuple(sorted(loop.reader_problems.items())),
                    journal_problem=parts.ledger.problem if parts is not None else None)
