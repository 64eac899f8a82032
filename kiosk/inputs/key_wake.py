"""Wake the loop when a key is pressed, so that it need not look at the keyboard 25 times a second.

Theory of operation
-------------------
SDL reads the keyboard only when the loop pumps its events, and it offers no way to sleep until a key
comes that is not itself a poll (``SDL_WaitEventTimeout`` looks every millisecond). So the loop sleeps
on a ``threading.Event`` and something must set it when a key arrives:

- On the Linux console (SDL's ``kmsdrm`` driver), SDL reads the keyboards' evdev devices
  (``/dev/input/event*``) itself. :class:`EvdevKeyWake` opens the same devices, which the kernel gives
  every reader its own copy of, and blocks on them in ``select`` in an edge thread: when one is
  readable it drops its copy and wakes the loop, whose next ``pygame.event.get()`` finds the key SDL
  read. A kiosk with no key pressed has no periodic wake-up; the thread looks for newly plugged
  keypads every :data:`RESCAN_S`.
- In a window (x11, wayland, ...) keys come through the window system to SDL alone: the loop polls
  every ``KEY_POLL_S`` as before (:func:`must_poll_keys`).
- SDL's ``dummy`` and ``offscreen`` drivers have no keyboard at all: keys come only from
  ``pygame.event.post`` (tests, the demo), read at the loop's next turn; nothing to poll.

The devices need the ``input`` group (the systemd unit gives it); none readable means polling.
"""

from __future__ import annotations

import logging
import os
import select
import struct
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

log = logging.getLogger(__name__)

RESCAN_S = 10.0
"""How often the edge thread looks for keypads plugged in (or gone) since."""
NO_KEYBOARD_DRIVERS = frozenset({"dummy", "offscreen"})
"""SDL video drivers that read no keyboard: nothing to poll and nothing to watch."""
EVDEV_DRIVERS = frozenset({"kmsdrm", "KMSDRM", "fbcon", "directfb", "evdev"})
"""SDL video drivers that read the keyboards' evdev devices themselves (the Linux console)."""

EV_KEY = 0x01
_KEYPAD_CODES = (*range(2, 12), 28, *range(71, 84), 96)
"""KEY_1..KEY_0, KEY_ENTER, the keypad's digits and separator, KEY_KPENTER: a device with none is no keypad."""
_EVENT_SIZE = struct.calcsize("llHHi")
"""One ``struct input_event``."""
_LONG_BITS = 8 * struct.calcsize("l")


def must_poll_keys(driver: str, watching: bool) -> bool:
    """Whether the loop must look at the keyboard every so often under SDL ``driver``.

    ``watching`` says an :class:`EvdevKeyWake` watches at least one keypad.
    """
    return not (driver in NO_KEYBOARD_DRIVERS or (driver in EVDEV_DRIVERS and watching))


def keypad_devices(root: Path = Path("/sys/class/input")) -> list[Path]:
    """The evdev devices that report keypad keys (digits or Enter), from sysfs."""
    found = []
    for node in sorted(root.glob("event*")):
        try:
            ev_bits = int((node / "device/capabilities/ev").read_text().strip() or "0", 16)
            key_words = (node / "device/capabilities/key").read_text().split()
        except (OSError, ValueError):
            continue
        if not ev_bits & (1 << EV_KEY):
            continue
        keys = 0
        for word in key_words:  # most significant word first
            keys = (keys << _LONG_BITS) | int(word, 16)
        if any(keys >> code & 1 for code in _KEYPAD_CODES):
            found.append(Path("/dev/input") / node.name)
    return found


class EvdevKeyWake:
    """An edge thread that calls ``wake`` whenever one of the keypads' evdev devices has input.

    ``find`` lists the device paths to watch (default: :func:`keypad_devices`); it is asked again every
    :data:`RESCAN_S`. ``start()`` opens what it can and returns whether anything is watched.
    """

    def __init__(self, wake: Callable[[], None], find: Callable[[], Iterable[Path]] = keypad_devices,
                 rescan_s: float = RESCAN_S) -> None:
        self._wake = wake
        self._find = find
        self._rescan_s = rescan_s
        self._open: dict[Path, int] = {}
        self._stop_r, self._stop_w = os.pipe()
        self._thread: threading.Thread | None = None
        self.keys_seen = 0
        """How many reads found input (tests and the doctor may look)."""

    @property
    def watching(self) -> int:
        """How many devices are open."""
        return len(self._open)

    def start(self) -> bool:
        self._rescan()
        self._thread = threading.Thread(target=self._run, name="key-wake", daemon=True)
        self._thread.start()
        return bool(self._open)

    def stop(self) -> None:
        """End the thread (within a moment) and close every device."""
        os.write(self._stop_w, b"x")
        if self._thread is not None:
            self._thread.join(timeout=1.0)
        for fd in self._open.values():
            os.close(fd)
        self._open.clear()
        os.close(self._stop_r)
        os.close(self._stop_w)

    def _rescan(self) -> None:
        wanted = set(self._find())
        for path in list(self._open):
            if path not in wanted:
                os.close(self._open.pop(path))
        for path in wanted - set(self._open):
            try:
                self._open[path] = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
            except OSError as exc:
                log.info("cannot watch %s for keys (%s); the loop polls instead", path, exc.strerror)
            else:
                log.info("watching %s for keys", path)

    def _run(self) -> None:
        while True:
            readers = [self._stop_r, *self._open.values()]
            ready, _, _ = select.select(readers, [], [], self._rescan_s)
            if self._stop_r in ready:
                return
            if not ready:
                self._rescan()
                continue
            for fd in ready:
                self._drain(fd)
            self.keys_seen += 1
            self._wake()

    def _drain(self, fd: int) -> None:
        try:
            while os.read(fd, 64 * _EVENT_SIZE):
                pass
        except BlockingIOError:
            return
        except OSError:
            pass
        # An error or the end of the file: the keypad was unplugged.
        for path, open_fd in list(self._open.items()):
            if open_fd == fd:
                log.info("keypad %s gone", path)
                os.close(self._open.pop(path))
