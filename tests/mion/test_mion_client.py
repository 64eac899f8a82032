"""The Mion client against the simulator over real loopback HTTP: the happy paths and the table of paths."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from mion_helpers import API_KEY, CannedServer, fast_settings

from kiosk.config import MionPaths
from kiosk.core.invoice import check_invoice
from kiosk.errors import MionRejected
from kiosk.mion.client import MionClient
from kiosk.mion.sim_state import msat_for_cents
from kiosk.mion.simulator import MionSimulator


def _in_minutes(minutes: int) -> datetime:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).replace(microsecond=0)


def test_a_sale_from_session_to_paid(client: MionClient, sim: MionSimulator) -> None:
    # given a session for 12,00 € and an attempt for it
    expires_at = _in_minutes(5)
    session = client.create_session(amount_cents=1200, reference="K1-0001", expires_at=expires_at)
    attempt = client.create_attempt(session.session_id)

    # then Mion holds exactly that session, and the attempt is a valid invoice for its amount
    assert session.reference == "K1-0001"
    assert sim.sessions() == [{"id": session.session_id, "reference": "K1-0001", "amount": 1200,
                               "paidAt": None, "status": "pending", "attempts": 1}]
    assert attempt.session_id == session.session_id
    assert attempt.amount_msat == msat_for_cents(1200) == 13_333_333
    assert attempt.amount_sat == 13_334  # rounded up: never below what the invoice asks
    assert not attempt.blocked_by_compliance and attempt.payment_method == "lightning"
    assert timedelta(seconds=115) < attempt.expires_at - datetime.now(UTC) <= timedelta(seconds=121)
    check_invoice(attempt.invoice, network="regtest", amount_msat=attempt.amount_msat)

    # when the status is asked before payment, it is not paid, and the expiry we asked for is kept
    before = client.session_status(session.session_id)
    assert not before.is_paid and before.status == "pending" and before.expires_at == expires_at

    # when the customer pays, the status says so with paidAt
    sim.mark_paid(session.session_id)
    after = client.session_status(session.session_id)
    assert after.is_paid and after.status == "funding-received"
    assert after.paid_at is not None and abs(after.paid_at - datetime.now(UTC)) < timedelta(seconds=5)
    assert after.extra["fundingStatus"] == "well-funded"


def test_session_by_id_reads_the_same_status_fields(client: MionClient, sim: MionSimulator) -> None:
    session = client.create_session(amount_cents=250, reference="K1-0002", expires_at=_in_minutes(5))
    sim.mark_paid(session.session_id)

    full = client.session_by_id(session.session_id)

    assert full.session_id == session.session_id and full.is_paid
    assert full.extra["amount"] == 250 and full.extra["reference"] == "K1-0002"


def test_session_by_reference_finds_it_or_says_none(client: MionClient) -> None:
    created = client.create_session(amount_cents=999, reference="K1 0003/ä?&", expires_at=_in_minutes(5))

    assert client.session_by_reference("K1 0003/ä?&") == created
    assert client.session_by_reference("K1-never") is None


def test_blocked_attempt_comes_without_invoice(client: MionClient, sim: MionSimulator) -> None:
    session = client.create_session(amount_cents=100, reference="K1-0004", expires_at=_in_minutes(5))
    sim.fail_next(1, "blocked")

    blocked = client.create_attempt(session.session_id)
    fresh = client.create_attempt(session.session_id)

    assert blocked.blocked_by_compliance and blocked.invoice == ""
    assert blocked.missing_compliance_fields == ("firstName", "lastName")
    assert not fresh.blocked_by_compliance and fresh.invoice.startswith("lnbcrt")


def test_request_bodies_and_headers_are_as_documented(canned: CannedServer, canned_client: MionClient) -> None:
    canned.answer(201, {"paymentSessionId": "s-1"})
    canned.answer(201, {"paymentSessionId": "s-1", "amountMsat": 1000, "expiry": "2026-11-28T17:07:00Z",
                        "lnInvoice": "lnbcrt10n1xyz", "blockedByCompliance": False})

    canned_client.create_session(amount_cents=1200, reference="K1-0005",
                                 expires_at=datetime(2026, 11, 28, 19, 5, tzinfo=UTC) + timedelta(hours=-2))
    canned_client.create_attempt("s-1")

    session_call, attempt_call = canned.seen
    assert (session_call.method, session_call.path) == ("POST", "/payment-sessions")
    assert session_call.body == {"amount": 1200, "currencyIso3": "EUR", "expiresAt": "2026-11-28T17:05:00Z",
                                 "reference": "K1-0005", "retailPos": True}
    assert session_call.headers["Authorization"] == f"Bearer {API_KEY}"
    assert (attempt_call.method, attempt_call.path) == ("POST", "/payment-sessions/s-1/payment-attempts")
    assert attempt_call.body == {"paymentSessionId": "s-1", "paymentMethod": "lightning", "retailPos": True}


def test_substituted_ids_and_references_are_url_quoted(canned: CannedServer, canned_client: MionClient) -> None:
    canned.answer(200, [])
    canned.answer(404, {"message": "payment session not found"})

    assert canned_client.session_by_reference("K1/ä b?&=") is None
    with pytest.raises(MionRejected):
        canned_client.session_status("../x y")

    assert [seen.path for seen in canned.seen] == ["/payment-sessions?reference=K1%2F%C3%A4%20b%3F%26%3D",
                                                  "/payment-sessions/..%2Fx%20y/status"]


OTHER_PATHS = MionPaths(create_session="POST /v2/sessions", create_attempt="POST /v2/attempts",
                        session_status="GET /v2/sessions/{id}/state", session_by_id="GET /v2/sessions/{id}",
                        session_by_reference="GET /v2/lookup/{reference}?full=1")


def test_paths_auth_header_and_expiry_field_come_from_settings() -> None:
    # given a Mion that speaks another endpoint table, header and expiry field name
    with MionSimulator(api_key=API_KEY, paths=OTHER_PATHS, auth_header="X-Api-Key", auth_scheme="",
                       expiry_field="validUntil") as other:
        settings = fast_settings(other.base_url, paths=OTHER_PATHS, auth_header="X-Api-Key", auth_scheme="",
                                 session_expiry_field="validUntil")
        expires_at = _in_minutes(7)
        with MionClient(settings, API_KEY) as mion:
            # then a client configured alike does a whole sale with it
            session = mion.create_session(amount_cents=500, reference="K1-0006", expires_at=expires_at)
            assert mion.create_attempt(session.session_id).amount_msat == msat_for_cents(500)
            assert mion.session_status(session.session_id).expires_at == expires_at
            other.mark_paid()
            assert mion.session_by_id(session.session_id).is_paid
            assert mion.session_by_reference("K1-0006") == session

        # and a client on the defaults is turned away: the settings really were used
        with MionClient(fast_settings(other.base_url), API_KEY) as default:
            with pytest.raises(MionRejected) as refused:
                default.create_session(amount_cents=500, reference="K1-0007", expires_at=expires_at)
            assert refused.value.status == 401
        assert other.session_count_for("K1-0007") == 0


def test_a_base_url_with_a_path_prefix_is_kept(canned: CannedServer) -> None:
    canned.answer(200, [])
    with MionClient(fast_settings(canned.base_url + "/api/v1/"), API_KEY) as mion:
        mion.session_by_reference("r")
    assert canned.seen[0].path == "/api/v1/payment-sessions?reference=r"


def test_keep_alive_reuses_one_connection(client: MionClient, sim: MionSimulator,
                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="urllib3")
    for _ in range(5):
        client.session_by_reference("K1-none")
    opened = [r for r in caplog.records if "Starting new HTTP connection" in r.getMessage()]
    assert len(opened) == 1


def test_each_call_logs_one_debug_line(client: MionClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="kiosk.mion.client")
    client.session_by_reference("K1-none")
    lines = [r.getMessage() for r in caplog.records if r.name == "kiosk.mion.client"]
    assert len(lines) == 1
    assert lines[0].startswith("Mion GET /payment-sessions?reference=K1-none -> 200 in ")
    assert lines[0].endswith(" ms")


def test_bad_arguments_are_refused_before_anything_is_sent(canned: CannedServer, canned_client: MionClient) -> None:
    later = _in_minutes(5)
    for amount in (0, -5, 12.5, True, "1200"):
        with pytest.raises(ValueError, match="amount_cents"):
            canned_client.create_session(amount_cents=amount, reference="r", expires_at=later)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="reference"):
        canned_client.create_session(amount_cents=100, reference="", expires_at=later)
    with pytest.raises(ValueError, match="timezone"):
        canned_client.create_session(amount_cents=100, reference="r", expires_at=later.replace(tzinfo=None))
    with pytest.raises(ValueError, match="api_key"):
        MionClient(fast_settings(canned.base_url), "")
    assert canned.seen == []


def test_repr_shows_the_base_url_only(client: MionClient, sim: MionSimulator) -> None:
    assert repr(client) == f"MionClient(base_url='{sim.base_url}')"
