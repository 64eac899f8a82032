"""Fixtures for the Mion tests: the simulator, a client on it, a settable clock, a canned and a raw server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from clocks import FakeClock
from mion_helpers import API_KEY, CannedServer, RawServer, Seen, fast_settings

from kiosk.mion.client import MionClient
from kiosk.mion.simulator import MionSimulator


@pytest.fixture
def clock(fake_clock: FakeClock) -> FakeClock:
    return fake_clock


@pytest.fixture
def sim() -> Iterator[MionSimulator]:
    with MionSimulator(api_key=API_KEY, hang_s=5.0) as simulator:
        yield simulator


@pytest.fixture
def client(sim: MionSimulator) -> Iterator[MionClient]:
    with MionClient(fast_settings(sim.base_url), API_KEY) as mion:
        yield mion


@pytest.fixture
def canned() -> Iterator[CannedServer]:
    holder: list[CannedServer] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            stub = holder[0]
            stub.seen.append(Seen(self.command, self.path, dict(self.headers.items()),
                                  json.loads(raw) if raw else None))
            status, body, headers = stub.answers.popleft() if stub.answers else (500, b"{}", {})
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _any

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.block_on_close = False
    stub = CannedServer(server)
    holder.append(stub)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(2)


@pytest.fixture
def canned_client(canned: CannedServer) -> Iterator[MionClient]:
    with MionClient(fast_settings(canned.base_url), API_KEY) as mion:
        yield mion


@pytest.fixture
def raw() -> Iterator[RawServer]:
    server = RawServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def raw_client(raw: RawServer) -> Iterator[MionClient]:
    with MionClient(fast_settings(raw.base_url), API_KEY) as mion:
        yield mion
