"""The demo's simulator keeps its sessions in a file, so its truth outlives a restart of the kiosk."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.config import MionSettings
from kiosk.mion.client import MionClient
from kiosk.mion.simulator import MionSimulator

KEY = "store-test-key"


def client_for(sim: MionSimulator) -> MionClient:
    return MionClient(dataclasses.replace(MionSettings(), base_url=sim.base_url, invoice_network="regtest"), KEY)


def test_sessions_attempts_and_payments_survive_a_restart(tmp_path: Path) -> None:
    store = tmp_path / "simulator.json"
    with MionSimulator(api_key=KEY, store=store) as sim, client_for(sim) as client:
        session = client.create_session(amount_cents=1200, reference="R-1",
                                        expires_at=datetime.now(UTC) + timedelta(minutes=5))
        attempt = client.create_attempt(session.session_id)
        sim.mark_paid(session.session_id)
    with MionSimulator(api_key=KEY, store=store) as sim, client_for(sim) as client:
        status = client.session_status(session.session_id)
        found = client.session_by_reference("R-1")
        assert status.paid_at is not None
        assert found is not None and found.session_id == session.session_id
        assert sim.sessions()[0]["attempts"] == 1
    assert attempt.invoice.startswith("lnbcrt")


def test_an_unreadable_store_starts_empty_and_says_so(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = tmp_path / "simulator.json"
    store.write_text("{not json")
    with MionSimulator(api_key=KEY, store=store) as sim:
        assert sim.sessions() == []
    assert "cannot read" in caplog.text
