"""A key wakes the loop at once; no key means no periodic wake-ups (the keypad's device is a FIFO here)."""

from __future__ import annotations

import os
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.core.view import IdleView
from kiosk.inputs.key_wake import EvdevKeyWake, keypad_devices, must_poll_keys
from kiosk.mion.simulator import MionSimulator
from kiosk.shell.app import KioskApp
from kiosk.shell.loop import KEY_POLL_S
from tests.helpers import drive, running_kiosk, settings_for

KEY_EVENT = struct.pack("llHHi", 0, 0, 0x01, 79, 1)  # EV_KEY, KEY_KP1, pressed


@pytest.fixture
def keypad(tmp_path: Path) -> Iterator[tuple[Path, list[int]]]:
    """A FIFO standing for /dev/input/eventN, and a list that holds its writing end once opened."""
    path = tmp_path / "event7"
    os.mkfifo(path)
    writer: list[int] = []
    yield path, writer
    for fd in writer:
        os.close(fd)


def press(path: Path, writer: list[int]) -> None:
    if not writer:
        writer.append(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
    os.write(writer[0], KEY_EVENT)


def test_the_loop_polls_keys_only_in_a_window() -> None:
    assert must_poll_keys("x11", watching=False) and must_poll_keys("wayland", watching=False)
    assert must_poll_keys("kmsdrm", watching=False), "no keypad readable: look for keys as before"
    assert not must_poll_keys("kmsdrm", watching=True)
    assert not must_poll_keys("dummy", watching=False) and not must_poll_keys("offscreen", watching=False)


def test_the_watcher_wakes_on_input_and_not_otherwise(keypad: tuple[Path, list[int]]) -> None:
    path, writer = keypad
    woken = threading.Event()
    watcher = EvdevKeyWake(woken.set, find=lambda: [path], rescan_s=60)
    try:
        assert watcher.start() and watcher.watching == 1
        assert not woken.wait(0.3)
        press(path, writer)
        assert woken.wait(1.0)
        assert watcher.keys_seen == 1
    finally:
        watcher.stop()


def test_a_key_wakes_the_idle_loop_promptly_and_nothing_else_does(
        tmp_path: Path, keypad: tuple[Path, list[int]]) -> None:
    path, writer = keypad
    with MionSimulator(api_key="k", network="regtest") as simulator, \
            running_kiosk(settings_for(simulator, tmp_path), tmp_path) as app:
        assert app.loop.key_poll_s is None, "SDL's dummy driver reads no keyboard: nothing to poll"
        watcher = EvdevKeyWake(app.loop.wake, find=lambda: [path], rescan_s=60)
        watcher.start()
        turns: list[float] = []
        pressed_at: list[float] = []

        def step(a: KioskApp) -> None:
            turns.append(time.monotonic())
            if len(pressed_at) == 0 and turns[-1] - turns[0] >= 2.0:
                pressed_at.append(time.monotonic())
                press(path, writer)

        try:
            drive(app, lambda a: len(pressed_at) == 1 and turns[-1] > pressed_at[0], step=step, timeout_s=6)
        finally:
            watcher.stop()
        assert isinstance(app.register.view(app.now()), IdleView)
        idle_turns = [t for t in turns if t < pressed_at[0]]
        # Idle for two seconds: woken about once a second (the register's clock), never 25 times.
        assert len(idle_turns) <= 2 / 1.0 + 2, f"{len(idle_turns)} loop turns in 2 s idle"
        assert turns[-1] - pressed_at[0] < KEY_POLL_S, "the key woke the loop within the old polling bound"


def test_keypads_are_found_from_sysfs(tmp_path: Path) -> None:
    def device(name: str, ev: str, key: str) -> None:
        caps = tmp_path / name / "device" / "capabilities"
        caps.mkdir(parents=True)
        (caps / "ev").write_text(ev + "\n")
        (caps / "key").write_text(key + "\n")

    device("event0", "3", "10000000000000 0")  # KEY_POWER only: a power button
    device("event1", "120013", "1000000000007 ff9f207ac14057ff febeffdfffefffff fffffffffffffffe")  # a keyboard
    device("event2", "17", "1f0000 0 0 0 0 0 0 0 0")  # a mouse: buttons only
    assert keypad_devices(tmp_path) == [Path("/dev/input/event1")]
