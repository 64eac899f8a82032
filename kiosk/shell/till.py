"""Everything about the till: its link, its protocol, and the event messages it is owed.

Theory of operation
-------------------
The serial reader thread only posts what happened (:class:`~kiosk.shell.messages.TillBytes`,
``TillQuiet``, ``TillLink``); the loop hands each back here on the main thread. The protocol
(:mod:`kiosk.inputs.till_protocol`) turns bytes into replies and sale requests through the desk.

Event messages (invoice shown, paid, ended) are queued in the journal by the ledger, in the same
write as the fact they report, and :meth:`Till.flush` sends them oldest first while the link is up;
each is deleted from the queue only after the link took it. While a request is being handled the
flush is held, so the reply goes out first and the events it caused follow it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from kiosk.config import Settings
from kiosk.inputs.serial_link import SerialLink
from kiosk.inputs.till_protocol import SaleDesk, TillProtocol, protocol_class
from kiosk.shell.messages import Message, TillBytes, TillLink, TillQuiet
from kiosk.store.journal import Journal

log = logging.getLogger(__name__)


class Till:
    """The till link and its protocol. Built only when ``[pos] enabled``."""

    def __init__(self, settings: Settings, journal: Journal, desk: SaleDesk, post: Callable[[Message], None], *,
                 clock: Callable[[], datetime]) -> None:
        protocol = protocol_class(settings)
        assert protocol is not None, "a till is built only when [pos] enabled"
        self._journal = journal
        self._clock = clock
        self._holding = False
        self.protocol: TillProtocol = protocol(settings, desk, post)
        quiet = protocol.quiet_after_s
        self._link = SerialLink(settings.pos, on_data=lambda data: post(TillBytes(data)),
                                on_connection=lambda connected: post(TillLink(connected)),
                                on_idle=(lambda: post(TillQuiet())) if quiet is not None else None,
                                idle_s=quiet or 0.25)

    @property
    def connected(self) -> bool:
        return self._link.connected

    def start(self) -> None:
        self._link.start()

    def stop(self) -> None:
        self._link.stop()

    # --- from the reader thread, on the main thread -------------------------------------------------

    def on_bytes(self, data: bytes) -> None:
        """Answer each request in ``data``; each reply goes out before the events it caused."""
        replies = self.protocol.receive(data)
        while True:
            self._holding = True
            try:
                reply = next(replies, None)
            finally:
                self._holding = False
            if reply is None:
                break
            self._link.write(reply)
            self.flush()

    def on_quiet(self) -> None:
        self.protocol.on_quiet()

    def on_link(self, connected: bool) -> None:
        log.info("till link %s", "connected" if connected else "disconnected")
        if connected:
            self.protocol.reset()
            self.flush()

    # --- events out -------------------------------------------------------------------------------------

    def flush(self) -> None:
        """Send the till's queued event messages, oldest first, while the link is up."""
        if self._holding or not self._link.connected:
            return
        for message in self._journal.pending_till_messages():
            if not self._link.write(message.line.encode("ascii", "replace") + b"\r\n"):
                return
            self._journal.mark_till_sent(message.message_id, self._clock())

