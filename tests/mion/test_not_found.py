"""A 404 from Mion: no such session, or no such path. The client and ``kiosk doctor`` use the same rule."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from kiosk.config import MionPaths
from kiosk.errors import MionRejected
from kiosk.mion.client import MionClient
from kiosk.mion.refusal import not_found_kind
from kiosk.mion.simulator import MionSimulator
from tests.mion.mion_helpers import API_KEY, fast_settings


@pytest.mark.parametrize(("content_type", "body", "kind"), [
    ("application/json", b'{"error": "refused", "message": "payment session not found"}', "no such session"),
    ("application/json; charset=utf-8", b'{"message": "No session with reference K1-1"}', "no such session"),
    ("application/problem+json", b'{"title": "Payment not found"}', "no such session"),
    ("text/html", b"<html><body>404 Not Found</body></html>", "wrong path"),
    ("text/plain", b"Not Found", "wrong path"),
    ("", b"", "wrong path"),
    ("application/json", b"", "wrong path"),
    ("application/json", b'{"message": "Cannot GET /payment-sessions/x/state"}', "wrong path"),
    ("application/json", b'{"error": "not_found", "message": "no endpoint GET /v9/payment-sessions"}', "wrong path"),
    ("application/json", b'{"statusCode": 404, "message": "Not Found"}', "unclear"),
])
def test_the_rule(content_type: str, body: bytes, kind: str) -> None:
    assert not_found_kind(content_type, body) == kind


def test_a_lookup_on_a_wrong_path_raises_instead_of_answering_no_session(tmp_path: Path) -> None:
    with MionSimulator(api_key=API_KEY) as sim:
        wrong = dataclasses.replace(fast_settings(sim.base_url),
                                    paths=MionPaths(session_by_reference="GET /payment-sessions/by-ref/{reference}"))
        with MionClient(wrong, API_KEY) as client, pytest.raises(MionRejected) as refused:
            client.session_by_reference("K1-0001")
        assert refused.value.status == 404 and refused.value.wrong_path
        with MionClient(fast_settings(sim.base_url), API_KEY) as client:
            assert client.session_by_reference("K1-0001") is None
            with pytest.raises(MionRejected) as unknown:
                client.session_status("no-such-id")
        assert unknown.value.status == 404 and not unknown.value.wrong_path
