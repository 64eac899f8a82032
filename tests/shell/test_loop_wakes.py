"""What wakes the loop, and what the loop wakes: the status light is timed by the loop's own
wake-ups, and a status poll reaches the Mion worker only when the loop is about to sleep."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.core.effects import Light
from kiosk.core.view import InvoiceView
from kiosk.mion.simulator import MionSimulator
from kiosk.shell.app import KioskApp
from kiosk.shell.loop import MAX_WAIT_S
from tests.helpers import API_KEY, drive, settings_for


def kiosk(simulator: MionSimulator, tmp_path: Path) -> KioskApp:
    settings = settings_for(simulator, tmp_path)
    settings = dataclasses.replace(settings, light=dataclasses.replace(settings.light, enabled=True))
    return KioskApp(settings, api_key=API_KEY, state_dir=tmp_path)


def test_the_loop_sleeps_until_the_lights_next_change_and_no_longer(simulator: MionSimulator,
                                                                     tmp_path: Path) -> None:
    clock = [500.0]
    with kiosk(simulator, tmp_path) as app:
        app.hooks.monotonic = lambda: clock[0]
        light = app.devices.light
        assert light is not None
        drive(app, lambda a: True)  # idle: nothing due
        assert app.loop._wait_ms() == MAX_WAIT_S * 1000
        light.show(Light.INVOICE, clock[0])
        assert app.loop._wait_ms() == 500  # on for half a second, then the loop wakes to switch it off
        clock[0] += 0.3
        assert app.loop._wait_ms() == 200
        light.show(Light.OFF, clock[0])
        assert app.loop._wait_ms() == MAX_WAIT_S * 1000  # an unlit light never wakes the loop


def test_a_poll_is_handed_to_the_worker_only_when_the_loop_goes_to_sleep(simulator: MionSimulator,
                                                                         tmp_path: Path) -> None:
    with kiosk(simulator, tmp_path) as app:
        for key in "12":
            app.feed(ev.KeyPressed(key=ev.Key(key)))
        app.feed(ev.KeyPressed(key=ev.Key.ENTER))
        drive(app, lambda a: isinstance(a.register.view(a.now()), InvoiceView))

        steps: list[str] = []
        parts = app.loop.parts
        assert parts is not None
        submit, draw, wait = parts.worker.submit, app.loop.draw, app.loop._woken.wait

        def recorded_submit(effect: fx.CreateSession | fx.FindSession | fx.CreateAttempt | fx.PollStatus) -> None:
            steps.append(type(effect).__name__)
            submit(effect)

        def recorded_draw() -> None:
            steps.append("draw")
            draw()

        def recorded_wait(timeout: float | None = None) -> bool:
            steps.append("sleep")
            return wait(timeout)

        parts.worker.submit = recorded_submit  # type: ignore[method-assign]
        app.loop.draw = recorded_draw  # type: ignore[method-assign]
        app.loop._woken = _Waiting(recorded_wait, app.loop._woken)
        drive(app, lambda a: steps.count("PollStatus") >= 3, timeout_s=10)

    polls = [i for i, step in enumerate(steps) if step == "PollStatus"]
    assert len(polls) >= 3
    # The turn that decides a poll draws its frame first and hands the poll over after it, right
    # before the loop sleeps: the worker never wakes only to wait for the main thread's frame.
    assert all(i > 0 and steps[i - 1] == "draw" for i in polls), steps


class _Waiting:
    """A threading.Event whose ``wait`` is recorded."""

    def __init__(self, wait: object, event: threading.Event) -> None:
        self._event = event
        self.wait = wait

    def set(self) -> None:
        self._event.set()

    def clear(self) -> None:
        self._event.clear()

    def is_set(self) -> bool:
        return self._event.is_set()
