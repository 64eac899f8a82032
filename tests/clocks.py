"""Fake clocks and the polling wait shared across the suite; ``tests/conftest.py`` offers them as
fixtures (``fake_clock``, ``fake_monotonic``, ``wait``), and helper modules import them from here."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

T0 = datetime(2026, 11, 28, 16, 0, 0, tzinfo=UTC)


class FakeClock:
    """Wall-clock time (aware UTC ``datetime``) that moves only when the test says so."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


class FakeMonotonic:
    """A ``time.monotonic`` stand-in (float seconds) that moves only when the test says so."""

    def __init__(self, start: float = 100.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


Wait = Callable[..., bool]


def wait_until(condition: Callable[[], object], timeout_s: float = 3.0, *, interval_s: float = 0.005) -> bool:
    """Poll ``condition`` until it holds (True) or ``timeout_s`` passed (its last value, as a bool).

    For a thread or a child the test does not control; generous timeouts keep it free of flakes on a
    loaded machine. Assert on the result: ``assert wait(lambda: ..., 2.0)``.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval_s)
    return bool(condition())
