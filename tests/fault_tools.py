"""Tools for the fault and crash tests: a clock that can jump, a fault injector at one request kind,
and the checks that tie the journal to what the simulator (the truth) holds.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kiosk.core import effects as fx
from kiosk.core.model import Phase
from kiosk.mion.simulator import MionSimulator
from kiosk.mion.worker import Hold, MionEffect, MionWorker
from kiosk.store.journal import Journal

STEP_EFFECTS: dict[str, type] = {
    "create_session": fx.CreateSession,
    "create_attempt": fx.CreateAttempt,
    "poll": fx.PollStatus,
}
"""The steps of a sale where a fault is injected, by the request the kiosk sends there."""

LATENCY_S = 0.8
"""Beyond the test client's read timeout (0.5 s): every request in this window times out."""
LATENCY_HOLD_S = 1.5
"""How long the latency stays switched on once injected."""


class JumpClock:
    """Real time plus an offset that only grows: share one between the kiosk and the simulator."""

    def __init__(self, offset_s: float = 0.0) -> None:
        self._start = datetime.now(UTC)
        self._t0 = time.monotonic()
        self._offset_s = offset_s
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._start + timedelta(seconds=time.monotonic() - self._t0 + self._offset_s)

    def jump(self, seconds: float) -> None:
        """Move every reader of this clock ``seconds`` into the future."""
        with self._lock:
            self._offset_s += seconds


class FaultInjector:
    """Stands in front of the app's Mion worker: when the kiosk sends the chosen kind of request for
    the ``times``-th time, switch a fault on through the simulator's control interface first.

    ``fault`` is a simulator failure mode ("503", "drop_after", ...) or "latency" (answers slower
    than the client's read timeout, for ``hold_s``; call :meth:`tick` from the loop).
    """

    def __init__(self, worker: MionWorker, simulator: MionSimulator, *, step: str, fault: str,
                 at_call: int = 1, latency_s: float = LATENCY_S, hold_s: float = LATENCY_HOLD_S) -> None:
        self._worker = worker
        self._sim = simulator
        self._kind = STEP_EFFECTS[step]
        self._fault = fault
        self._at_call = at_call
        self._latency_s = latency_s
        self._hold_s = hold_s
        self._calls = 0
        self.fired_at: float | None = None
        self._latency_until: float | None = None

    def submit(self, effect: MionEffect, hold: Hold | None = None) -> None:
        if isinstance(effect, self._kind):
            self._calls += 1
            if self._calls == self._at_call:
                self._fire()
        self._worker.submit(effect, hold)

    def release(self, reference: str) -> None:
        self._worker.release(reference)

    def close(self) -> None:
        self._worker.close()

    def tick(self) -> None:
        """End the latency window when its time is up."""
        if self._latency_until is not None and time.monotonic() >= self._latency_until:
            self._sim.set_latency(0)
            self._latency_until = None

    @property
    def done(self) -> bool:
        """The fault was switched on, and a latency window has closed again."""
        return self.fired_at is not None and self._latency_until is None

    def _fire(self) -> None:
        self.fired_at = time.monotonic()
        if self._fault == "latency":
            self._sim.set_latency(self._latency_s)
            self._latency_until = self.fired_at + self._hold_s
        else:
            self._sim.fail_next(1, self._fault)


def sim_paid_at(simulator: MionSimulator) -> dict[str, str | None]:
    """reference -> the simulator's paidAt (None: unpaid) for every session it holds."""
    return {str(s["reference"]): s["paidAt"] for s in simulator.sessions()}


def paid_violations(simulator: MionSimulator, journal_path: Path) -> list[str]:
    """Every way the journal disagrees with the simulator about money; empty when they agree.

    Checks: each sale the simulator has paid is PAID in the journal with the same paidAt; no sale is
    PAID in the journal that the simulator has unpaid; no reference has more than one session.
    """
    truth = sim_paid_at(simulator)
    problems: list[str] = []
    with Journal(journal_path) as journal:
        records = {r.reference: r for r in journal.sales_between(datetime(2000, 1, 1, tzinfo=UTC),
                                                                  datetime(2100, 1, 1, tzinfo=UTC))}
    for reference, paid_at in truth.items():
        count = simulator.session_count_for(reference)
        if count != 1:
            problems.append(f"{reference}: {count} sessions at Mion")
        record = records.get(reference)
        if paid_at is not None:
            if record is None or record.phase is not Phase.PAID:
                problems.append(f"{reference}: paid at Mion ({paid_at}) but {record.phase.value if record else 'absent'}"
                                " in the journal")
            elif record.paid_at is None or record.paid_at.strftime("%Y-%m-%dT%H:%M:%SZ") != paid_at:
                problems.append(f"{reference}: journal paid_at {record.paid_at} differs from Mion's {paid_at}")
    for reference, record in records.items():
        if record.phase is Phase.PAID and truth.get(reference) is None:
            problems.append(f"{reference}: PAID in the journal but not paid at Mion")
    return problems
