"""The serial port to the till: one reader thread, thread-safe writes, reconnect with backoff.

This is the only module that opens the till's port. It knows nothing of the protocol: bytes read
go to ``on_data`` as they arrive (the pure decoders put lines together), and every change of the
connection goes to ``on_connection`` and to the log. When the USB adapter is unplugged, the port
is closed and reopened with a growing, bounded pause between tries, so it comes back by itself
when the adapter is plugged in again (use the stable ``/dev/serial/by-id/...`` name for that).

The port is given as a path or as a pyserial URL (``loop://``, ``spy:///dev/ttyUSB0``, ...), and
opened exclusively where the platform supports it, so a second program cannot steal the till's
bytes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import serial

from kiosk.config import PosSettings
from kiosk.errors import ConfigError
from kiosk.inputs.reader_thread import stop_reader

log = logging.getLogger(__name__)

READ_TIMEOUT_S = 0.1
"""How long one read blocks: bounds how quickly stop() is noticed."""

_PARITY = {"N": serial.PARITY_NONE, "E": serial.PARITY_EVEN, "O": serial.PARITY_ODD}
_STOPBITS = {1: serial.STOPBITS_ONE, 2: serial.STOPBITS_TWO}


def next_backoff_s(current_s: float, *, max_s: float) -> float:
    """The pause after ``current_s``: doubled, never more than ``max_s``."""
    return min(current_s * 2, max_s)


class SerialLink:
    """Reads the till's port on its own thread and writes to it from any thread.

    Callbacks run on the reader thread and must not block for long. ``on_connection`` is called on
    every change (the link starts out disconnected). ``on_idle``, if given, is called once each time
    the line has been quiet for ``idle_s`` after some data (pole mode uses it to settle the screen).
    An exception in a callback is logged and does not stop the link.
    """

    def __init__(self, settings: PosSettings, *, on_data: Callable[[bytes], None],
                 on_connection: Callable[[bool], None], on_idle: Callable[[], None] | None = None,
                 idle_s: float = 0.25, min_backoff_s: float = 0.5, max_backoff_s: float = 8.0) -> None:
        if not settings.port:
            raise ConfigError("[pos] port: expected a serial port path such as /dev/serial/by-id/..., got \"\"")
        if not 0 < min_backoff_s <= max_backoff_s:
            raise ValueError("backoff must satisfy 0 < min_backoff_s <= max_backoff_s")
        self._settings = settings
        self._on_data = on_data
        self._on_connection = on_connection
        self._on_idle = on_idle
        self._idle_s = idle_s
        self._min_backoff_s = min_backoff_s
        self._max_backoff_s = max_backoff_s
        self._stop = threading.Event()
        self._lock = threading.Lock()  # guards _port between the reader thread and writers
        self._port: serial.SerialBase | None = None
        self._thread: threading.Thread | None = None

    @property
    def connected(self) -> bool:
        """True while the port is open."""
        with self._lock:
            return self._port is not None

    def start(self) -> None:
        """Start the reader thread; it opens the port and keeps it open until stop()."""
        if self._thread is not None:
            raise RuntimeError("SerialLink already started")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="pos-serial", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the reader thread (joined with a timeout) and close the port."""
        thread, self._thread = self._thread, None
        stop_reader(self._stop, thread, "till serial reader")

    def write(self, data: bytes) -> bool:
        """Send bytes to the till; False (nothing sent) when the port is not open or the write failed."""
        with self._lock:
            port = self._port
            if port is None:
                return False
            try:
                port.write(data)
                port.flush()
            except (serial.SerialException, OSError, ValueError) as exc:  # ValueError: the fd went away
                # The reader thread notices the lost port and reconnects; the caller keeps the message.
                log.warning("writing to the till's port %s failed: %s", self._settings.port, exc)
                return False
        return True

    # --- the reader thread ---------------------------------------------------------------------

    def _run(self) -> None:
        backoff_s = self._min_backoff_s
        failures = 0
        while not self._stop.is_set():
            try:
                port = self._open()
            except (serial.SerialException, OSError, ValueError) as exc:
                failures += 1
                # The first failure is worth a warning; repeating it every few seconds is noise.
                level = logging.WARNING if failures == 1 else logging.DEBUG
                log.log(level, "cannot open the till's port %s (%s); retrying in %.1f s",
                        self._settings.port, exc, backoff_s)
                self._stop.wait(backoff_s)
                backoff_s = next_backoff_s(backoff_s, max_s=self._max_backoff_s)
                continue
            failures = 0
            backoff_s = self._min_backoff_s
            self._connected(port)
            try:
                self._pump(port)
            except (serial.SerialException, OSError, ValueError, TypeError) as exc:
                log.warning("lost the till's port %s: %s", self._settings.port, exc)
            finally:
                self._disconnected(port)

    def _open(self) -> serial.SerialBase:
        s = self._settings
        port = serial.serial_for_url(s.port, do_not_open=True, baudrate=s.baudrate, bytesize=s.bytesize,
                                     parity=_PARITY[s.parity], stopbits=_STOPBITS[s.stopbits],
                                     timeout=READ_TIMEOUT_S, write_timeout=1.0)
        if isinstance(port, serial.Serial):  # real ports (and ptys) only; URL handlers have no locks
            port.exclusive = True
        port.open()
        return port

    def _connected(self, port: serial.SerialBase) -> None:
        with self._lock:
            self._port = port
        log.info("till's port %s open (%d %d%s%d)", self._settings.port, self._settings.baudrate,
                 self._settings.bytesize, self._settings.parity, self._settings.stopbits)
        self._notify(self._on_connection, True)

    def _disconnected(self, port: serial.SerialBase) -> None:
        # Closed under the lock: a write on the main thread never meets a port closing under it.
        with self._lock:
            self._port = None
            try:
                port.close()
            except (serial.SerialException, OSError, ValueError) as exc:
                log.debug("closing the till's port: %s", exc)
        log.info("till's port %s closed", self._settings.port)
        self._notify(self._on_connection, False)

    def _pump(self, port: serial.SerialBase) -> None:
        quiet_since: float | None = None  # when the last data came, while an idle call is owed
        while not self._stop.is_set():
            data = port.read(port.in_waiting or 1)
            if data:
                self._notify(self._on_data, data)
                quiet_since = time.monotonic()
            elif quiet_since is not None and time.monotonic() - quiet_since >= self._idle_s:
                quiet_since = None
                if self._on_idle is not None:
                    self._notify(self._on_idle)

    @staticmethod
    def _notify(callback: Callable[..., None], *args: object) -> None:
        try:
            callback(*args)
        except Exception:  # a bug in the app must not take the till's link down with it
            log.exception("till link callback %s failed", getattr(callback, "__qualname__", callback))
