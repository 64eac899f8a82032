"""What wakes the loop, and what the loop wakes: the status light is timed by the loop's own
wake-ups, and a status poll reaches the Mion worker only when the loop is about to sleep."""

from __future__ import annotations

import dataclasses
import itertools
import statistics
import threading
import time
from pathlib import Path

import pytest

from kiosk.core import events as ev
from kiosk.core.effects import Light
from kiosk.core.model import SessionStatus
from kiosk.core.view import InvoiceView, PaidView
from kiosk.mion.simulator import MionSimulator
from kiosk.mion.worker import Hold, MionEffect
from kiosk.shell import polls as polls_module
from kiosk.shell.app import KioskApp
from kiosk.shell.loop import MAX_WAIT_S
from kiosk.shell.messages import Message
from tests.helpers import API_KEY, charge, drive, settings_for


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
        light.show(Light.ERROR, clock[0])
        assert app.loop._wait_ms() in (100, 101)  # (rounded up) on for 0.1 s (the fast blink), then the loop wakes to switch it off
        clock[0] += 0.03
        assert app.loop._wait_ms() in (70, 71)
        light.show(Light.OFF, clock[0])
        assert app.loop._wait_ms() == MAX_WAIT_S * 1000  # an unlit light never wakes the loop


def show_invoice(app: KioskApp) -> None:
    charge(app, "12")
    drive(app, lambda a: isinstance(a.register.view(a.now()), InvoiceView))


def test_a_poll_is_handed_to_the_worker_only_when_the_loop_goes_to_sleep(
        simulator: MionSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(polls_module, "HOLD_S", 0.25)  # held polls end soon: several in a short test
    with kiosk(simulator, tmp_path) as app:
        show_invoice(app)
        steps: list[str] = []
        parts = app.loop.parts
        assert parts is not None
        submit, draw, wait = parts.worker.submit, app.loop.draw, app.loop._woken.wait

        def recorded_submit(effect: MionEffect, hold: Hold | None = None) -> None:
            steps.append(type(effect).__name__)
            submit(effect, hold)

        def recorded_draw() -> None:
            steps.append("draw")
            draw()

        def recorded_wait(timeout: float | None = None) -> bool:
            steps.append("sleep")
            return wait(timeout)

        parts.worker.submit = recorded_submit  # type: ignore[method-assign]
        app.loop.draw = recorded_draw  # type: ignore[method-assign]
        app.loop._woken = _Waiting(recorded_wait, app.loop._woken)  # type: ignore[assignment]
        drive(app, lambda a: steps.count("PollStatus") >= 3, timeout_s=10)

    polls = [i for i, step in enumerate(steps) if step == "PollStatus"]
    assert len(polls) >= 3
    # The turn that decides a poll draws its frame first and hands the poll over after it, right
    # before the loop sleeps: the worker never wakes only to wait for the main thread's frame.
    assert all(i > 0 and steps[i - 1] == "draw" for i in polls), steps


def test_mion_is_asked_as_often_as_before_but_the_register_hears_only_news(
        simulator: MionSimulator, tmp_path: Path) -> None:
    with kiosk(simulator, tmp_path) as app:
        show_invoice(app)
        asked: list[float] = []
        heard: list[ev.StatusReceived] = []
        client = app.worker.connect() if app.worker is not None else None
        assert client is not None
        session_status, dispatch = client.session_status, app.loop.dispatch

        def counted_status(session_id: str) -> SessionStatus:
            asked.append(time.monotonic())
            return session_status(session_id)

        def recorded_dispatch(message: Message) -> None:
            if isinstance(message, ev.StatusReceived):
                heard.append(message)
            dispatch(message)

        client.session_status = counted_status  # type: ignore[method-assign]
        app.loop.dispatch = recorded_dispatch  # type: ignore[method-assign]
        drive(app, lambda a: len(asked) >= 12, timeout_s=10)  # poll_interval_s = 0.1: about 1.2 s
        # Twelve answers that all said "open": the register heard at most the one a hold ended with.
        assert len(heard) <= 1, heard
        gaps = [b - a for a, b in itertools.pairwise(asked)]
        assert statistics.median(gaps) < 0.3  # Mion is still asked every poll_interval_s (0.1 s)

        sale = app.register.sale
        assert sale is not None and sale.session_id is not None
        simulator.mark_paid(sale.session_id)
        paid_at = time.monotonic()
        drive(app, lambda a: isinstance(a.register.view(a.now()), PaidView), timeout_s=5)
        assert time.monotonic() - paid_at < 2.0  # news is handed on at once, not at the end of the hold
        assert heard[-1].status.paid_at is not None


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


def test_after_a_failed_poll_the_next_answer_is_handed_on_at_once(
        simulator: MionSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(polls_module, "HOLD_S", 0.5)  # a short hold keeps the test short; the rule is the same
    with kiosk(simulator, tmp_path) as app:
        show_invoice(app)
        parts = app.loop.parts
        assert parts is not None
        sent: list[tuple[str, Hold | None]] = []
        submit, dispatch = parts.worker.submit, app.loop.dispatch

        def recorded_submit(effect: MionEffect, hold: Hold | None = None) -> None:
            if type(effect).__name__ == "PollStatus":
                sent.append(("poll", hold))
            submit(effect, hold)

        def recorded_dispatch(message: Message) -> None:
            if isinstance(message, ev.RequestFailed):
                sent.append(("failed", None))
            dispatch(message)

        parts.worker.submit = recorded_submit  # type: ignore[method-assign]
        app.loop.dispatch = recorded_dispatch  # type: ignore[method-assign]
        drive(app, lambda a: any(kind == "poll" and hold is not None for kind, hold in sent), timeout_s=10)
        parts.worker.release(app.register.sale.reference)  # type: ignore[union-attr]  # end the hold now
        simulator.fail_next(1, "503")
        drive(app, lambda a: ("failed", None) in sent and sent[-1][0] == "poll" and sent.index(("failed", None))
              < len(sent) - 1, timeout_s=10)
        after = sent[sent.index(("failed", None)) + 1]
        assert after == ("poll", None)  # not held: the register hears "reachable again" at once
        drive(app, lambda a: sent[-1][0] == "poll" and sent[-1][1] is not None, timeout_s=10)  # then held again
