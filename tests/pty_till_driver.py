"""A till on the master side of a pty pair, with a cable that can be pulled and plugged back in.

The kiosk is told to open ``link`` (a symlink standing for ``/dev/serial/by-id/...``). ``plug()``
makes a new pty pair and points the symlink at its slave; ``unplug()`` closes both ends and removes
the symlink, the way a USB adapter vanishes. Everything the kiosk wrote is kept across plugs in
``replies`` (OK/ERR lines) and ``events`` (EVENT lines), so a test can count what arrived.

Reading never blocks: the test's loop (``tests.helpers.drive``) polls the till once per iteration.
"""

from __future__ import annotations

import contextlib
import os
import tty
from collections.abc import Callable
from pathlib import Path

from kiosk.shell.app import KioskApp
from tests.helpers import drive


class PtyTill:
    """The till's end of the serial cable."""

    def __init__(self, link: Path) -> None:
        self.link = link
        self.replies: list[str] = []
        self.events: list[str] = []
        self.raw: list[bytes] = []
        """Everything received, plug by plug (one bytes object per plug)."""
        self._master: int | None = None
        self._slave: int | None = None
        self._buffer = b""
        self._replies_taken = 0

    # --- the cable ---------------------------------------------------------------------------------

    def plug(self) -> None:
        """A fresh pty pair, and the symlink pointing at its slave."""
        if self._master is not None:
            raise RuntimeError("already plugged in")
        master, slave = os.openpty()
        tty.setraw(slave)  # like a real adapter: no echo, no line discipline before the kiosk opens it
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        self._buffer = b""
        self.raw.append(b"")
        with contextlib.suppress(FileNotFoundError):
            self.link.unlink()
        self.link.symlink_to(os.ttyname(slave))

    def unplug(self) -> None:
        """Close both ends and remove the symlink: the kiosk's port is gone."""
        self.poll()
        for fd in (self._master, self._slave):
            if fd is not None:
                os.close(fd)
        self._master = self._slave = None
        with contextlib.suppress(FileNotFoundError):
            self.link.unlink()

    close = unplug

    # --- talking -----------------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Send raw bytes to the kiosk."""
        if self._master is None:
            raise RuntimeError("the cable is unplugged")
        os.write(self._master, data)

    def send(self, line: str) -> None:
        """Send one command line, ended the way most tills end it (CR LF)."""
        self.write(line.encode("ascii") + b"\r\n")

    def poll(self) -> None:
        """Take in whatever the kiosk wrote so far, sorting complete lines into replies and events."""
        if self._master is None:
            return
        while True:
            try:
                chunk = os.read(self._master, 4096)
            except (BlockingIOError, OSError):
                break
            if not chunk:
                break
            self.raw[-1] += chunk
            self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\r\n")
        for line in lines:
            text = line.decode("ascii")
            (self.events if text.startswith("EVENT ") else self.replies).append(text)

    # --- waiting, by running the kiosk's own loop --------------------------------------------------

    def wait(self, app: KioskApp, condition: Callable[[], bool], *, timeout_s: float = 10.0) -> None:
        """Run the kiosk until ``condition()`` holds, reading the line on every loop."""

        def until(_: KioskApp) -> bool:
            self.poll()
            return condition()

        drive(app, until, timeout_s=timeout_s)

    def wait_connected(self, app: KioskApp, *, timeout_s: float = 10.0) -> None:
        """Until the kiosk has the port open."""
        self.wait(app, lambda: app.till.connected is True, timeout_s=timeout_s)

    def ask(self, app: KioskApp, line: str, *, timeout_s: float = 10.0) -> str:
        """Send a command and return its one reply (OK or ERR)."""
        self.send(line)
        return self.next_replies(app, 1, timeout_s=timeout_s)[0]

    def next_replies(self, app: KioskApp, count: int, *, timeout_s: float = 10.0) -> list[str]:
        """The next ``count`` replies not yet taken (for lines sent with ``write``), waiting for them."""
        start = self._replies_taken
        self.wait(app, lambda: len(self.replies) >= start + count, timeout_s=timeout_s)
        self._replies_taken = start + count
        return self.replies[start:start + count]

    def wait_event(self, app: KioskApp, prefix: str, *, timeout_s: float = 10.0) -> str:
        """The first event line starting with ``prefix`` (waiting for it if it has not come yet)."""
        self.wait(app, lambda: any(e.startswith(prefix) for e in self.events), timeout_s=timeout_s)
        return next(e for e in self.events if e.startswith(prefix))


def fields(line: str) -> dict[str, str]:
    """The ``key=value`` fields of a kiosk line."""
    return dict(word.split("=", 1) for word in line.split() if "=" in word)
