"""Helpers for the Mion tests: the test key, a settable clock, a canned-answer server, a raw-bytes server."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

from kiosk.config import MionSettings

API_KEY = "sk_live_Zq7-SECRET-4f1c9e"
"""Distinctive, so a leak anywhere is easy to spot."""
SHORT_TIMEOUT_S = 0.3


def fast_settings(base_url: str, **overrides: Any) -> MionSettings:
    """Settings pointing at ``base_url`` with short timeouts, checked like a loaded config."""
    settings = MionSettings(**{"base_url": base_url, "connect_timeout_s": SHORT_TIMEOUT_S,
                               "read_timeout_s": SHORT_TIMEOUT_S, **overrides})
    settings.check()
    return settings


# --- a server that answers whatever the test queued ------------------------------------------------


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class CannedServer:
    """Answers each request with the next queued (status, body, headers) and records what it saw."""

    server: ThreadingHTTPServer
    answers: deque[tuple[int, bytes, dict[str, str]]] = field(default_factory=deque)
    seen: list[Seen] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.answers.append((status, raw, headers or {}))


def exception_texts(exc: BaseException | None) -> str:
    """str() and repr() of an exception and everything it was raised from."""
    texts = []
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        texts += [str(exc), repr(exc)]
        exc = exc.__cause__ or exc.__context__
    return "\n".join(texts)


def key_fragments(text: str, key: str = API_KEY, size: int = 8) -> list[str]:
    """Every ``size``-character run of ``key`` found in ``text`` (any longer run contains one)."""
    return [key[i:i + size] for i in range(len(key) - size + 1) if key[i:i + size] in text]


# --- a server that writes raw bytes, as slowly or as much as the test wants --------------------------


class RawServer:
    """A loopback HTTP peer below http.server: each request is answered by ``answer``, a stream of chunks.

    A number in the stream is a pause in seconds; ``pause_s`` is slept before each chunk (a trickle). The connection is closed after the stream,
    so an answer without Content-Length ends there. Chunks are written lazily, so a 50 MB answer
    costs the test process nothing.
    """

    def __init__(self) -> None:
        self.answer: Callable[[], Iterable[bytes | float]] = lambda: [b"HTTP/1.1 204 No Content\r\n\r\n"]
        self.pause_s = 0.0
        self.requests = 0
        self.written = 0
        self.hangups = 0
        """Answers the client hung up on before they were complete."""
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._connections: list[socket.socket] = []
        self._accepting = threading.Thread(target=self._accept, name="raw-server", daemon=True)
        self._accepting.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def close(self) -> None:
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() (closing alone would not)
        self._listener.close()
        for conn in self._connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in [self._accepting, *self._threads]:
            thread.join(5)

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self._connections.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.settimeout(5)
                if not _read_request(conn):
                    return
                self.requests += 1
                for chunk in self.answer():
                    if self._stopping.wait(chunk if isinstance(chunk, float) else self.pause_s):
                        return
                    if isinstance(chunk, bytes):
                        conn.sendall(chunk)
                    self.written += len(chunk)
            except OSError:  # the client hung up: that is what most of these tests want
                self.hangups += 1


def _read_request(conn: socket.socket) -> bool:
    """Read one request's head and body (by Content-Length); False when the client went away."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return False
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return False
        body += chunk
    return True


def http_answer(body: bytes, *, status: str = "200 OK", length: int | None = -1, headers: str = "") -> bytes:
    """One answer's bytes: ``length`` -1 declares the body's own length, None declares none (close-delimited)."""
    declared = len(body) if length == -1 else length
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{headers}"
    head += f"Content-Length: {declared}\r\n" if declared is not None else "Connection: close\r\n"
    return head.encode() + b"\r\n" + body


def one_byte_at_a_time(data: bytes) -> Iterable[bytes]:
    return (data[i:i + 1] for i in range(len(data)))

