"""No answer from Mion makes the kiosk hold more than 1 MiB of it.

A broken proxy, a misrouted base_url or a hostile server may answer with endless bytes; the client
reads at most the limit (and one chunk more), refuses the rest as malformed, and closes the
connection instead of draining it.
"""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Iterator

import pytest
from mion_helpers import RawServer, http_answer

from kiosk.errors import MionMalformed
from kiosk.mion.client import MAX_ANSWER_BYTES, MionClient

HUGE_BYTES = 50 * 1024 * 1024
BLOCK = b" " * 65536  # JSON whitespace: the body is not even malformed until it is too long


def _huge(declared: bool) -> Iterator[bytes | float]:
    """50 MB of an answer, made as it is sent."""
    yield http_answer(b"", length=HUGE_BYTES if declared else None)
    for _ in range(HUGE_BYTES // len(BLOCK)):
        yield BLOCK


def _status_of_size(size: int) -> bytes:
    """A valid status answer of exactly ``size`` bytes, padded inside a string."""
    body = {"paymentSessionId": "s-1", "status": "pending", "paidAt": None, "pad": ""}
    bare = len(json.dumps(body).encode())
    body["pad"] = "p" * (size - bare)
    raw = json.dumps(body).encode()
    assert len(raw) == size
    return raw


@pytest.mark.parametrize("declared", [False, True], ids=["streamed", "with-content-length"])
def test_a_huge_answer_is_refused_without_holding_it(raw: RawServer, raw_client: MionClient, declared: bool) -> None:
    # given a server that answers a status request with 50 MB
    raw.answer = lambda: _huge(declared)

    # when the kiosk asks, it refuses the answer as malformed, holding little of it at any time
    tracemalloc.start()
    try:
        with pytest.raises(MionMalformed, match="larger than 1 MiB"):
            raw_client.session_status("s-1")
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak_bytes < 8 * 1024 * 1024, f"peak {peak_bytes / 2**20:.1f} MiB while reading"

    # and the client is fine afterwards
    raw.answer = lambda: [http_answer(_status_of_size(100))]
    assert raw_client.session_status("s-1").status == "pending"


def test_a_declared_length_over_the_limit_is_refused_before_reading(raw: RawServer, raw_client: MionClient) -> None:
    # given a server that announces 2 GiB and then sends nothing (reading would only time out)
    raw.answer = lambda: [http_answer(b"", length=2 * 1024**3), 10.0]

    # then the refusal comes from the header: malformed, not a timeout
    with pytest.raises(MionMalformed, match="larger than 1 MiB"):
        raw_client.session_status("s-1")


@pytest.mark.parametrize("declared", [False, True], ids=["streamed", "with-content-length"])
def test_an_answer_of_exactly_the_limit_is_read(raw: RawServer, raw_client: MionClient, declared: bool) -> None:
    body = _status_of_size(MAX_ANSWER_BYTES)
    raw.answer = lambda: [http_answer(body, length=-1 if declared else None)]
    assert raw_client.session_status("s-1").status == "pending"


@pytest.mark.parametrize("declared", [False, True], ids=["streamed", "with-content-length"])
def test_one_byte_over_the_limit_is_refused(raw: RawServer, raw_client: MionClient, declared: bool) -> None:
    body = _status_of_size(MAX_ANSWER_BYTES + 1)
    raw.answer = lambda: [http_answer(body, length=-1 if declared else None)]
    with pytest.raises(MionMalformed, match="larger than 1 MiB"):
        raw_client.session_status("s-1")


@pytest.mark.parametrize("status", ["404 Not Found", "500 Internal Server Error"])
def test_a_huge_error_answer_keeps_its_status_and_little_else(raw: RawServer, raw_client: MionClient,
                                                                status: str) -> None:
    # given an error answer of 50 MB
    def answer() -> Iterator[bytes | float]:
        yield http_answer(b'{"message": "no such session"' + b" " * 10, status=status, length=None)
        for _ in range(HUGE_BYTES // len(BLOCK)):
            yield BLOCK

    raw.answer = answer
    tracemalloc.start()
    try:
        with pytest.raises(Exception) as failed:
            raw_client.session_status("s-1")
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # then it is the refusal or the outage its status says, read only as far as needed
    assert type(failed.value).__name__ == ("MionRejected" if status.startswith("404") else "MionUnavailable")
    assert peak_bytes < 8 * 1024 * 1024, f"peak {peak_bytes / 2**20:.1f} MiB while reading"
