"""The Mion client's seam to the wire: a deadline per request, and bodies read within a limit.

``requests`` times each socket read, not a request: a server that sends a byte now and then holds
a call for ever. So every call runs as an :class:`Exchange` with a total deadline. A watchdog timer
shuts the call's socket down when the deadline passes (or when :meth:`Watch.cut_all` is called at
shutdown); the blocked read then returns at once, ``requests`` raises, and the client reports the
call as an outage. One watchdog thread per client serves every call: it sleeps until the earliest
deadline of the calls running, or until told of a call that must end sooner, so a poll costs no
thread of its own and no wake-up beyond its own. Shutting a socket down wakes a read blocked in another thread, where closing it
would not; the socket object stays valid, so its owner closes it as usual.

The exchange finds its socket through the connection classes that :class:`WatchedAdapter` gives
urllib3: each registers its socket with the exchange running on its thread when it has connected,
and when it sends a request on a kept-alive connection. Before that, the connect timeout bounds
the TCP connect and the TLS handshake (Python times a handshake as a whole); name resolution cannot
be interrupted and is bounded by the system resolver's own timeouts. Requests through a SOCKS
proxy do not use these classes and have only ``requests``' per-read timeouts.

Bodies are read streamed, a chunk at a time, so no answer costs more memory than its limit and a
chunk, however long the server goes on.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import kiosk.mion.lean_requests  # noqa: F401  # before requests: it loads requests without charset guessing

# isort: split
import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.connection import HTTPConnection, HTTPSConnection

log = logging.getLogger(__name__)

CHUNK_BYTES = 64 * 1024
_current = threading.local()  # .exchange: the Exchange running on this thread, if any


class Exchange:
    """One request's deadline. Past it, or when cut, every socket under the request is shut down."""

    def __init__(self, limit_s: float) -> None:
        self.limit_s = limit_s
        self.deadline = time.monotonic() + limit_s
        self.reason: str | None = None
        """Why the exchange was cut: "deadline" or "cancelled"; None while it runs uncut."""
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._done = False

    @property
    def cut_short(self) -> bool:
        """The exchange was cut, or its deadline has passed."""
        return self.reason is not None or time.monotonic() >= self.deadline

    def cut(self, reason: str) -> None:
        """Shut down the exchange's sockets now, and any it registers later (thread-safe, idempotent)."""
        with self._lock:
            if self._done or self.reason is not None:
                return
            self.reason = reason
            for sock in self._sockets:
                _shut_down(sock)

    def check(self) -> None:
        """Raise :class:`DeadlinePassed` if the exchange is over its time (called between chunks)."""
        if self.cut_short:
            self.cut("deadline")
            raise DeadlinePassed(f"no complete answer within {self.limit_s:g} s")

    def _register(self, sock: socket.socket) -> None:
        with self._lock:
            if self._done:
                return
            self._sockets.append(sock)
            if self.reason is not None:
                _shut_down(sock)

    def _finish(self) -> None:
        with self._lock:  # from here on, a late timer cannot touch a socket back in the pool
            self._done = True
            self._sockets.clear()


class DeadlinePassed(requests.exceptions.Timeout):
    """The request's total deadline passed while its answer was still coming."""


class Watch:
    """The exchanges running through one client, so that closing it can cut them all, and the
    watchdog thread that cuts each one at its deadline (started with the first exchange)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._running: set[Exchange] = set()
        self._wake_at: float | None = None
        """When the watchdog looks next; None while it sleeps until told (no exchange to watch)."""
        self._watchdog: threading.Thread | None = None

    @contextlib.contextmanager
    def exchange(self, limit_s: float) -> Iterator[Exchange]:
        """Run the block as one exchange on this thread, cut after ``limit_s`` seconds."""
        exchange = Exchange(limit_s)
        outer = getattr(_current, "exchange", None)
        _current.exchange = exchange
        with self._lock:
            self._running.add(exchange)
            if self._watchdog is None:
                self._watchdog = threading.Thread(target=self._guard, name="mion-deadlines", daemon=True)
                self._watchdog.start()
            elif self._wake_at is None or exchange.deadline < self._wake_at:
                self._changed.notify()
        try:
            yield exchange
        finally:
            exchange._finish()
            with self._lock:
                self._running.discard(exchange)
            _current.exchange = outer

    def _guard(self) -> None:
        """The watchdog: cut every exchange past its deadline; sleep until the next one is due."""
        with self._lock:
            while True:
                now = time.monotonic()
                due = [e.deadline for e in self._running if e.reason is None]
                for exchange in [e for e in self._running if e.reason is None and e.deadline <= now]:
                    exchange.cut("deadline")
                due = [d for d in due if d > now]
                self._wake_at = min(due) if due else None
                self._changed.wait(None if self._wake_at is None else self._wake_at - now)

    def cut_all(self) -> int:
        """Cut every exchange now running; they fail as their sockets go. Returns how many there were."""
        with self._lock:
            running = list(self._running)
        for exchange in running:
            exchange.cut("cancelled")
        return len(running)


def read_body(response: requests.Response, limit_bytes: int, exchange: Exchange | None = None) -> tuple[bytes, bool]:
    """Up to ``limit_bytes`` of a streamed response's body, and whether that was all of it.

    The rest is left unread: closing the response then closes its connection rather than drain it.

    Raises:
        requests.RequestException: the body broke off or could not be decoded, or the deadline
            passed (:class:`DeadlinePassed`).
    """
    data = bytearray()
    for chunk in response.iter_content(CHUNK_BYTES):
        if exchange is not None:
            exchange.check()
        data += chunk
        if len(data) > limit_bytes:
            return bytes(data[:limit_bytes]), False
    return bytes(data), True


# --- urllib3 connections that tell the running exchange their socket --------------------------------


def _register(sock: socket.socket | None) -> None:
    exchange: Exchange | None = getattr(_current, "exchange", None)
    if exchange is not None and sock is not None:
        exchange._register(sock)


def _shut_down(sock: socket.socket) -> None:
    """Wake any read blocked on ``sock`` (end of stream) without closing it under its owner.

    The plain socket's method is called even for a TLS socket: ``SSLSocket.shutdown`` would also
    drop its TLS state beneath the thread still reading it.
    """
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _WatchedHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _register(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _register(self.sock)  # a kept-alive connection: connect() is not called again
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _register(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _register(self.sock)
        super().request(*args, **kwargs)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class WatchedAdapter(HTTPAdapter):
    """A ``requests`` transport whose connections register their sockets with the running :class:`Exchange`."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = dict(_POOLS)
        return manager
