"""Shared test setup: no screen, no sound card, no GPIO, no network beyond loopback; and the fake
clocks and the polling wait that tests across the suite share (as fixtures)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from clocks import FakeClock, FakeMonotonic, Wait, wait_until

from kiosk.mion.simulator import MionSimulator
from tests.helpers import API_KEY

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake_monotonic() -> FakeMonotonic:
    return FakeMonotonic()


@pytest.fixture
def wait() -> Wait:
    return wait_until


@pytest.fixture(autouse=True)
def small_disk_reserve(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every kiosk a test starts lays its disk reserve: keep it small so a thousand tests hold little."""
    monkeypatch.setattr("kiosk.store.ballast.BALLAST_BYTES", 64 * 1024)


@pytest.fixture
def simulator() -> Iterator[MionSimulator]:
    """The Mion simulator on loopback, taking the tests' key (tests/helpers.py) and issuing regtest invoices."""
    with MionSimulator(api_key=API_KEY, network="regtest") as sim:
        yield sim
