"""Every Mion call ends by its deadline, however slowly the answer comes, and a worker can be stopped at once.

``requests`` times each socket read, not the request: a server that sends one byte every 0.2 s
never trips a 0.3 s read timeout. The client gives each call connect_timeout_s + read_timeout_s
in all, then cuts the connection under it; the call fails as MionUnavailable (outcome unknown).
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
from clocks import wait_until
from mion_helpers import API_KEY, SHORT_TIMEOUT_S, RawServer, fast_settings, http_answer, one_byte_at_a_time

from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.errors import MionMalformed, MionUnavailable
from kiosk.mion.client import MionClient
from kiosk.mion.simulator import MionSimulator
from kiosk.mion.worker import MionWorker

DEADLINE_S = 2 * SHORT_TIMEOUT_S  # connect + read timeout of fast_settings
SLACK_S = 2.0  # generous: a loaded 2-core machine may be slow to schedule the watchdog
TRICKLE_S = 0.2
STATUS = json.dumps({"paymentSessionId": "s-1", "status": "pending", "paidAt": None}).encode()
LONG_HEAD = "".join(f"X-Padding-{i}: {'p' * 20}\r\n" for i in range(20))  # 600 bytes: two minutes of trickle


def _trickled_head() -> Iterator[bytes | float]:
    """Headers one byte at a time (the status line never even completes in time)."""
    return one_byte_at_a_time(http_answer(STATUS, headers=LONG_HEAD))


def _trickled_body() -> Iterator[bytes | float]:
    """Headers at once, then the body one byte at a time."""
    yield http_answer(b"", length=len(STATUS) + 600)
    yield from one_byte_at_a_time(STATUS + b" " * 600)


def _fails_within(limit_s: float, call: object) -> BaseException:
    started = time.monotonic()
    with pytest.raises(MionUnavailable) as failed:
        call()  # type: ignore[operator]
    took = time.monotonic() - started
    assert took < limit_s, f"the call took {took:.2f} s"
    return failed.value


@pytest.mark.parametrize("answer", [_trickled_head, _trickled_body], ids=["headers", "body"])
def test_a_trickled_answer_fails_by_the_deadline_and_the_next_call_works(raw: RawServer, raw_client: MionClient,
                                                                         answer: object) -> None:
    # given a server that sends its answer one byte every 0.2 s (each read is well within its timeout)
    raw.answer = answer  # type: ignore[assignment]
    raw.pause_s = TRICKLE_S

    # when the kiosk polls, the poll fails as an outage by the deadline
    failure = _fails_within(DEADLINE_S + SLACK_S, lambda: raw_client.session_status("s-1"))
    assert type(failure) is MionUnavailable
    assert f"no complete answer within {DEADLINE_S:g} s" in str(failure)

    # then the next poll on the same client is answered as usual
    raw.answer = lambda: [http_answer(STATUS)]
    raw.pause_s = 0.0
    assert raw_client.session_status("s-1").status == "pending"


def test_a_create_cut_by_the_deadline_has_an_unknown_outcome(raw: RawServer, raw_client: MionClient) -> None:
    # given Mion trickles its answer to a session create
    raw.answer = _trickled_head
    raw.pause_s = TRICKLE_S

    # then the create fails as unavailable (not refused, not malformed): look it up before creating again
    failure = _fails_within(DEADLINE_S + SLACK_S, lambda: raw_client.create_session(
        amount_cents=100, reference="K1-D", expires_at=datetime.now(UTC) + timedelta(minutes=5)))
    assert type(failure) is MionUnavailable and failure.retry_after_s is None


def test_the_deadline_is_the_sum_of_the_timeouts(raw: RawServer) -> None:
    raw.answer = _trickled_head
    raw.pause_s = TRICKLE_S
    settings = fast_settings(raw.base_url, connect_timeout_s=0.2)
    with MionClient(settings, API_KEY) as client:
        failure = _fails_within(0.5 + SLACK_S, lambda: client.session_status("s-1"))
    assert "no complete answer within 0.5 s" in str(failure)


def _worker_on(raw: RawServer) -> tuple[MionClient, MionWorker, queue.Queue[ev.Event]]:
    # long timeouts: only closing the worker can end the trickled request in time
    client = MionClient(fast_settings(raw.base_url, connect_timeout_s=10, read_timeout_s=60), API_KEY)
    events: queue.Queue[ev.Event] = queue.Queue()
    return client, MionWorker(client, network="regtest", post=events.put), events


def _wait_for_request(raw: RawServer) -> None:
    assert wait_until(lambda: raw.requests > 0, 10), "the worker never sent its request"


def test_closing_the_worker_cuts_a_trickled_request_at_once(raw: RawServer) -> None:
    # given a worker whose poll is being trickled
    raw.answer = _trickled_head
    raw.pause_s = TRICKLE_S
    client, worker, events = _worker_on(raw)
    try:
        worker.submit(fx.PollStatus(reference="R", session_id="s-1"))
        _wait_for_request(raw)

        # when the kiosk stops, closing the worker returns at once
        started = time.monotonic()
        worker.close()
        assert time.monotonic() - started < 1.5

        # and the request was cut: the server sees the connection go long before its answer is out
        give_up = time.monotonic() + 5
        while raw.hangups == 0:
            assert time.monotonic() < give_up, "the trickled request is still open"
            time.sleep(0.02)

        # and nothing more is handed to the stopped loop
        assert events.empty()
    finally:
        client.close()


def test_a_process_with_a_trickled_request_exits_promptly_after_closing(raw: RawServer) -> None:
    # given a separate process whose worker is stuck in a trickled poll (as the kiosk under SIGTERM)
    raw.answer = _trickled_head
    raw.pause_s = TRICKLE_S
    code = f"""
