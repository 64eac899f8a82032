"""A stand-in for Mion's API: a real HTTP server on loopback for demos, development and tests.

It speaks the default endpoint table of :class:`kiosk.config.MionPaths` and Mion's JSON shapes,
checks what Mion is known to check (API key, integer cents, EUR, ``retailPos``), hands out
BOLT11 invoices signed by a demo node (any wallet reads them; none can route to it), and lets a
person or a test pay a session, inject failures and add latency::

    with MionSimulator(api_key="demo-key") as sim:
        settings = MionSettings(base_url=sim.base_url)
        ...
        sim.mark_paid()                 # the customer paid the latest session
        sim.fail_next(2, "503")         # the next two API requests fail

The same controls exist over HTTP under ``/_sim/`` (no key needed; never affected by the failure
switches or the latency):

    POST /_sim/sessions/{id}/pay      POST /_sim/pay-latest        GET /_sim/sessions
    POST /_sim/fail {"count": n, "mode": "..."}                    POST /_sim/latency {"seconds": x}
    POST /_sim/offline {"offline": true}

Failure modes: ``500``, ``503`` and ``429`` answer with that status (429 and 503 with Retry-After);
``timeout`` never answers (the request is not processed); ``drop`` closes the connection without
processing; ``drop_after`` processes the request, then closes without answering (the outcome the
kiosk must resolve by reference); ``trickle`` processes the request, then sends its answer one
byte every ``trickle_s`` (0.05 s by default, below any read timeout the kiosk's config allows, so
a status answer takes some 15 s and only a total deadline ends the wait: again an outcome to
resolve by reference); ``malformed`` answers 200 with a broken body;
``huge`` answers 200 with 64 MiB of blanks and no Content-Length (the request is not processed);
``blocked`` makes the next attempt come back blocked by compliance, without an invoice.
``set_offline(True)`` cuts every API request until it is set back (queued failures wait meanwhile).
"""

from __future__ import annotations

import dataclasses
import logging
import socket
import threading
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from kiosk.config import INVOICE_NETWORKS, MionPaths
from kiosk.mion.contract import Contract
from kiosk.mion.sim_http import SimHandler, compile_routes
from kiosk.mion.sim_state import JsonDict, SimState

log = logging.getLogger(__name__)

FAILURE_MODES = ("500", "503", "429", "timeout", "drop", "drop_after", "trickle", "malformed", "huge", "blocked")
MAX_LATENCY_S = 60.0
JOIN_TIMEOUT_S = 2.0


