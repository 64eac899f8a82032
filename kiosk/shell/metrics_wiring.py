"""Starting the metrics for a running kiosk: counters from the journal, the server, the loop's snapshot.

Imported by :class:`kiosk.shell.app.KioskApp` only when ``[metrics] listen`` is set.
"""

from __future__ import annotations

import contextlib
import functools
import os
from pathlib import Path

from kiosk.config import Settings
from kiosk.shell.loop import Loop
from kiosk.shell.metrics import KioskMetrics, Snapshot
from kiosk.shell.metrics_server import MetricsServer, read_password
from kiosk.store.tallies import read_tallies


def start_metrics(settings: Settings, journal_path: Path, stack: contextlib.ExitStack) -> tuple[KioskMetrics,
                                                                                                   MetricsServer]:
    """Count from the journal's totals and serve; the server stops when ``stack`` closes.

    Raises:
        ConfigError: the password cannot be read, or the address cannot be listened on.
        StoreError: the journal cannot be read.
    """
    metrics = KioskMetrics(journal_path, stale_after_s=settings.metrics.stale_after_s)
    metrics.start_from(read_tallies(journal_path))
    server = MetricsServer(settings.metrics, metrics, password=read_password(settings.metrics, dict(os.environ)))
    server.start()
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
