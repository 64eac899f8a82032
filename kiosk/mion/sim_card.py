"""A Bolt Card service for the simulator: LNURL-withdraw on loopback that pays the Mion simulator's invoices.

``GET /card?p=<counter>&c=<mac>`` is what a demo card's link points at: the counter must rise with
every tap (a replayed link is "already used"), and the answer is a withdraw request with a fresh
``k1``. ``GET /callback?k1=…&pr=…[&pin=…]`` checks ``k1`` (known, unused, younger than 60 s), the
invoice's amount against the real limit, and the PIN when the amount reaches ``pin_limit_msat``
(three wrong PINs lock the card); then it answers OK and pays the invoice through ``pay``.

Faults, set as attributes (thread-safe enough for tests): ``slow_s`` (the callback waits first),
``error_reason`` (step 1 answers ERROR with it), ``callback_error`` (step 2 does), ``advertised_max_msat``
(the request lies about its maximum), ``pay_twice``, ``never_pays``. Serves plain http on 127.0.0.1:
the kiosk calls it only in demo and test mode (``allow_local_http``).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

K1_LIFETIME_S = 60.0


class CardService:
    def __init__(self, *, amount_of: Callable[[str], int | None], pay: Callable[[str], None],
                 max_msat: int = 100_000_000, min_msat: int = 1_000, pin: str | None = None,
                 pin_limit_msat: int | None = None) -> None:
        self.amount_of = amount_of
        """The invoice's amount in msat, None when the simulator does not know it."""
        self.pay = pay
        self.max_msat = max_msat
        self.min_msat = min_msat
        self.pin = pin
        self.pin_limit_msat = pin_limit_msat
        self.slow_s = 0.0
        self.error_reason: str | None = None
        self.callback_error: str | None = None
        self.advertised_max_msat: int | None = None
        self.pay_twice = False
        self.never_pays = False
        self.calls: list[str] = []
        """Paths called, in order (tests)."""
        self.payments = 0
        self._counter = 0
        self._k1: dict[str, float] = {}
        self._spent: set[str] = set()
        self._pin_failures = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- the demo card -------------------------------------------------------------------------------

    def card_uri(self) -> str:
        """A fresh link, as a Bolt Card gives on each read (the counter rises)."""
        with self._lock:
            self._counter += 1
            counter = self._counter
        return f"lnurlw://127.0.0.1:{self.port}/card?p={counter:032x}&c={secrets.token_hex(8)}"

    # --- server --------------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._server is not None, "the card service is not running"
        return int(self._server.server_address[1])

    def start(self) -> None:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body = service.answer(self.path)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="sim-card",
                         daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- LNURL-withdraw ------------------------------------------------------------------------------

    def answer(self, path: str) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.calls.append(parts.path)
        if parts.path == "/card":
            return self._request(query)
        if parts.path == "/callback":
            if self.slow_s:
                time.sleep(self.slow_s)
            return self._callback(query)
        return 404, {"status": "ERROR", "reason": "not found"}

    def _request(self, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if self.error_reason is not None:
            return 200, {"status": "ERROR", "reason": self.error_reason}
        try:
            counter = int(query.get("p", ""), 16)
        except ValueError:
            return 400, {"status": "ERROR", "reason": "bad request"}
        with self._lock:
            if counter <= getattr(self, "_last_counter", 0):
                return 200, {"status": "ERROR", "reason": "This link is already used."}
            self._last_counter = counter
            k1 = secrets.token_hex(16)
            self._k1[k1] = time.monotonic()
        body: dict[str, Any] = {
            "tag": "withdrawRequest", "callback": f"http://127.0.0.1:{self.port}/callback", "k1": k1,
            "defaultDescription": "Bolt Card", "minWithdrawable": self.min_msat,
            "maxWithdrawable": self.advertised_max_msat if self.advertised_max_msat is not None else self.max_msat}
        if self.pin_limit_msat is not None:
            body["pinLimit"] = self.pin_limit_msat
        return 200, body

    def _callback(self, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        k1, invoice = query.get("k1", ""), query.get("pr", "")
        with self._lock:
            issued = self._k1.get(k1)
            if issued is None or k1 in self._spent or time.monotonic() - issued > K1_LIFETIME_S:
                return 200, {"status": "ERROR", "reason": "Invalid or expired k1"}
            if self.callback_error is not None:
                return 200, {"status": "ERROR", "reason": self.callback_error}
            amount = self.amount_of(invoice)
            if amount is None:
                return 200, {"status": "ERROR", "reason": "Invoice not payable"}
            if amount > self.max_msat:
                return 200, {"status": "ERROR", "reason": "Max daily limit spent."}
            if amount < self.min_msat:
                return 200, {"status": "ERROR", "reason": "Amount too small"}
            if self.pin_limit_msat is not None and amount >= self.pin_limit_msat:
                if self._pin_failures >= 3:
                    return 200, {"status": "ERROR", "reason": "Card is locked: too many wrong PINs"}
                if query.get("pin") != self.pin:
                    self._pin_failures += 1
                    return 200, {"status": "ERROR", "reason": "Invalid PIN"}
                self._pin_failures = 0
            self._spent.add(k1)
        if not self.never_pays:
            for _ in range(2 if self.pay_twice else 1):
                self.pay(invoice)
                self.payments += 1
        return 200, {"status": "OK"}
