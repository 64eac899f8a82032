"""The simulator's HTTP face: routing from the endpoint table, and the request handler.

API requests (everything outside ``/_sim/``) pass through the failure switches and the latency
first, then the auth check, then the route. Control requests under ``/_sim/`` never do either.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

from kiosk.mion.contract import Contract
from kiosk.mion.sim_state import JsonDict, SimRefusal, SimState

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
HUGE_ANSWER_BYTES = 64 * 1024 * 1024
"""The length of a ``huge`` failure's answer: far beyond what a client should hold."""
_PLACEHOLDER = re.compile(r"\{(id|reference)\}")


@dataclass(frozen=True, slots=True)
class Route:
    """One line of the endpoint table, compiled: ``GET /payment-sessions/{id}`` and friends."""

    name: str
    method: str
    path: re.Pattern[str]
    query: tuple[tuple[str, str], ...]
    """(query key, placeholder name or literal value) pairs the request must carry."""

    @classmethod
    def compile(cls, name: str, spec: str) -> Route:
        """Build from ``"METHOD /path?key={reference}"``."""
        method, _, target = spec.partition(" ")
        parts = urlsplit(target)
        pattern = ""
        last = 0
        for match in _PLACEHOLDER.finditer(parts.path):
            pattern += re.escape(parts.path[last:match.start()]) + f"(?P<{match.group(1)}>[^/]+)"
            last = match.end()
        pattern += re.escape(parts.path[last:])
        query = tuple((key, value.strip("{}") if _PLACEHOLDER.fullmatch(value) else value)
                      for key, value in parse_qsl(parts.query, keep_blank_values=True))
        return cls(name, method.upper(), re.compile(pattern), query)

    def match(self, path: str, query: dict[str, str]) -> dict[str, str] | None:
        """The placeholder values when ``path`` and ``query`` fit this route, else None."""
        found = self.path.fullmatch(path)
        if found is None:
            return None
        values = {key: unquote(value) for key, value in found.groupdict().items()}
        for key, wanted in self.query:
            if key not in query:
                return None
            if wanted in ("id", "reference"):
                values[wanted] = query[key]
            elif query[key] != wanted:
                return None
        return values


class SimulatorHost(Protocol):
    """What the handler uses of :class:`kiosk.mion.simulator.MionSimulator` (its owner)."""

    contract: Contract | None
    api_key: str
    auth_header: str
    auth_scheme: str
    hang_s: float
    trickle_s: float
    _state: SimState
    _routes: list[Route]
    _stopping: threading.Event

    def mark_paid(self, session_id: str | None = None) -> str: ...
    def fail_next(self, n: int, mode: str) -> None: ...
    def set_latency(self, seconds: float) -> None: ...
    def set_offline(self, offline: bool) -> None: ...
    def sessions(self) -> list[JsonDict]: ...
    def _take_failure(self) -> str | None: ...
    def _latency_s(self) -> float: ...
    def _retry_after_date(self, seconds: int) -> str: ...
    def _connection_opened(self, conn: socket.socket) -> None: ...
    def _connection_closed(self, conn: socket.socket) -> None: ...


