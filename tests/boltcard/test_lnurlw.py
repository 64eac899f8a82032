"""The LNURL-withdraw client: which links it calls, what it checks, and that no secret leaves it."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from kiosk.inputs.boltcard.lnurlw import (
    MAX_BODY_BYTES,
    TapFailed,
    WithdrawClient,
    WithdrawRequest,
    card_url,
    scrub,
    service_reason,
)

Answer = tuple[int, dict[str, str], bytes]


class _Server:
    def __init__(self) -> None:
        self.answer: Callable[[str], Answer] = lambda path: (404, {}, b"")
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, headers, body = server.answer(self.path)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        threading.Thread(target=self.http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()


@pytest.fixture(scope="module")
def _server() -> Iterator[_Server]:
    server = _Server()
    yield server
    server.http.shutdown()
    server.http.server_close()


@pytest.fixture
def serve(_server: _Server) -> Callable[[Callable[[str], Answer]], int]:
    """Serve ``answer(path)`` on loopback; returns the port (one server for the module, answers swapped)."""
    def start(answer: Callable[[str], Answer]) -> int:
        _server.answer = answer
        return int(_server.http.server_address[1])

    return start


def as_json(obj: object, status: int = 200) -> Answer:
    return status, {"Content-Type": "application/json"}, json.dumps(obj).encode()


def withdraw_request(port: int, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {"tag": "withdrawRequest", "callback": f"http://127.0.0.1:{port}/cb", "k1": "K1SECRET",
                               "minWithdrawable": 1_000, "maxWithdrawable": 100_000}
    body.update(changes)
    return body


def client() -> WithdrawClient:
    return WithdrawClient(request_deadline_s=2.0, callback_deadline_s=2.0, allow_local_http=True)


@pytest.mark.parametrize(("uri", "expected"), [
    ("lnurlw://card.example.com/ln?p=AA&c=BB", "https://card.example.com/ln?p=AA&c=BB"),
    ("LNURLW://card.example.com/x", "https://card.example.com/x"),
    ("lightning:lnurlw://card.example.com/x", "https://card.example.com/x"),
    ("https://card.example.com/x", "https://card.example.com/x"),
])
def test_a_card_link_becomes_https(uri: str, expected: str) -> None:
    assert card_url(uri) == expected


@pytest.mark.parametrize(("uri", "reason"), [
    ("lnurlw://abcdefghijklmnop.onion/ln?p=1", "onion"),
    ("http://card.example.com/x", "https"),
    ("lnurlw://192.168.1.5/ln", "local or numeric"),
    ("lnurlw://[::1]/ln", "local or numeric"),
    ("lnurlw://localhost/ln", "local or numeric"),
    ("lnurlw://printer.local/ln", "local or numeric"),
    ("lnurlw://intranet/ln", "local or numeric"),
    ("lnurlw://user:pw@card.example.com/ln", "user name"),
    ("LNURL1DP68GURN8GHJ7", "encoded LNURL"),
    ("mailto:someone@example.com", "no withdraw link"),
    ("lnurlw://card.example.com:99999/x", "no readable link"),
])
def test_links_the_kiosk_will_not_call_are_refused_with_a_reason(uri: str, reason: str) -> None:
    with pytest.raises(TapFailed, match=reason):
        card_url(uri)


def test_plain_http_to_loopback_only_in_test_mode() -> None:
    assert card_url("lnurlw://127.0.0.1:8080/card?p=1", allow_local_http=True) == "http://127.0.0.1:8080/card?p=1"
    with pytest.raises(TapFailed):
        card_url("lnurlw://127.0.0.1:8080/card?p=1")
    with pytest.raises(TapFailed, match="https"):
        card_url("http://10.0.0.1/card", allow_local_http=True)


def test_scrub_hides_every_secret_parameter() -> None:
    scrubbed = scrub("https://u:pw@card.example.com/ln?p=AAAA&c=BBBB&k1=CCCC&pin=1234&pr=lnbc1&x=ok")
    for secret in ("AAAA", "BBBB", "CCCC", "1234", "lnbc1", "pw"):
        assert secret not in scrubbed
    assert scrubbed.startswith("https://card.example.com/ln?") and "x=ok" in scrubbed


def test_the_request_is_checked_and_the_callback_gets_k1_invoice_pin_and_its_own_query(
        serve: Callable[[Callable[[str], Answer]], int], caplog: pytest.LogCaptureFixture) -> None:
    seen: list[str] = []
    port = 0

    def answer(path: str) -> Answer:
        seen.append(path)
        if path.startswith("/card"):
            return as_json(withdraw_request(port, callback=f"http://127.0.0.1:{port}/cb?card=7", pinLimit=50_000))
        return as_json({"status": "OK"})

    port = serve(answer)
    caplog.set_level(logging.DEBUG)
    c = client()
    request = c.fetch(f"lnurlw://127.0.0.1:{port}/card?p=PSECRET&c=CSECRET", 50_000)
    assert request == WithdrawRequest(callback=f"http://127.0.0.1:{port}/cb?card=7", k1="K1SECRET", min_msat=1_000,
                                      max_msat=100_000, pin_limit_msat=50_000, host="127.0.0.1")
    assert request.needs_pin(50_000) and not request.needs_pin(49_999)  # at the limit a PIN is needed
    c.withdraw(request, "lnbcrt1invoice", "4321")
    assert seen[1] == "/cb?card=7&k1=K1SECRET&pr=lnbcrt1invoice&pin=4321"
    for secret in ("PSECRET", "CSECRET", "K1SECRET", "4321"):
        assert secret not in caplog.text


@pytest.mark.parametrize(("amount", "message"), [(100_001, "at most 100 sat"), (999, "at least 1 sat")])
def test_an_amount_outside_the_cards_limits_is_refused_before_the_callback(
        serve: Callable[[Callable[[str], Answer]], int], amount: int, message: str) -> None:
    port = serve(lambda path: as_json(withdraw_request(0)))
    with pytest.raises(TapFailed, match=message):
        client().fetch(f"lnurlw://127.0.0.1:{port}/card", amount)
    client().fetch(f"lnurlw://127.0.0.1:{port}/card", 100_000)  # the limits themselves are allowed
    client().fetch(f"lnurlw://127.0.0.1:{port}/card", 1_000)


@pytest.mark.parametrize(("body", "status", "message", "from_service"), [
    ({"status": "ERROR", "reason": "Card is disabled."}, 200, "Card is disabled.", True),
    ({"status": "ERROR", "reason": "This link is already used."}, 500, "This link is already used.", True),
    ({"detail": "Max daily limit spent."}, 400, "Max daily limit spent.", True),
    ({"status": "ERROR"}, 200, "no reason given", True),
    ({"tag": "payRequest"}, 200, "not a withdraw request", False),
    ({"tag": "withdrawRequest", "k1": "x", "minWithdrawable": 1, "maxWithdrawable": 2}, 200, "incomplete", False),
    ({"tag": "withdrawRequest", "callback": "https://x.example/cb", "k1": "x", "minWithdrawable": "1",
      "maxWithdrawable": 2}, 200, "unreadable minWithdrawable", False),
    ({"tag": "withdrawRequest", "callback": "https://evil.onion/cb", "k1": "x", "minWithdrawable": 1,
      "maxWithdrawable": 2}, 200, "onion", False),
    ([1, 2], 200, "not a withdraw request", False),
])
def test_each_bad_answer_gets_its_own_reason(serve: Callable[[Callable[[str], Answer]], int], body: object,
                                            status: int, message: str, from_service: bool) -> None:
    port = serve(lambda path: as_json(body, status))
    with pytest.raises(TapFailed) as failed:
        client().fetch(f"lnurlw://127.0.0.1:{port}/card", 1)
    assert failed.value.reason == message if from_service else message in failed.value.reason
    assert failed.value.from_service is from_service


def test_a_long_reason_is_cut_and_control_characters_go() -> None:
    reason = service_reason({"status": "ERROR", "reason": "bad\x1b[2J" + "x" * 500})
    assert reason is not None and len(reason) == 120 and "\x1b" not in reason


def test_a_body_over_the_limit_or_not_json_is_refused(serve: Callable[[Callable[[str], Answer]], int]) -> None:
    port = serve(lambda path: (200, {}, b"{" + b" " * (MAX_BODY_BYTES + 10) + b"}") if path.startswith("/big")
                 else (200, {}, b"<html>hello</html>") if path.startswith("/html") else (502, {}, b"gateway"))
    with pytest.raises(TapFailed, match="too long"):
        client().fetch(f"lnurlw://127.0.0.1:{port}/big", 1)
    with pytest.raises(TapFailed, match="unreadable answer"):
        client().fetch(f"lnurlw://127.0.0.1:{port}/html", 1)
    with pytest.raises(TapFailed, match="HTTP 502"):
        client().fetch(f"lnurlw://127.0.0.1:{port}/other", 1)


def test_redirects_are_followed_only_on_the_same_host(serve: Callable[[Callable[[str], Answer]], int]) -> None:
    port = 0

    def answer(path: str) -> Answer:
        if path.startswith("/away"):
            return 302, {"Location": "https://elsewhere.example.com/card"}, b""
        if path.startswith("/here"):
            return 302, {"Location": f"http://127.0.0.1:{port}/card"}, b""
        return as_json(withdraw_request(port))

    port = serve(answer)
    with pytest.raises(TapFailed, match="another host"):
        client().fetch(f"lnurlw://127.0.0.1:{port}/away", 1_000)
    assert client().fetch(f"lnurlw://127.0.0.1:{port}/here", 1_000).k1 == "K1SECRET"


def test_an_unreachable_service_or_a_broken_callback_is_a_reason_not_a_crash(
        serve: Callable[[Callable[[str], Answer]], int]) -> None:
    port = serve(lambda path: (200, {}, b"{}"))
    request = WithdrawRequest(callback=f"http://127.0.0.1:{port}/cb", k1="k", min_msat=0, max_msat=10,
                              pin_limit_msat=None, host="127.0.0.1")
    with pytest.raises(TapFailed, match="no clear answer") as failed:
        client().withdraw(request, "lnbc")
    assert failed.value.unknown  # it may have been taken: only Mion can tell
    with pytest.raises(TapFailed, match="could not be reached"):
        client().fetch("lnurlw://127.0.0.1:1/card", 1)


@pytest.mark.parametrize("address", ["10.0.0.5", "127.0.0.1", "169.254.1.1", "fd00::1"])
def test_a_name_that_resolves_into_a_private_network_is_not_called(
        monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [(family, socket.SOCK_STREAM, 6, "", (address, 443))])
    c = WithdrawClient(request_deadline_s=1.0)
    with pytest.raises(TapFailed, match="local or numeric") as refused:
        c.fetch("lnurlw://card.example.com/ln?p=1&c=2", 1_000)
    assert refused.value.code == "local_host"


def test_a_name_that_does_not_resolve_is_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise socket.gaierror("no such name")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    with pytest.raises(TapFailed, match="could not be reached"):
        WithdrawClient(request_deadline_s=1.0).fetch("lnurlw://card.example.com/ln", 1_000)
