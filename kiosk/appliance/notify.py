"""Telling systemd how the kiosk is doing: the sd_notify datagram protocol, without a library.

systemd passes the address of a Unix datagram socket in ``NOTIFY_SOCKET`` (a path, or an abstract
name written with a leading ``@``). Each message is one datagram of ``KEY=value`` lines:

* ``READY=1`` once the first frame is on screen; until then ``Type=notify`` keeps the unit "activating";
* ``WATCHDOG=1`` from the main loop, at least every ``watchdog_interval_s``; when the loop hangs the
  messages stop and systemd kills and restarts the service (``WatchdogSec=`` in the unit);
* ``STATUS=...`` a line shown by ``systemctl status kiosk``;
* ``STOPPING=1`` when a clean shutdown begins.

The protocol is declared stable by systemd (sd_notify(3) carries a reference implementation), so a
few lines of socket code replace the unmaintained Python packages. Outside systemd (development,
tests) ``NOTIFY_SOCKET`` is unset and every call is a cheap no-op. A failed send is logged and never
raised: a notification problem must not take the customer display down.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)

_WATCHDOG_SHARE = 0.5
"""Fraction of systemd's watchdog timeout after which the loop should send again (systemd advises half)."""

_THROTTLE_SHARE = 0.25
"""watchdog() skips sends closer together than this fraction of the timeout, so calling it every loop is cheap."""

_STATUS_MAX_CHARS = 200


class SystemdNotifier:
    """Sends readiness, watchdog and status notifications to systemd.

    Create it with :meth:`from_environ`. Every method returns True when a datagram was sent.
    """

    def __init__(
        self,
        address: str | None,
        *,
        watchdog_usec: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Use ``address`` (NOTIFY_SOCKET syntax; None disables) and a watchdog timeout in microseconds."""
        self._address = _socket_address(address) if address else None
        self._watchdog_usec = watchdog_usec if self._address is not None else None
        self._clock = clock
        self._last_watchdog_s: float | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> SystemdNotifier:
        """A notifier configured from ``NOTIFY_SOCKET``, ``WATCHDOG_USEC`` and ``WATCHDOG_PID``.

        The watchdog is off when ``WATCHDOG_PID`` names another process: the variables were inherited
        from a parent and are not meant for us.
        """
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET") or None
        watchdog_usec = _positive_int(env.get("WATCHDOG_USEC"))
        watchdog_pid = _positive_int(env.get("WATCHDOG_PID"))
        if watchdog_pid is not None and watchdog_pid != os.getpid():
            watchdog_usec = None
        return cls(address, watchdog_usec=watchdog_usec)

    @property
    def enabled(self) -> bool:
        """True when running under systemd with a notification socket."""
        return self._address is not None

    @property
    def watchdog_interval_s(self) -> float | None:
        """How often the main loop must call :meth:`watchdog`, in seconds; None when there is no watchdog.

        The loop should wait for events no longer than this, so a quiet kiosk still proves it is alive.
        """
        if self._watchdog_usec is None:
            return None
        return self._watchdog_usec * _WATCHDOG_SHARE / 1_000_000

    def ready(self, status: str | None = None) -> bool:
        """Tell systemd start-up is complete (call it once the first frame is on screen)."""
        lines = ["READY=1"]
        if status:
            lines.append(f"STATUS={_one_line(status)}")
        return self._send("\n".join(lines))

    def watchdog(self) -> bool:
        """Prove the main loop is alive. Safe to call on every loop turn: repeated calls are throttled."""
        if self._watchdog_usec is None:
            return False
        now_s = self._clock()
        min_gap_s = self._watchdog_usec * _THROTTLE_SHARE / 1_000_000
        if self._last_watchdog_s is not None and now_s - self._last_watchdog_s < min_gap_s:
            return False
        sent = self._send("WATCHDOG=1")
        if sent:
            self._last_watchdog_s = now_s
        return sent

    def status(self, text: str) -> bool:
        """Set the one-line status shown by ``systemctl status`` (never put a secret in it)."""
        return self._send(f"STATUS={_one_line(text)}")

    def stopping(self) -> bool:
        """Tell systemd a clean shutdown has begun."""
        return self._send("STOPPING=1")

    def _send(self, message: str) -> bool:
        if self._address is None:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(message.encode("utf-8"), self._address)
        except OSError as exc:
            # systemd gone or socket full: say so, but keep the display running.
            log.warning("systemd notification %r not sent: %s", message.split("=", 1)[0], exc)
            return False
        return True


def _socket_address(address: str) -> str | None:
    """NOTIFY_SOCKET syntax to a socket address: '@name' is abstract ('\\0name'), else an absolute path."""
    if address.startswith("@"):
        return "\0" + address[1:]
    if address.startswith("/"):
        return address
    # vsock and relative addresses are not used on the appliance; ignore rather than guess.
    log.warning("NOTIFY_SOCKET %r is neither an absolute path nor an abstract name; notifications off", address)
    return None


def _positive_int(text: str | None) -> int | None:
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        log.warning("ignoring malformed systemd variable value %r", text)
        return None
    return value if value > 0 else None


def _one_line(text: str) -> str:
    # A newline would start a new KEY=value assignment inside the datagram.
    flat = " ".join(text.split())
    return flat[:_STATUS_MAX_CHARS]
