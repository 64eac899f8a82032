"""The card-source seam: something that waits for a card and reads the link it holds.

Must override
    :meth:`CardSource.wait_tap`: block until a card is presented and return its NDEF URI, or None
    after ``timeout_s`` (never busy-poll: the device or driver does the waiting). A card held still
    counts once; it must be taken away before it counts again. Raise :class:`CardError` for a card
    that could not be read (its reason is shown). :meth:`CardSource.close`: end the wait from another thread.
May override
    :meth:`CardSource.open` (open the device; may raise :class:`CardError`) and :attr:`problem`.

Adapters: :class:`FakeCardSource` (tests and the demo), ``card_pcsc.PcscCardSource`` (a USB CCID reader
through pcscd) and ``card_pn532.Pn532CardSource`` (a PN532 on the Pi's UART or I2C).
"""

from __future__ import annotations

import abc
import queue
import threading

from kiosk.errors import KioskError


class CardError(KioskError):
    """A card or reader fault; the message is safe to show (no URL, no secret)."""


class CardSource(abc.ABC):
    """See the module docstring."""

    def open(self) -> None:
        """Open the device."""

    @abc.abstractmethod
    def wait_tap(self, timeout_s: float) -> str | None:
        """The next card's URI, or None after ``timeout_s``."""

    @abc.abstractmethod
    def close(self) -> None:
        """Close the device; a ``wait_tap`` in progress returns soon."""

    @property
    def problem(self) -> str | None:
        return None


class FakeCardSource(CardSource):
    """Cards handed in by :meth:`tap` (tests, the demo's key). ``error`` taps a card that cannot be read."""

    def __init__(self) -> None:
        self._taps: queue.Queue[str | CardError | None] = queue.Queue()
        self._closed = threading.Event()

    def tap(self, uri: str) -> None:
        self._taps.put(uri)

    def tap_unreadable(self, reason: str = "the card could not be read") -> None:
        self._taps.put(CardError(reason))

    def wait_tap(self, timeout_s: float) -> str | None:
        if self._closed.is_set():
            return None
        try:
            item = self._taps.get(timeout=timeout_s)
        except queue.Empty:
            return None
        if isinstance(item, CardError):
            raise item
        return item

    def close(self) -> None:
        self._closed.set()
        self._taps.put(None)
