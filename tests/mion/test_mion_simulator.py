"""The simulator on its own: what it checks, how sessions age, and its control interface."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from clocks import FakeClock
from mion_helpers import API_KEY

from kiosk.core.invoice import check_invoice, invoice_network
from kiosk.mion.sim_state import FUNDED_AFTER_S, msat_for_cents
from kiosk.mion.simulator import MionSimulator

GOOD_SESSION = {"amount": 1200, "currencyIso3": "EUR", "reference": "K1-S", "retailPos": True}


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {API_KEY}"
        yield session


@pytest.fixture
def clocked(clock: FakeClock) -> Iterator[MionSimulator]:
    with MionSimulator(api_key=API_KEY, clock=clock, attempt_lifetime_s=120) as simulator:
        yield simulator


def _post(http: requests.Session, url: str, body: Any) -> requests.Response:
    return http.post(url, json=body, timeout=2)


def _create(http: requests.Session, sim: MionSimulator, **changes: Any) -> dict[str, Any]:
    answer = _post(http, sim.base_url + "/payment-sessions", {**GOOD_SESSION, **changes})
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def _attempt(http: requests.Session, sim: MionSimulator, session_id: str) -> requests.Response:
    return _post(http, f"{sim.base_url}/payment-sessions/{session_id}/payment-attempts",
                 {"paymentSessionId": session_id, "paymentMethod": "lightning", "retailPos": True})


def _status(http: requests.Session, sim: MionSimulator, session_id: str) -> dict[str, Any]:
    return http.get(f"{sim.base_url}/payment-sessions/{session_id}/status", timeout=2).json()  # type: ignore[no-any-return]


# --- what it checks ----------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"Authorization": API_KEY}, {"Authorization": f"Token {API_KEY}"},
                                     {"Authorization": "Bearer demo-key"}, {"X-Api-Key": API_KEY}])
def test_requests_without_the_exact_bearer_key_get_401(sim: MionSimulator, headers: dict[str, str]) -> None:
    answer = requests.post(sim.base_url + "/payment-sessions", json=GOOD_SESSION, headers=headers, timeout=2)
    assert answer.status_code == 401 and answer.json()["message"] == "missing or invalid API key"
    assert API_KEY not in answer.text


@pytest.mark.parametrize(("changes", "message"), [
    ({"amount": 12.5}, "amount must be a positive integer number of cents"),
    ({"amount": 1200.0}, "amount must be a positive integer number of cents"),
    ({"amount": True}, "amount must be a positive integer number of cents"),
    ({"amount": "1200"}, "amount must be a positive integer number of cents"),
    ({"amount": 0}, "amount must be a positive integer number of cents"),
    ({"amount": None}, "amount must be a positive integer number of cents"),
    ({"currencyIso3": "USD"}, "currencyIso3 must be EUR"),
    ({"currencyIso3": "eur"}, "currencyIso3 must be EUR"),
    ({"retailPos": None}, "retailPos must be true for point-of-sale payments"),
    ({"retailPos": "true"}, "retailPos must be true for point-of-sale payments"),
    ({"retailPos": False}, "retailPos must be true for point-of-sale payments"),
    ({"reference": 17}, "reference must be a text of 1 to 200 characters"),
    ({"expiresAt": "tomorrow"}, "expiresAt must be an ISO 8601 time such as 2026-11-28T17:05:00Z"),
    ({"expiresAt": "2099-01-01T00:00:00"}, "expiresAt must carry a time zone (Z for UTC)"),
    ({"expiresAt": "2001-01-01T00:00:00Z"}, "expiresAt is in the past"),
])
def test_bad_session_requests_get_400(sim: MionSimulator, http: requests.Session, changes: dict[str, Any],
                                      message: str) -> None:
    body = {k: v for k, v in {**GOOD_SESSION, **changes}.items() if v is not None}
    answer = _post(http, sim.base_url + "/payment-sessions", body)
    assert (answer.status_code, answer.json()["message"]) == (400, message)
    assert sim.sessions() == []


def test_body_that_is_not_a_json_object_gets_400(sim: MionSimulator, http: requests.Session) -> None:
    not_json = http.post(sim.base_url + "/payment-sessions", data=b"{amount: 5", timeout=2)
    a_list = _post(http, sim.base_url + "/payment-sessions", [GOOD_SESSION])
    assert (not_json.status_code, a_list.status_code) == (400, 400)


def test_bad_attempt_requests(sim: MionSimulator, http: requests.Session) -> None:
    session_id = _create(http, sim)["paymentSessionId"]
    url = f"{sim.base_url}/payment-sessions/{session_id}/payment-attempts"
    assert _post(http, url, {"paymentSessionId": session_id}).status_code == 400  # no retailPos
    assert _post(http, url, {"retailPos": True, "paymentMethod": "onchain"}).status_code == 400
    assert _post(http, url, {"retailPos": True, "paymentSessionId": "other"}).status_code == 400
    assert _attempt(http, sim, "unknown").status_code == 404


def test_unknown_ids_and_endpoints_get_404(sim: MionSimulator, http: requests.Session) -> None:
    for path in ("/payment-sessions/nope/status", "/payment-sessions/nope", "/nothing/here"):
        assert http.get(sim.base_url + path, timeout=2).status_code == 404
    assert http.put(sim.base_url + "/payment-sessions", json={}, timeout=2).status_code == 404


def test_duplicate_references_are_allowed_and_counted(sim: MionSimulator, http: requests.Session) -> None:
    first = _create(http, sim)["paymentSessionId"]
    second = _create(http, sim)["paymentSessionId"]
    _create(http, sim, reference="K1-OTHER")

    found = http.get(sim.base_url + "/payment-sessions", params={"reference": "K1-S"}, timeout=2).json()
    none = http.get(sim.base_url + "/payment-sessions", params={"reference": "K1-NONE"}, timeout=2).json()

    assert sim.session_count_for("K1-S") == 2 and sim.session_count_for("K1-OTHER") == 1
    assert [s["paymentSessionId"] for s in found] == [first, second]
    assert none == []


# --- how sessions and attempts age ------------------------------------------------------------------


def test_attempts_expire_after_their_lifetime(clocked: MionSimulator, clock: FakeClock,
                                              http: requests.Session) -> None:
    session_id = _create(http, clocked)["paymentSessionId"]
    assert _status(http, clocked, session_id)["status"] == "open"

    attempt = _attempt(http, clocked, session_id).json()
    clock.advance(60)
    later = _attempt(http, clocked, session_id).json()

    assert attempt["expiry"] == "2026-11-28T16:02:00Z"
    assert later["expiry"] == "2026-11-28T16:03:00Z"
    assert attempt["amountMsat"] == msat_for_cents(1200) and attempt["lnInvoice"] != later["lnInvoice"]
    assert _status(http, clocked, session_id)["status"] == "pending"
    assert clocked.sessions()[0]["attempts"] == 2


def test_session_expires_unpaid_and_can_still_be_paid_late(clocked: MionSimulator, clock: FakeClock,
                                                           http: requests.Session) -> None:
    session = _create(http, clocked, expiresAt="2026-11-28T16:05:00Z")
    session_id = session["paymentSessionId"]
    assert session["expiresAt"] == "2026-11-28T16:05:00Z"

    clock.advance(300)
    expired = _status(http, clocked, session_id)
    refused = _attempt(http, clocked, session_id)
    clock.advance(10)
    clocked.mark_paid(session_id)
    late = _status(http, clocked, session_id)
    clock.advance(FUNDED_AFTER_S)
    settled = _status(http, clocked, session_id)

    assert (expired["status"], expired["paidAt"]) == ("expired", None)
    assert refused.status_code == 409 and refused.json()["message"] == "payment session has expired"
    assert (late["status"], late["paidAt"]) == ("funding-received", "2026-11-28T16:05:10Z")
    assert settled["status"] == "funded" and settled["paidAt"] == late["paidAt"]


def test_default_session_lifetime_is_five_minutes(clocked: MionSimulator, http: requests.Session) -> None:
    assert _create(http, clocked)["expiresAt"] == "2026-11-28T16:05:00Z"


def test_mark_paid_picks_the_latest_unpaid_session(sim: MionSimulator, http: requests.Session) -> None:
    first = _create(http, sim)["paymentSessionId"]
    second = _create(http, sim, reference="K1-T")["paymentSessionId"]

    assert sim.mark_paid() == second
    assert sim.mark_paid() == first
    assert sim.mark_paid(first) == first  # paying twice changes nothing
    with pytest.raises(KeyError):
        sim.mark_paid()
    with pytest.raises(KeyError):
        sim.mark_paid("unknown")


@pytest.mark.parametrize("network", ["mainnet", "testnet", "signet", "regtest"])
def test_invoices_pass_the_kiosk_check_for_their_network(network: str, http: requests.Session) -> None:
    with MionSimulator(api_key=API_KEY, network=network) as sim:
        for cents in (1, 99, 1200, 100_000, 10_000_000):
            session_id = _create(http, sim, amount=cents)["paymentSessionId"]
            attempt = _attempt(http, sim, session_id).json()
            check_invoice(attempt["lnInvoice"], network=network, amount_msat=attempt["amountMsat"])
            assert invoice_network(attempt["lnInvoice"]) == network
            assert 250 <= len(attempt["lnInvoice"]) <= 350


# --- the control interface ----------------------------------------------------------------------------


def test_control_endpoints(sim: MionSimulator, http: requests.Session) -> None:
    first = _create(http, sim)["paymentSessionId"]
    second = _create(http, sim, reference="K1-T")["paymentSessionId"]
    control = requests.Session()  # no key: control needs none

    latest = control.post(sim.base_url + "/_sim/pay-latest", timeout=2)
    chosen = control.post(f"{sim.base_url}/_sim/sessions/{first}/pay", timeout=2)
    unknown = control.post(sim.base_url + "/_sim/sessions/nope/pay", timeout=2)
    listed = control.get(sim.base_url + "/_sim/sessions", timeout=2).json()

    assert latest.json() == {"paymentSessionId": second} and chosen.json() == {"paymentSessionId": first}
    assert unknown.status_code == 404
    assert [(s["id"], s["status"], s["paidAt"] is not None) for s in listed] == [
        (first, "funding-received", True), (second, "funding-received", True)]
    assert control.post(sim.base_url + "/_sim/pay-latest", timeout=2).status_code == 404  # none unpaid left
    control.close()


def test_failures_hit_api_requests_only(sim: MionSimulator, http: requests.Session) -> None:
    set_fail = requests.post(sim.base_url + "/_sim/fail", json={"count": 2, "mode": "500"}, timeout=2)
    assert set_fail.status_code == 200

    # control requests pass untouched while failures are pending
    assert requests.get(sim.base_url + "/_sim/sessions", timeout=2).status_code == 200
    codes = [_post(http, sim.base_url + "/payment-sessions", GOOD_SESSION).status_code for _ in range(3)]
    assert codes == [500, 500, 201]


def test_latency_delays_api_requests_only(sim: MionSimulator, http: requests.Session) -> None:
    assert requests.post(sim.base_url + "/_sim/latency", json={"seconds": 0.25}, timeout=2).status_code == 200

    started = time.monotonic()
    requests.get(sim.base_url + "/_sim/sessions", timeout=2)
    control_s = time.monotonic() - started
    started = time.monotonic()
    http.get(sim.base_url + "/payment-sessions?reference=x", timeout=2)
    api_s = time.monotonic() - started

    assert control_s < 0.2 <= api_s


def test_offline_cuts_api_requests_until_restored(sim: MionSimulator, http: requests.Session) -> None:
    sim.fail_next(1, "500")
    sim.set_offline(True)
    with pytest.raises(requests.ConnectionError):
        _post(http, sim.base_url + "/payment-sessions", GOOD_SESSION)
    assert requests.get(sim.base_url + "/_sim/sessions", timeout=2).json() == []  # control still answers

    restored = requests.post(sim.base_url + "/_sim/offline", json={"offline": False}, timeout=2)
    codes = [_post(http, sim.base_url + "/payment-sessions", GOOD_SESSION).status_code for _ in range(2)]

    assert restored.status_code == 200
    assert codes == [500, 201]  # the queued failure waited out the outage
    assert sim.session_count_for("K1-S") == 1


@pytest.mark.parametrize(("path", "body"), [
    ("/_sim/offline", {"offline": "yes"}), ("/_sim/offline", {}),
    ("/_sim/fail", {"count": 1, "mode": "explode"}), ("/_sim/fail", {"count": -1, "mode": "500"}),
    ("/_sim/fail", {"count": "2", "mode": "500"}), ("/_sim/fail", {"mode": "500"}),
    ("/_sim/latency", {"seconds": -1}), ("/_sim/latency", {"seconds": 3600}), ("/_sim/latency", {}),
    ("/_sim/latency", "fast"),
])
def test_bad_control_requests_get_400_and_change_nothing(sim: MionSimulator, http: requests.Session,
                                                         path: str, body: Any) -> None:
    answer = requests.post(sim.base_url + path, json=body, timeout=2)
    assert answer.status_code == 400 and answer.json()["message"]
    assert _post(http, sim.base_url + "/payment-sessions", GOOD_SESSION).status_code == 201


def test_direct_controls_check_their_arguments(sim: MionSimulator) -> None:
    with pytest.raises(ValueError, match="mode must be one of"):
        sim.fail_next(1, "boom")
    with pytest.raises(ValueError, match="count"):
        sim.fail_next(-1, "500")
    with pytest.raises(ValueError, match="seconds"):
        sim.set_latency(-0.5)
    with pytest.raises(ValueError, match="network"):
        MionSimulator(network="liquid")


def test_stop_cuts_hanging_and_idle_connections(http: requests.Session) -> None:
    sim = MionSimulator(api_key=API_KEY, hang_s=30)
    sim.start()
    _create(http, sim)  # leaves an idle keep-alive connection open
    sim.fail_next(1, "timeout")
    with pytest.raises(requests.Timeout):
        http.get(sim.base_url + "/payment-sessions?reference=x", timeout=0.2)

    base_url = sim.base_url
    started = time.monotonic()
    sim.stop()
    assert time.monotonic() - started < 1.5
    with pytest.raises(requests.ConnectionError):
        requests.get(base_url + "/_sim/sessions", timeout=0.5)
    sim.stop()  # a second stop is harmless


def test_serve_forever_logs_its_url_and_stops_on_ctrl_c() -> None:
    code = ("import logging; logging.basicConfig(level=logging.INFO, format='%(message)s');"
            "from kiosk.mion.simulator import serve_forever; serve_forever(0, 'demo-key', 'regtest')")
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stderr is not None
        lines: queue.Queue[str] = queue.Queue()
        stderr = proc.stderr

        def read_lines() -> None:
            for line in stderr:
                lines.put(line)

        reader = threading.Thread(target=read_lines, daemon=True)
        reader.start()
        seen: list[str] = []
        while not any("add latency" in line for line in seen):
            seen.append(lines.get(timeout=10))
        url = next(line.split(" at ")[1].strip() for line in seen if "invoices at" in line)
        assert requests.get(url + "/_sim/sessions", timeout=2).json() == []
        proc.send_signal(signal.SIGINT)
        proc.wait(5)
        reader.join(5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    assert proc.returncode == 0
    seen += list(lines.queue)
    assert any("Mion simulator stopped" in line for line in seen)
    assert any("curl -X POST " + url + "/_sim/pay-latest" in line for line in seen)