import queue, sys, time
sys.path.insert(0, {os.path.dirname(__file__)!r})
from mion_helpers import API_KEY, fast_settings
from kiosk.core import effects as fx
from kiosk.mion.client import MionClient
from kiosk.mion.worker import MionWorker
client = MionClient(fast_settings({raw.base_url!r}, connect_timeout_s=10, read_timeout_s=60), API_KEY)
worker = MionWorker(client, network="regtest", post=queue.Queue().put)
worker.submit(fx.PollStatus(reference="R", session_id="s-1"))
sys.stdin.readline()
worker.close()
client.close()
print("closed", flush=True)
"""
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        _wait_for_request(raw)
        assert proc.stdin is not None and proc.stdout is not None

        # when it is told to stop
        started = time.monotonic()
        proc.stdin.write("stop\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "closed"

        # then it is gone within two seconds: no thread holds the exit back
        proc.wait(10)
        assert time.monotonic() - started < 2.0
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


# --- the simulator's faults for the same: trickle and huge ------------------------------------------


def test_the_simulators_trickle_is_cut_by_the_deadline_and_resolved_by_reference(client: MionClient,
                                                                                sim: MionSimulator) -> None:
    # given the simulator creates the session but trickles its answer
    sim.fail_next(1, "trickle")
    failure = _fails_within(DEADLINE_S + SLACK_S, lambda: client.create_session(
        amount_cents=100, reference="K1-TRICKLE", expires_at=datetime.now(UTC) + timedelta(minutes=5)))

    # then the outcome is unknown, and the lookup by reference finds the one session
    assert type(failure) is MionUnavailable and "no complete answer within" in str(failure)
    found = client.session_by_reference("K1-TRICKLE")
    assert found is not None and sim.session_count_for("K1-TRICKLE") == 1


def test_the_simulators_trickle_is_a_whole_answer_to_a_patient_client() -> None:
    with MionSimulator(api_key=API_KEY, trickle_s=0.001) as sim, \
            MionClient(fast_settings(sim.base_url, read_timeout_s=30), API_KEY) as patient:
        sim.fail_next(1, "trickle")
        assert patient.session_by_reference("K1-P") is None


def test_the_simulators_huge_answer_is_refused(client: MionClient, sim: MionSimulator) -> None:
    # switched on over HTTP, as an end-to-end test or a person with curl would
    answer = requests.post(sim.base_url + "/_sim/fail", json={"count": 1, "mode": "huge"}, timeout=2)
    assert answer.status_code == 200
    with pytest.raises(MionMalformed, match="larger than 1 MiB"):
        client.session_by_reference("K1-H")
    assert client.session_by_reference("K1-H") is None


def test_a_body_that_stops_coming_is_a_read_timeout(raw: RawServer, raw_client: MionClient) -> None:
    raw.answer = lambda: [http_answer(b"", length=len(STATUS)), STATUS[:5], 30.0]
    failure = _fails_within(DEADLINE_S + SLACK_S, lambda: raw_client.session_status("s-1"))
    assert f"no answer within {SHORT_TIMEOUT_S:g} s" in str(failure)
