"""Every way a Mion call can fail, mapped into the kiosk's error tree, and the API key kept out of all of it."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from mion_helpers import (
    API_KEY,
    SHORT_TIMEOUT_S,
    CannedServer,
    exception_texts,
    fast_settings,
)

from kiosk.errors import MionError, MionMalformed, MionRejected, MionUnavailable
from kiosk.mion.client import MionClient, parse_retry_after
from kiosk.mion.simulator import MionSimulator


def _later() -> datetime:
    return datetime.now(UTC) + timedelta(minutes=5)


def _new_session(client: MionClient, reference: str = "K1-E") -> str:
    return client.create_session(amount_cents=1200, reference=reference, expires_at=_later()).session_id


# --- refusals: 4xx ----------------------------------------------------------------------------------


def test_wrong_key_is_rejected_with_401(sim: MionSimulator) -> None:
    with MionClient(fast_settings(sim.base_url), "not-the-key") as wrong, pytest.raises(MionRejected) as refused:
        _new_session(wrong)
    assert refused.value.status == 401
    assert refused.value.detail == "the API key was not accepted (code: unauthorized)"
    assert sim.sessions() == []


def test_unknown_session_is_404_everywhere(client: MionClient) -> None:
    for call in (client.session_status, client.session_by_id, client.create_attempt):
        with pytest.raises(MionRejected) as refused:
            call("no-such-session")
        assert refused.value.status == 404 and refused.value.detail == "payment session not found"


def test_attempt_for_a_paid_session_is_refused(client: MionClient, sim: MionSimulator) -> None:
    session_id = _new_session(client)
    sim.mark_paid(session_id)
    with pytest.raises(MionRejected) as refused:
        client.create_attempt(session_id)
    assert refused.value.status == 409 and "already paid" in refused.value.detail


def test_a_400_carries_mions_message(client: MionClient) -> None:
    past = datetime.now(UTC) - timedelta(minutes=1)
    with pytest.raises(MionRejected) as refused:
        client.create_session(amount_cents=100, reference="K1-E", expires_at=past)
    assert refused.value.status == 400 and refused.value.detail == "expiresAt is in the past"
    assert "HTTP 400" in str(refused.value)


@pytest.mark.parametrize(("body", "detail"), [
    ({"error": {"code": "x", "message": "nested message"}}, "nested message"),
    ({"error": "plain error"}, "plain error"),
    (b"<html><body>Forbidden   by\n proxy</body></html>", "<html><body>Forbidden by proxy</body></html>"),
    (b"x" * 500, "x" * 199 + "\u2026"),
    (b"", "HTTP 400 without a message"),
])
def test_rejection_detail_comes_from_the_body(canned: CannedServer, canned_client: MionClient, body: Any,
                                               detail: str) -> None:
    canned.answer(400, body)
    with pytest.raises(MionRejected) as refused:
        canned_client.session_status("s-1")
    assert refused.value.status == 400 and refused.value.detail == detail


def test_redirects_are_not_followed(canned: CannedServer, canned_client: MionClient) -> None:
    canned.answer(301, {"message": "moved"}, {"Location": "https://elsewhere.example/payment-sessions"})
    with pytest.raises(MionRejected) as refused:
        _new_session(canned_client)
    assert refused.value.status == 301
    assert len(canned.seen) == 1


# --- no usable answer: MionUnavailable ------------------------------------------------------------


def test_500_is_unavailable_without_retry_hint(client: MionClient, sim: MionSimulator) -> None:
    sim.fail_next(1, "500")
    with pytest.raises(MionUnavailable) as failed:
        _new_session(client)
    assert type(failed.value) is MionUnavailable and failed.value.retry_after_s is None
    assert "HTTP 500" in str(failed.value)
    assert sim.sessions() == []


def test_429_carries_retry_after_seconds(client: MionClient, sim: MionSimulator) -> None:
    sim.fail_next(1, "429")
    with pytest.raises(MionUnavailable) as failed:
        client.session_by_reference("K1-E")
    assert failed.value.retry_after_s == 1.0


def test_503_carries_retry_after_from_an_http_date(client: MionClient, sim: MionSimulator) -> None:
    sim.fail_next(1, "503")
    with pytest.raises(MionUnavailable) as failed:
        client.session_by_reference("K1-E")
    assert failed.value.retry_after_s is not None and 0.0 <= failed.value.retry_after_s <= 2.0


def test_no_answer_in_time_is_unavailable(client: MionClient, sim: MionSimulator) -> None:
    sim.fail_next(1, "timeout")
    started = time.monotonic()
    with pytest.raises(MionUnavailable) as failed:
        client.session_by_reference("K1-E")
    assert time.monotonic() - started < SHORT_TIMEOUT_S + 0.7
    assert f"no answer within {SHORT_TIMEOUT_S:g} s" in str(failed.value)
    # and the client is fine afterwards
    assert client.session_by_reference("K1-E") is None


def test_slow_answers_time_out_too(client: MionClient, sim: MionSimulator) -> None:
    sim.set_latency(SHORT_TIMEOUT_S + 0.3)
    with pytest.raises(MionUnavailable, match="no answer within"):
        client.session_by_reference("K1-E")
    sim.set_latency(0)


def test_dropped_connection_is_unavailable(client: MionClient, sim: MionSimulator) -> None:
    sim.fail_next(1, "drop")
    with pytest.raises(MionUnavailable, match="connection dropped"):
        _new_session(client)
    assert sim.sessions() == []


def test_dropped_after_processing_leaves_a_session_found_by_reference(client: MionClient,
                                                                      sim: MionSimulator) -> None:
    # given Mion creates the session but the answer never arrives
    sim.fail_next(1, "drop_after")
    with pytest.raises(MionUnavailable):
        _new_session(client, "K1-LOST")

    # then the session is found by its reference instead of being created twice
    found = client.session_by_reference("K1-LOST")
    assert found is not None and found.reference == "K1-LOST"
    assert sim.session_count_for("K1-LOST") == 1


def test_connection_refused_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with MionClient(fast_settings(f"http://127.0.0.1:{port}"), API_KEY) as nowhere, \
            pytest.raises(MionUnavailable, match="connection refused"):
        nowhere.session_status("s-1")


# --- answers that are not what the API promises: MionMalformed -------------------------------------


def test_broken_body_is_malformed(client: MionClient, sim: MionSimulator) -> None:
    sim.fail_next(1, "malformed")
    with pytest.raises(MionMalformed, match="not JSON"):
        _new_session(client)


GOOD_ATTEMPT = {"amountMsat": 25_000_000, "blockedByCompliance": False, "expiry": "2026-11-28T17:07:00Z",
                "lnInvoice": "lnbc250u1xyz", "missingComplianceCustomerFields": [], "onChainAddress": None,
                "paymentMethod": "lightning", "paymentSessionId": "s-1", "suggestedFeeRate": 0}
GOOD_STATUS: dict[str, Any] = {"expiresAt": "2026-11-28T17:10:00Z", "feeStatus": None, "fundingAmountAvailable": 0,
               "fundingStatus": None, "paidAt": None, "paymentMethod": "lightning", "paymentSessionId": "s-1",
               "refundSessionIds": [], "status": "pending"}


def _without(body: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != name}


@pytest.mark.parametrize(("body", "message"), [
    (_without(GOOD_ATTEMPT, "amountMsat"), "attempt: amountMsat missing"),
    ({**GOOD_ATTEMPT, "amountMsat": "25000000"}, "attempt: amountMsat must be a positive integer"),
    ({**GOOD_ATTEMPT, "amountMsat": 25000.0}, "attempt: amountMsat must be a positive integer"),
    ({**GOOD_ATTEMPT, "amountMsat": True}, "attempt: amountMsat must be a positive integer"),
    ({**GOOD_ATTEMPT, "amountMsat": 0}, "attempt: amountMsat must be a positive integer"),
    (_without(GOOD_ATTEMPT, "lnInvoice"), "attempt: lnInvoice missing"),
    ({**GOOD_ATTEMPT, "lnInvoice": ""}, "attempt: lnInvoice must be a non-empty text"),
    (_without(GOOD_ATTEMPT, "expiry"), "attempt: expiry missing"),
    ({**GOOD_ATTEMPT, "expiry": "in two minutes"}, "attempt: expiry must be an ISO 8601 time"),
    ({**GOOD_ATTEMPT, "blockedByCompliance": "no"}, "attempt: blockedByCompliance must be true or false"),
    ({**GOOD_ATTEMPT, "missingComplianceCustomerFields": "name"}, "attempt: missingComplianceCustomerFields"),
    ({**GOOD_ATTEMPT, "paymentSessionId": "s-2"}, "attempt: paymentSessionId is not the session asked for"),
    ([GOOD_ATTEMPT], "attempt: expected a JSON object, got a list"),
])
def test_malformed_attempts_name_the_field(canned: CannedServer, canned_client: MionClient, body: Any,
                                           message: str) -> None:
    canned.answer(201, body)
    with pytest.raises(MionMalformed) as failed:
        canned_client.create_attempt("s-1")
    assert str(failed.value).startswith(message)


@pytest.mark.parametrize(("body", "message"), [
    (_without(GOOD_STATUS, "paymentSessionId"), "status: paymentSessionId missing"),
    ({**GOOD_STATUS, "paymentSessionId": "s-9"}, "status: paymentSessionId is not the session asked for"),
    (_without(GOOD_STATUS, "status"), "status: status missing"),
    ({**GOOD_STATUS, "status": 3}, "status: status must be a text"),
    ({**GOOD_STATUS, "paidAt": "yes"}, "status: paidAt must be a full timestamp with date, time and zone"),
    ({**GOOD_STATUS, "paidAt": "2026-11-28T17:01:02"}, "status: paidAt must be a full timestamp with date, time and zone"),
    ({**GOOD_STATUS, "paidAt": 1732800000}, "status: paidAt must be an ISO 8601 time"),
    ({**GOOD_STATUS, "expiresAt": "soon"}, "status: expiresAt must be an ISO 8601 time"),
    ("funded", "status: expected a JSON object, got a text"),
])
def test_malformed_statuses_never_read_as_paid(canned: CannedServer, canned_client: MionClient, body: Any,
                                               message: str) -> None:
    canned.answer(200, body)
    with pytest.raises(MionMalformed) as failed:
        canned_client.session_status("s-1")
    assert str(failed.value) == message


def test_status_accepts_what_mion_documents(canned: CannedServer, canned_client: MionClient) -> None:
    canned.answer(200, {**GOOD_STATUS, "paidAt": "2026-11-28T17:01:02.345Z", "status": "something-new"})
    canned.answer(200, _without(_without(GOOD_STATUS, "paidAt"), "expiresAt"))
    canned.answer(200, {**GOOD_STATUS, "expiresAt": "2026-11-28T17:06:02"})

    paid = canned_client.session_status("s-1")
    unpaid = canned_client.session_status("s-1")
    naive = canned_client.session_status("s-1")

    assert paid.paid_at == datetime(2026, 11, 28, 17, 1, 2, 345000, tzinfo=UTC) and paid.status == "something-new"
    assert not unpaid.is_paid and unpaid.expires_at is None
    # A time without a zone is read as UTC, except a paidAt (tests/mion/test_paid_at_format.py).
    assert naive.expires_at == datetime(2026, 11, 28, 17, 6, 2, tzinfo=UTC)


# --- by reference: the shapes Mion might use --------------------------------------------------------


def _session(reference: str, session_id: str, paid: bool = False) -> dict[str, Any]:
    return {"paymentSessionId": session_id, "reference": reference, "paidAt": "2026-11-28T17:00:00Z" if paid else None}


@pytest.mark.parametrize(("body", "expected_id"), [
    (_session("R", "s-1"), "s-1"),
    ({"paymentSessionId": "s-1"}, "s-1"),
    (_session("OTHER", "s-1"), None),
    ([], None),
    ([_session("OTHER", "s-1")], None),
    ([_session("OTHER", "s-1"), _session("R", "s-2")], "s-2"),
    ({"items": [_session("R", "s-3")]}, "s-3"),
    ({"items": []}, None),
    ([_session("R", "s-1", paid=True), _session("R", "s-2")], "s-1"),
    ([_session("R", "s-1"), _session("R", "s-2")], "s-2"),
])
def test_by_reference_accepts_each_shape(canned: CannedServer, canned_client: MionClient, body: Any,
                                         expected_id: str | None) -> None:
    canned.answer(200, body)
    found = canned_client.session_by_reference("R")
    assert (found.session_id if found else None) == expected_id
    if found:
        assert found.reference == "R"


@pytest.mark.parametrize("body", [["s-1"], "s-1", 42, [{"reference": "R"}]])
def test_by_reference_refuses_nonsense(canned: CannedServer, canned_client: MionClient, body: Any) -> None:
    canned.answer(200, body)
    with pytest.raises(MionMalformed):
        canned_client.session_by_reference("R")


# --- Retry-After -----------------------------------------------------------------------------------


def test_retry_after_forms() -> None:
    now = datetime(2026, 11, 28, 17, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 7 ") == 7.0
    assert parse_retry_after("Sat, 28 Nov 2026 17:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Sat, 28 Nov 2026 16:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-5") is None
    assert parse_retry_after("") is None and parse_retry_after(None) is None


# --- the key stays secret ----------------------------------------------------------------------------


def test_api_key_never_leaks(sim: MionSimulator, canned: CannedServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    raised: list[MionError] = []

    def expect_failure(call: Callable[[], object]) -> None:
        try:
            call()
        except MionError as exc:
            raised.append(exc)
        else:
            raise AssertionError("the call should have failed")

    with MionClient(fast_settings(sim.base_url), API_KEY) as client:
        session_id = _new_session(client)
        client.create_attempt(session_id)
        for mode in ("500", "503", "429", "timeout", "drop", "drop_after", "malformed"):
            sim.fail_next(1, mode)
            expect_failure(lambda: client.session_status(session_id))
        expect_failure(lambda: client.session_status("unknown"))
        sim.mark_paid(session_id)
        expect_failure(lambda: client.create_attempt(session_id))
        assert API_KEY not in repr(client)
    with MionClient(fast_settings(sim.base_url), API_KEY + "x") as wrong_key:
        expect_failure(lambda: wrong_key.session_status(session_id))
    # a server that echoes the key back in its message
    canned.answer(422, {"message": f"key {API_KEY} lacks a permission"})
    canned.answer(400, f"bad header Authorization: Bearer {API_KEY}".encode())
    with MionClient(fast_settings(canned.base_url), API_KEY) as client:
        expect_failure(lambda: client.session_status("s-1"))
        expect_failure(lambda: client.session_status("s-1"))
    with MionClient(fast_settings("http://127.0.0.1:9"), API_KEY) as nowhere:
        expect_failure(lambda: nowhere.session_status("s-1"))

    assert len(raised) == 13
    for exc in raised:
        assert API_KEY not in exception_texts(exc)
    assert raised[-3].detail == "key *** lacks a permission"  # type: ignore[attr-defined]
    logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert "Mion GET" in logged and "simulator" in logged
    assert API_KEY not in logged and API_KEY not in caplog.text
