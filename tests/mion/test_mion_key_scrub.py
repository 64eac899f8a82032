"""The API key never survives in what a refusal leaves behind: not whole, not cut, not in part.

A refusal's detail reaches the log, the journal, ``kiosk show``, ``reconcile --json`` and the till's
``EVENT ERROR``. Mion (or a proxy before it) may echo the key anywhere in an error body, and the
detail is shortened to :data:`kiosk.mion.refusal.DETAIL_CHARS`; a key straddling that cut must not
leave its first half behind.
"""

from __future__ import annotations

import logging

import pytest
from mion_helpers import API_KEY, CannedServer, exception_texts, key_fragments

from kiosk.errors import MionError, MionRejected
from kiosk.mion.client import ERROR_BODY_BYTES, MionClient
from kiosk.mion.refusal import DETAIL_CHARS

# Offsets that put the key just before, across and just after the cut, in steps of one character.
OFFSETS = range(DETAIL_CHARS - len(API_KEY) - 2, DETAIL_CHARS + 2)
ERROR_STATUSES = (400, 401, 403, 404, 409, 422, 500, 503)


def _bodies(offset: int) -> dict[str, bytes]:
    """Error bodies with the key starting at ``offset`` of the text the detail is made from."""
    lead = "x" * offset
    return {"text": f"{lead}{API_KEY} and more text after it".encode(),
            "json": f'{{"error": "refused", "message": "{lead}{API_KEY} is not allowed here"}}'.encode()}


@pytest.mark.parametrize("offset", OFFSETS)
@pytest.mark.parametrize("shape", ["text", "json"])
def test_a_key_echoed_at_any_offset_never_survives(canned: CannedServer, canned_client: MionClient,
                                                   caplog: pytest.LogCaptureFixture, offset: int, shape: str) -> None:
    caplog.set_level(logging.DEBUG)
    texts = []
    for status in ERROR_STATUSES:
        # given Mion answers with an error that echoes the key at this offset
        canned.answer(status, _bodies(offset)[shape])

        # when the kiosk asks, it fails with one of its own errors
        with pytest.raises(MionError) as failed:
            canned_client.session_status("s-1")
        texts.append(exception_texts(failed.value))
        if isinstance(failed.value, MionRejected):
            texts.append(failed.value.detail)

    # then no run of eight or more of the key's characters is left anywhere
    everything = "\n".join(texts + [caplog.text] + [f"{r.getMessage()} {r.args!r}" for r in caplog.records])
    assert key_fragments(everything) == []


def test_a_key_fragment_in_the_body_is_scrubbed_too(canned: CannedServer, canned_client: MionClient) -> None:
    # given a proxy that cut the key itself before echoing it
    canned.answer(400, f"bad header: Bearer {API_KEY[:12]}".encode())
    canned.answer(400, {"message": f"tail {API_KEY[-9:]} end"})

    details = []
    for _ in range(2):
        with pytest.raises(MionRejected) as refused:
            canned_client.session_status("s-1")
        details.append(refused.value.detail)

    # then the fragments are gone, the rest of the message is kept
    assert details == ["bad header: Bearer ***", "tail *** end"]


@pytest.mark.parametrize(("status", "body", "detail"), [
    (401, {"error": "unauthorized", "message": f"key {API_KEY} is revoked"},
     "the API key was not accepted (code: unauthorized)"),
    (401, {"error": {"code": "INVALID_KEY", "message": "whatever"}},
     "the API key was not accepted (code: INVALID_KEY)"),
    (403, {"code": 40301, "message": "no permission for payment sessions"}, "access denied (code: 40301)"),
    (403, b"<html>Forbidden by the proxy for sk_live_elsewhere</html>", "access denied"),
    (401, {"code": API_KEY, "message": "the code itself is the key"}, "the API key was not accepted"),
    (401, {"code": "a code far too long to be a code, more like a sentence"}, "the API key was not accepted"),
    (403, b"", "access denied"),
])
def test_an_auth_refusal_keeps_only_the_status_and_mions_code(canned: CannedServer, canned_client: MionClient,
                                                              status: int, body: object, detail: str) -> None:
    canned.answer(status, body)
    with pytest.raises(MionRejected) as refused:
        canned_client.session_status("s-1")
    assert refused.value.status == status and refused.value.detail == detail


def test_a_refusal_read_only_in_part_does_not_end_in_the_start_of_the_key(canned: CannedServer,
                                                                           canned_client: MionClient) -> None:
    # given a refusal that repeats the key past the part that is read, cut 5 characters into a key
    lead = "x" * ((ERROR_BODY_BYTES - 5) % len(API_KEY))
    canned.answer(400, (lead + API_KEY * (2 * ERROR_BODY_BYTES // len(API_KEY))).encode())

    with pytest.raises(MionRejected) as refused:
        canned_client.session_status("s-1")

    # then neither the whole keys nor the start of the one cut off are kept
    assert refused.value.detail == lead + "***"
