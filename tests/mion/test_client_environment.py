"""The Mion client reads the proxy and CA bundle variables once, when it is made, not per request
(``requests`` would read the whole environment again on every poll)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
import requests

from kiosk.config import MionSettings
from kiosk.mion.client import MionClient
from kiosk.mion.simulator import MionSimulator
from tests.helpers import API_KEY as KEY


def client_for(base_url: str) -> MionClient:
    return MionClient(dataclasses.replace(MionSettings(), base_url=base_url, invoice_network="regtest"), KEY)


def test_a_proxy_in_the_environment_is_used_and_no_proxy_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.shop.example:3128")
    with client_for("https://api.mion.example") as client:
        assert client._http.proxies.get("https") == "http://proxy.shop.example:3128"
        assert client._http.trust_env is False  # not read again for each request
    monkeypatch.setenv("NO_PROXY", "api.mion.example")
    with client_for("https://api.mion.example") as client:
        assert "https" not in client._http.proxies


def test_the_environment_is_not_read_again_for_each_request(simulator: MionSimulator,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with client_for(simulator.base_url) as client:
        reads = []
        monkeypatch.setattr(requests.utils, "get_environ_proxies", lambda *a, **k: reads.append(a) or {})
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # a proxy set now would break every call
        sessions = [client.session_by_reference(f"ENV-{n}") for n in range(3)]
    assert sessions == [None, None, None] and reads == []


def test_a_ca_bundle_in_the_environment_is_taken(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/shop-ca.pem")
    with client_for("https://api.mion.example") as client:
        assert client._http.verify == "/etc/ssl/shop-ca.pem"


def test_a_status_path_is_prepared_once_and_every_poll_still_carries_the_key(simulator: MionSimulator,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    with client_for(simulator.base_url) as client:
        session = client.create_session(amount_cents=100, reference="PREP-1",
                                        expires_at=datetime.now(UTC) + timedelta(minutes=5))
        prepared: list[str] = []
        prepare = client._http.prepare_request
        monkeypatch.setattr(client._http, "prepare_request",
                            lambda request: prepared.append(request.url) or prepare(request))
        answers = [client.session_status(session.session_id) for _ in range(5)]
    assert all(a.session_id == session.session_id for a in answers)  # the key went with each (else 401)
    assert len(prepared) == 1  # prepared once, sent five times
