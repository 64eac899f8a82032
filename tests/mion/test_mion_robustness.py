"""Whatever Mion or a copy-paste sends, the kiosk gets a value or one of its own errors, never a crash."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from mion_helpers import fast_settings

from kiosk.core.invoice import check_invoice, invoice_amount_msat, invoice_network
from kiosk.errors import InvoiceRejected, MionError, MionMalformed
from kiosk.mion import client as mion_client
from kiosk.mion.client import MionClient
from kiosk.mion.simulator import MionSimulator

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=20), inner, max_size=4),
    max_leaves=12)
field_values = json_values | st.sampled_from(["2026-11-28T17:00:00Z", "s-1", "R", "lnbc10n1x", 1000, True, []])
attempt_like = st.fixed_dictionaries({}, optional={name: field_values for name in (
    "amountMsat", "blockedByCompliance", "expiry", "lnInvoice", "missingComplianceCustomerFields",
    "paymentMethod", "paymentSessionId")})
status_like = st.fixed_dictionaries({}, optional={name: field_values for name in (
    "paymentSessionId", "status", "paidAt", "expiresAt", "reference")})


@given(body=attempt_like)
def test_any_attempt_body_parses_or_is_malformed(body: dict[str, Any]) -> None:
    try:
        attempt = mion_client._attempt(body, "s-1")
    except MionMalformed:
        return
    assert attempt.amount_msat > 0 and attempt.expires_at.tzinfo is not None


@given(body=status_like)
def test_any_status_body_parses_or_is_malformed(body: dict[str, Any]) -> None:
    try:
        status = mion_client._status(body, "s-1", "status")
    except MionMalformed:
        return
    # paid exactly when Mion gave a readable paidAt
    assert status.is_paid == (body.get("paidAt") is not None)


@given(body=json_values | st.lists(status_like, max_size=3) | status_like)
def test_any_by_reference_body_gives_a_session_none_or_malformed(body: Any) -> None:
    try:
        found = mion_client._session_for_reference(body, "R")
    except MionMalformed:
        return
    assert found is None or found.reference == "R"


@given(text=st.text(max_size=400) | st.text(alphabet="ln1bcrtpumn0123456789qpzry9x8gf2", max_size=400))
def test_any_text_is_an_invoice_or_refused_in_words(text: str) -> None:
    try:
        check_invoice(text, network="regtest", amount_msat=1000)
    except InvoiceRejected as exc:
        assert str(exc).startswith("invoice ")
    invoice_network(text)
    invoice_amount_msat(text)


def test_worker_threads_can_share_one_client() -> None:
    failures: list[Exception] = []
    with MionSimulator(api_key="k") as sim, MionClient(fast_settings(sim.base_url), "k") as shared:
        session = shared.create_session(amount_cents=100, reference="K1-T",
                                        expires_at=datetime.now(UTC) + timedelta(minutes=5))

        def poll() -> None:
            try:
                for _ in range(15):
                    assert shared.session_status(session.session_id).session_id == session.session_id
                    shared.create_attempt(session.session_id)
            except (AssertionError, MionError) as exc:  # handed to the main thread to report
                failures.append(exc)

        threads = [threading.Thread(target=poll) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert failures == [] and sim.sessions()[0]["attempts"] == 60
