"""ZVT over TCP: the till connects to the kiosk (port 20007 by convention) and sends raw APDUs.

One listener thread accepts the till and reads it; it posts bytes and connection changes exactly as
:class:`~kiosk.inputs.serial_link.SerialLink` does, so ``kiosk.shell.till`` treats both alike. One
till at a time: a new connection replaces the old one (tills reconnect per command, or after a
network hiccup), and writes go to the newest.
"""

from __future__ import annotations

import logging
import selectors
import socket
import threading
from collections.abc import Callable

from kiosk.inputs.reader_thread import stop_reader

log = logging.getLogger(__name__)

POLL_S = 0.1
"""How long one wait blocks: bounds how quickly stop() is noticed."""
READ_SIZE = 4096
MIN_BACKOFF_S = 0.5
MAX_BACKOFF_S = 8.0
"""While the port is taken, listening is tried again after a pause that doubles up to this."""


class TcpLink:
    """Listens on ``address``; the same interface as ``SerialLink`` (start, stop, connected, write)."""

    def __init__(self, address: tuple[str, int], *, on_data: Callable[[bytes], None],
                 on_connection: Callable[[bool], None]) -> None:
        self._address = address
        self._on_data = on_data
        self._on_connection = on_connection
        self._stop = threading.Event()
        self._lock = threading.Lock()  # guards _client between the thread and writers
        self._client: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._server: socket.socket | None = None

    @property
    def connected(self) -> bool:
        with self._lock:
            return self._client is not None

    @property
    def port(self) -> int:
        """The port listened on (the one asked for, or the one the system gave for port 0)."""
        return self._server.getsockname()[1] if self._server is not None else self._address[1]

    def start(self) -> None:
        """Listen (at once if the address is free; else the thread keeps trying) and serve the till."""
        if self._thread is not None:
            raise RuntimeError("TcpLink already started")
        self._stop.clear()
        self._listen(first=True)
        self._thread = threading.Thread(target=self._run, name="zvt-tcp", daemon=True)
        self._thread.start()

    def _listen(self, *, first: bool) -> bool:
        try:
            family = socket.AF_INET6 if ":" in self._address[0] else socket.AF_INET
            server = socket.create_server(self._address, family=family)
        except OSError as exc:
            # A port still held by another program: the till is told nothing until it is free.
            log.log(logging.WARNING if first else logging.DEBUG, "cannot listen for the ZVT till on %s:%d (%s); "
                    "retrying", self._address[0], self._address[1], exc)
            return False
        server.setblocking(False)
        self._server = server
        log.info("listening for a ZVT till on %s:%d", self._address[0], self.port)
        return True

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        stop_reader(self._stop, thread, "ZVT listener")

    def write(self, data: bytes) -> bool:
        """Send bytes to the till; False when none is connected or the write failed."""
        with self._lock:
            client = self._client
            if client is None:
                return False
            try:
                client.sendall(data)
            except OSError as exc:
                log.warning("writing to the ZVT till failed: %s", exc)
                return False
        return True

    def _run(self) -> None:
        backoff_s = MIN_BACKOFF_S
        while self._server is None and not self._stop.wait(backoff_s):
            self._listen(first=False)
            backoff_s = min(backoff_s * 2, MAX_BACKOFF_S)
        server = self._server
        if server is None:
            return
        with selectors.DefaultSelector() as sel:
            sel.register(server, selectors.EVENT_READ)
            try:
                while not self._stop.is_set():
                    for key, _ in sel.select(POLL_S):
                        if key.fileobj is server:
                            self._accept(server, sel)
                        else:
                            self._read(key.fileobj, sel)  # type: ignore[arg-type]
            finally:
                self._drop(sel)
                server.close()
                self._server = None

    def _accept(self, server: socket.socket, sel: selectors.BaseSelector) -> None:
        try:
            client, peer = server.accept()
        except OSError as exc:
            log.warning("accepting a ZVT till failed: %s", exc)
            return
        self._drop(sel)
        client.setblocking(True)
        client.settimeout(1.0)
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sel.register(client, selectors.EVENT_READ)
        with self._lock:
            self._client = client
        log.info("ZVT till connected from %s:%d", peer[0], peer[1])
        self._notify(self._on_connection, True)

    def _read(self, client: socket.socket, sel: selectors.BaseSelector) -> None:
        try:
            data = client.recv(READ_SIZE)
        except OSError as exc:
            log.info("ZVT till connection lost: %s", exc)
            data = b""
        if data:
            self._notify(self._on_data, data)
        else:
            self._drop(sel)

    def _drop(self, sel: selectors.BaseSelector) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is None:
            return
        sel.unregister(client)
        client.close()
        log.info("ZVT till disconnected")
        self._notify(self._on_connection, False)

    @staticmethod
    def _notify(callback: Callable[..., None], *args: object) -> None:
        try:
            callback(*args)
        except Exception:  # a bug in the app must not take the link down with it
            log.exception("ZVT link callback %s failed", getattr(callback, "__qualname__", callback))