class MionSimulator:
    """The simulated Mion API on ``host:port`` (port 0 picks a free one). Start and stop it explicitly.

    ``clock`` gives the current UTC time (default: the system clock); tests pass their own to age
    sessions and attempts. ``paths``, ``auth_header``, ``auth_scheme`` and ``expiry_field`` default to
    the kiosk's defaults; change them to rehearse a different endpoint table, or give a recorded
    ``contract`` to answer as the real Mion did (its paths and expiry field replace those settings).
    """

    def __init__(self, *, api_key: str = "demo-key", host: str = "127.0.0.1", port: int = 0,
                 attempt_lifetime_s: float = 120.0, network: str = "regtest",
                 clock: Callable[[], datetime] | None = None, paths: MionPaths | None = None,
                 auth_header: str = "Authorization", auth_scheme: str = "Bearer",
                 expiry_field: str = "expiresAt", hang_s: float = 30.0, trickle_s: float = 0.05,
                 store: Path | None = None, contract: Contract | None = None) -> None:
        if network not in INVOICE_NETWORKS:
            raise ValueError(f"network must be one of {', '.join(INVOICE_NETWORKS)}, got {network!r}")
        if attempt_lifetime_s <= 0:
            raise ValueError(f"attempt_lifetime_s must be positive, got {attempt_lifetime_s}")
        if not api_key:
            raise ValueError("api_key must not be empty")
        if trickle_s < 0:
            raise ValueError(f"trickle_s must not be negative, got {trickle_s}")
        if contract is not None:
            paths, expiry_field = contract.paths, contract.session_expiry_field
        self.contract = contract
        """The recorded contract whose shapes the answers take (see :mod:`kiosk.mion.contract`), or None."""
        self.api_key = api_key
        self.auth_header = auth_header
        self.auth_scheme = auth_scheme
        self.hang_s = hang_s
        """How long a ``timeout`` failure holds the request before closing it (stop() ends it sooner)."""
        self.trickle_s = trickle_s
        """The pause before each byte of a ``trickle`` failure's answer (stop() ends it sooner)."""
        self._host = host
        self._port = port
        self._clock = clock or (lambda: datetime.now(UTC))
        self._state = SimState(clock=self._clock, attempt_lifetime_s=attempt_lifetime_s, network=network, store=store,
                               expiry_field=expiry_field)
        table = dataclasses.asdict(paths or MionPaths())
        self._routes = compile_routes(table)
        self._lock = threading.Lock()
        self._failures: deque[str] = deque()
        self._latency = 0.0
        self._offline = False
        self._stopping = threading.Event()
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        where = self.base_url if self._server else "not started"
        return f"MionSimulator({where})"

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Bind the port and serve in a background thread."""
        if self._server is not None:
            raise RuntimeError("the simulator is already running")
        handler = type("BoundSimHandler", (SimHandler,), {"sim": self})
        server = _QuietServer((self._host, self._port), handler)
        server.daemon_threads = True
        server.block_on_close = False  # stop() joins the handler threads itself, with a timeout
        self._stopping.clear()
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.5},
                                        name="mion-simulator", daemon=True)
        self._thread.start()
        log.info("Mion simulator listening on %s", self.base_url)

    def stop(self) -> None:
        """Stop serving, cut open connections and join every thread (each with a timeout)."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._stopping.set()
        _shutdown_promptly(server)
        thread.join(JOIN_TIMEOUT_S)
        with self._lock:
            connections = list(self._connections.items())
        for conn, _ in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by the client
        for _, handler_thread in connections:
            handler_thread.join(JOIN_TIMEOUT_S)
            if handler_thread.is_alive():
                log.warning("simulator connection thread %s did not end in time", handler_thread.name)
        server.server_close()
        self._server = self._thread = None
        log.info("Mion simulator stopped")

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` of the running simulator."""
        if self._server is None:
            raise RuntimeError("the simulator is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # --- direct control (thread-safe) ------------------------------------------------------------

    def mark_paid(self, session_id: str | None = None) -> str:
        """Pay ``session_id`` (None: the most recent unpaid session) and return its id.

        Raises:
            KeyError: no such session, or no unpaid session.
        """
        paid = self._state.mark_paid(session_id)
        log.info("simulator: payment session %s paid", paid)
        return paid

    def invoice_amount_msat(self, invoice: str) -> int | None:
        """The amount of an invoice the simulator issued (None: not one of its invoices)."""
        found = self._state.invoice_session(invoice)
        return None if found is None else found[1]

    def pay_invoice(self, invoice: str) -> None:
        """Pay the session that issued ``invoice`` (the card service's payment); unknown ones are ignored."""
        found = self._state.invoice_session(invoice)
        if found is not None:
            self.mark_paid(found[0])

    def fail_next(self, n: int, mode: str) -> None:
        """Make the next ``n`` API requests fail in ``mode`` (queued after failures already set)."""
        if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 1000:
            raise ValueError(f"count must be a whole number from 0 to 1000, got {n!r}")
        if mode not in FAILURE_MODES:
            raise ValueError(f"mode must be one of {', '.join(FAILURE_MODES)}, got {mode!r}")
        if mode == "blocked":
            self._state.block_next_attempts(n)
            return
        with self._lock:
            self._failures.extend([mode] * n)

    def set_latency(self, seconds: float) -> None:
        """Delay every API answer by ``seconds`` (0 to 60)."""
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds <= MAX_LATENCY_S:
            raise ValueError(f"seconds must be a number from 0 to {MAX_LATENCY_S:g}, got {seconds!r}")
        with self._lock:
            self._latency = float(seconds)

    def set_offline(self, offline: bool) -> None:
        """Pull (True) or restore (False) the network: while offline every API request is cut unanswered."""
        if not isinstance(offline, bool):
            raise TypeError(f"offline must be true or false, got {offline!r}")
        with self._lock:
            self._offline = offline

    def sessions(self) -> list[JsonDict]:
        """Every session so far: id, reference, amount, paidAt, status, attempts (count)."""
        return self._state.snapshot()

    def session_count_for(self, reference: str) -> int:
        """How many sessions were created with ``reference`` (the kiosk should make exactly one)."""
        return self._state.count_for(reference)

    # --- used by the handler ---------------------------------------------------------------------

    def _take_failure(self) -> str | None:
        with self._lock:
            if self._offline:
                return "drop"
            return self._failures.popleft() if self._failures else None

    def _latency_s(self) -> float:
        with self._lock:
            return self._latency

    def _retry_after_date(self, seconds: int) -> str:
        return format_datetime(self._clock().astimezone(UTC) + timedelta(seconds=seconds), usegmt=True)

    def _connection_opened(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections[conn] = threading.current_thread()

    def _connection_closed(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.pop(conn, None)


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up (a killed kiosk, a timed-out request) is normal here, not a traceback."""

    def handle_error(self, request: object, client_address: object) -> None:
        import sys

        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            log.debug("simulator: client %s went away: %s", client_address, error)
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


def _shutdown_promptly(server: ThreadingHTTPServer) -> None:
    """``server.shutdown()``, without waiting out the serving loop's poll interval.

    The loop only looks at the shutdown flag between polls, so a throw-away connection wakes it.
    """
    stopper = threading.Thread(target=server.shutdown, name="mion-simulator-stop", daemon=True)
    stopper.start()
    address = server.server_address[:2]
    for _ in range(20):
        try:
            socket.create_connection((str(address[0]), int(address[1])), timeout=0.2).close()
        except OSError:
            pass  # the port is already closed: the loop has ended
        stopper.join(0.02)
        if not stopper.is_alive():
            return
    stopper.join(JOIN_TIMEOUT_S)


def serve_forever(port: int, api_key: str, network: str, **options: Any) -> None:
    """Run the simulator on 127.0.0.1:``port`` until Ctrl-C (``kiosk simulator``)."""
    sim = MionSimulator(api_key=api_key, port=port, network=network, **options)
    sim.start()
    try:
        url = sim.base_url
        log.info("Mion simulator for %s invoices at %s", network, url)
        log.info("API requests need the configured key in %s; /_sim/ control requests need none",
                 sim.auth_header)
        log.info("pay the latest session:   curl -X POST %s/_sim/pay-latest", url)
        log.info("pay one session:          curl -X POST %s/_sim/sessions/<id>/pay", url)
        log.info("list sessions:            curl %s/_sim/sessions", url)
        log.info("fail the next requests:   curl -X POST %s/_sim/fail -d '{\"count\": 3, \"mode\": \"503\"}'", url)
        log.info("pull the network:         curl -X POST %s/_sim/offline -d '{\"offline\": true}'", url)
        log.info("add latency:              curl -X POST %s/_sim/latency -d '{\"seconds\": 2}'", url)
        stop = threading.Event()
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        log.info("Mion simulator interrupted")
    finally:
        sim.stop()
