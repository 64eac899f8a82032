"""A held status poll (``kiosk.mion.worker.Hold``): Mion is asked every ``every_s``; the loop hears
only the first answer that says something new, a failure, or the last answer once the hold ends."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.core.model import SessionStatus
from kiosk.errors import MionUnavailable
from kiosk.mion.worker import Hold, MionWorker

OPEN = SessionStatus(session_id="s-1", status="open")
PAID = SessionStatus(session_id="s-1", status="paid", paid_at=datetime(2026, 11, 29, 12, 0, tzinfo=UTC))
POLL = fx.PollStatus(reference="R-1", session_id="s-1")


class ScriptedMion:
    """Answers the status endpoint from a script; the last entry repeats. An exception is raised."""

    def __init__(self, *answers: SessionStatus | Exception) -> None:
        self.answers = list(answers)
        self.asked: list[float] = []

    def session_status(self, session_id: str) -> SessionStatus:
        self.asked.append(time.monotonic())
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def cancel_requests(self) -> int:
        return 0


@pytest.fixture
def events() -> Iterator[queue.Queue[ev.Event]]:
    yield queue.Queue()


def worker_for(mion: ScriptedMion, events: queue.Queue[ev.Event]) -> MionWorker:
    return MionWorker(mion, network="regtest", post=events.put)  # type: ignore[arg-type]


def test_news_is_handed_on_at_once_and_nothing_before_it(events: queue.Queue[ev.Event]) -> None:
    mion = ScriptedMion(OPEN, OPEN, OPEN, PAID)
    worker = worker_for(mion, events)
    try:
        worker.submit(POLL, Hold(every_s=0.01, at_most_s=30))
        event = events.get(timeout=5)
    finally:
        worker.close()
    assert isinstance(event, ev.StatusReceived) and event.status == PAID
    assert len(mion.asked) == 4 and events.empty()  # three "open" answers were never handed on


def test_a_hold_ends_with_the_last_answer_when_nothing_changes(events: queue.Queue[ev.Event]) -> None:
    mion = ScriptedMion(OPEN)
    worker = worker_for(mion, events)
    try:
        started = time.monotonic()
        worker.submit(POLL, Hold(every_s=0.02, at_most_s=0.2))
        event = events.get(timeout=5)
        took = time.monotonic() - started
    finally:
        worker.close()
    assert isinstance(event, ev.StatusReceived) and event.status == OPEN
    assert 0.15 <= took < 2.0
    assert 6 <= len(mion.asked) <= 11  # every 0.02 s for 0.2 s: never asked again past the hold


def test_a_failure_ends_the_hold_at_once(events: queue.Queue[ev.Event]) -> None:
    mion = ScriptedMion(OPEN, OPEN, MionUnavailable("no answer within 3 s"))
    worker = worker_for(mion, events)
    try:
        worker.submit(POLL, Hold(every_s=0.01, at_most_s=30))
        event = events.get(timeout=5)
    finally:
        worker.close()
    assert isinstance(event, ev.RequestFailed) and event.failure is ev.Failure.UNAVAILABLE
    assert len(mion.asked) == 3


def test_a_released_sale_ends_its_hold_without_asking_mion_again(events: queue.Queue[ev.Event]) -> None:
    mion = ScriptedMion(OPEN)
    worker = worker_for(mion, events)
    try:
        worker.submit(POLL, Hold(every_s=0.05, at_most_s=30))
        time.sleep(0.12)
        worker.release("R-1")
        event = events.get(timeout=5)
        asked = len(mion.asked)
        time.sleep(0.15)
    finally:
        worker.close()
    assert isinstance(event, ev.StatusReceived) and event.status == OPEN
    assert len(mion.asked) == asked  # nothing more once let go


def test_a_poll_without_a_hold_is_one_request(events: queue.Queue[ev.Event]) -> None:
    mion = ScriptedMion(OPEN)
    worker = worker_for(mion, events)
    try:
        worker.submit(POLL)
        event = events.get(timeout=5)
    finally:
        worker.close()
    assert isinstance(event, ev.StatusReceived) and len(mion.asked) == 1
