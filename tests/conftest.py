"""Shared test setup: no screen, no sound card, no GPIO, no network beyond loopback; and the fake
clocks and the polling wait that tests across the suite share (as fixtures)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from clocks import FakeClock, FakeMonotonic, Wait, wait_until

from kiosk.mion.simulator import MionSimulator
from tests.fault_tools import JumpClock
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
def clock() -> JumpClock:
    """A clock that can jump: the kiosk's (``Hooks(clock=clock)``) and, with ``jump_clock``, the simulator's."""
    return JumpClock()


@pytest.fixture
def simulator(request: pytest.FixtureRequest) -> Iterator[MionSimulator]:
    """The Mion simulator on loopback, taking the tests' key (tests/helpers.py) and issuing regtest invoices.

    In a module marked ``jump_clock`` it runs on the ``clock`` fixture, so a jump moves both.
    """
    clock = request.getfixturevalue("clock") if request.node.get_closest_marker("jump_clock") else None
    with MionSimulator(api_key=API_KEY, network="regtest", clock=clock) as sim:
        yield sim