class SimHandler(BaseHTTPRequestHandler):
    """One connection to the simulator (HTTP/1.1 keep-alive, like a real API)."""

    protocol_version = "HTTP/1.1"
    server_version = "MionSimulator/1"
    timeout = 30  # an idle keep-alive connection is closed after this many seconds
    disable_nagle_algorithm = True  # what is written goes out at once, never waiting for an ACK
    wbufsize = 64 * 1024  # an answer's head and body are sent together, in one write, as a real server's are
    sim: SimulatorHost  # set on a subclass by the simulator

    def setup(self) -> None:
        super().setup()
        self.sim._connection_opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.sim._connection_closed(self.connection)

    def do_GET(self) -> None:  # http.server dispatches on this name
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        # Only the request line and status reach here, never headers, so the key stays out.
        log.debug("simulator %s: " + format, self.address_string(), *args)

    # --- dispatch --------------------------------------------------------------------------------

    def _handle(self) -> None:
        try:
            body = self._read_body()
            if body is None:
                self.close_connection = True
                self._send(413 if self.headers.get("Content-Length", "").isdigit() else 400,
                           {"error": "bad_request", "message": f"the body must be at most {MAX_BODY_BYTES} bytes "
                                                               "with a valid Content-Length"})
                return
            parts = urlsplit(self.path)
            if parts.path.startswith("/_sim/"):
                self._control(parts.path, body)
            else:
                self._api(parts.path, dict(parse_qsl(parts.query, keep_blank_values=True)), body)
        except (BrokenPipeError, ConnectionResetError):
            log.debug("simulator: client went away before the answer")
            self.close_connection = True

    def _read_body(self) -> bytes | None:
        """The request body, or None when its length is missing-but-needed, invalid or too large."""
        declared = self.headers.get("Content-Length") or "0"
        if not declared.isdigit() or int(declared) > MAX_BODY_BYTES:
            return None
        return self.rfile.read(int(declared)) if int(declared) > 0 else b""

    def _api(self, path: str, query: dict[str, str], raw: bytes) -> None:
        sim = self.sim
        mode = sim._take_failure()
        sim._stopping.wait(sim._latency_s())
        if mode in ("500", "503", "429"):
            status = int(mode)
            headers = {"Retry-After": "1"} if status == 429 else {"Retry-After": sim._retry_after_date(2)}
            self._send(status, {"message": "simulated failure"}, headers if status != 500 else {})
            return
        if mode in ("drop", "timeout"):
            if mode == "timeout":
                sim._stopping.wait(sim.hang_s)  # never answer in time; stop() cuts it short
            self.close_connection = True
            return
        if mode == "malformed":
            self._send_raw(200, b'{"paymentSessionId": "half an ans', "application/json")
            return
        if mode == "huge":
            self._send_huge()
            return
        status, payload = self._answer(path, query, raw)
        if mode == "drop_after":
            log.debug("simulator: handled %s %s, dropping the connection unanswered", self.command, path)
            self.close_connection = True
            return
        if mode == "trickle":
            self._send_trickled(status, payload)
            return
        self._send(status, payload)

    def _answer(self, path: str, query: dict[str, str], raw: bytes) -> tuple[int, Any]:
        expected = f"{self.sim.auth_scheme} {self.sim.api_key}" if self.sim.auth_scheme else self.sim.api_key
        if self.headers.get(self.sim.auth_header) != expected:
            return 401, {"error": "unauthorized", "message": "missing or invalid API key"}
        route, values = self._route(path, query)
        if route is None:
            return 404, {"error": "not_found", "message": f"no endpoint {self.command} {path}"}
        try:
            body = _json_object(raw) if self.command != "GET" else {}
            status, payload = self._call(route.name, values, body)
        except SimRefusal as refusal:
            return refusal.status, {"error": "refused", "message": refusal.message}
        if self.sim.contract is None:
            return status, payload
        shaped = self.sim.contract.reshape(route.name, payload)
        if shaped is None:
            return 404, {"error": "refused", "message": "payment session not found"}
        return status, shaped

    def _route(self, path: str, query: dict[str, str]) -> tuple[Route | None, dict[str, str]]:
        for route in self.sim._routes:
            values = route.match(path, query)
            if values is not None and route.method == self.command:
                return route, values
        return None, {}

    def _call(self, name: str, values: dict[str, str], body: JsonDict) -> tuple[int, Any]:
        state = self.sim._state
        if name == "create_session":
            return 201, state.create_session(body)
        if name == "create_attempt":
            session_id = values.get("id") or body.get("paymentSessionId")
            if not isinstance(session_id, str):
                raise SimRefusal(400, "paymentSessionId is missing")
            return 201, state.create_attempt(session_id, body)
        if name == "session_status":
            return 200, state.status(values["id"])
        if name == "session_by_id":
            return 200, state.full(values["id"])
        return 200, state.by_reference(values["reference"])

    # --- control: /_sim/ -------------------------------------------------------------------------

    def _control(self, path: str, raw: bytes) -> None:
        sim = self.sim
        try:
            body = _json_object(raw) if self.command == "POST" else {}
            pay = re.fullmatch(r"/_sim/sessions/([^/]+)/pay", path)
            if self.command == "GET" and path == "/_sim/sessions":
                self._send(200, sim.sessions())
            elif self.command == "POST" and pay:
                self._send(200, {"paymentSessionId": sim.mark_paid(unquote(pay.group(1)))})
            elif self.command == "POST" and path == "/_sim/pay-latest":
                self._send(200, {"paymentSessionId": sim.mark_paid()})
            elif self.command == "POST" and path == "/_sim/fail":
                sim.fail_next(body.get("count"), body.get("mode"))  # type: ignore[arg-type]
                self._send(200, {"ok": True})
            elif self.command == "POST" and path == "/_sim/offline":
                sim.set_offline(body.get("offline"))  # type: ignore[arg-type]
                self._send(200, {"ok": True})
            elif self.command == "POST" and path == "/_sim/latency":
                sim.set_latency(body.get("seconds"))  # type: ignore[arg-type]
                self._send(200, {"ok": True})
            else:
                self._send(404, {"error": "not_found", "message": f"no control endpoint {self.command} {path}"})
        except SimRefusal as refusal:
            self._send(refusal.status, {"error": "refused", "message": refusal.message})
        except KeyError as exc:
            self._send(404, {"error": "not_found", "message": str(exc.args[0]) if exc.args else "not found"})
        except (TypeError, ValueError) as exc:
            self._send(400, {"error": "bad_request", "message": str(exc)})

    # --- writing ---------------------------------------------------------------------------------

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send_raw(status, json.dumps(payload).encode("utf-8"), "application/json", headers)

    def _send_raw(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


    def _send_trickled(self, status: int, payload: Any) -> None:
        """The whole answer, head and body, one byte every ``trickle_s``: each read is quick, the answer never is."""
        body = json.dumps(payload).encode("utf-8")
        head = (f"{self.protocol_version} {status} {self.responses[status][0]}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1")
        self.close_connection = True
        answer = head + body
        for at in range(len(answer)):
            if self.sim._stopping.wait(self.sim.trickle_s):
                return
            self.wfile.write(answer[at:at + 1])
            self.wfile.flush()

    def _send_huge(self) -> None:
        """200 with :data:`HUGE_ANSWER_BYTES` of blanks and no Content-Length, until the client hangs up."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        block = b" " * 65536
        for _ in range(HUGE_ANSWER_BYTES // len(block)):
            if self.sim._stopping.is_set():
                return
            self.wfile.write(block)
            self.wfile.flush()


def _json_object(raw: bytes) -> JsonDict:
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SimRefusal(400, "the body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise SimRefusal(400, "the body must be a JSON object")
    return body


def compile_routes(table: dict[str, str]) -> list[Route]:
    """Routes for every entry of an endpoint table (name -> "METHOD /path")."""
    return [Route.compile(name, spec) for name, spec in table.items()]

