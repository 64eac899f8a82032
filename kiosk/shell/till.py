"""Everything about the till: its link, its protocol, and the event messages it is owed.

Theory of operation
-------------------
The serial reader thread only posts what happened (:class:`~kiosk.shell.messages.TillBytes`,
``TillQuiet``, ``TillLink``); the loop hands each back here on the main thread. The protocol
(:mod:`kiosk.inputs.till_protocol`) turns bytes into replies, and sale requests into calls on
this class, which is the till's :class:`~kiosk.inputs.till_protocol.SaleDesk`: it refuses a
reference the journal already holds and hands the sale to the register (through ``apply``), whose
rules decide the rest (amount range, busy or replace); a refusal changes nothing.

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
from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.core.model import Phase, SaleSource
from kiosk.core.register import Register
from kiosk.core.till_notice import TillNotice
from kiosk.core.view import IdleView, View
from kiosk.errors import SaleRefused, StoreError
from kiosk.inputs.serial_link import SerialLink
from kiosk.inputs.till_protocol import TillProtocol, protocol_class
from kiosk.inputs.zvt.tcp_link import TcpLink
from kiosk.shell.messages import Message, TillBytes, TillLink, TillQuiet
from kiosk.store.journal import Journal
from kiosk.store.records import SaleRecord
from kiosk.store.zvt_book import ZvtBook

log = logging.getLogger(__name__)


Apply = Callable[[ev.Event], list[fx.Effect]]
"""Hand the register an event and carry out its effects; raises the register's refusals."""


class Till:
    """The till link, its protocol and its desk. Built only when ``[pos] enabled``."""

    def __init__(self, settings: Settings, journal: Journal, register: Register, apply: Apply,
                 post: Callable[[Message], None], *, new_reference: Callable[[], str],
                 clock: Callable[[], datetime]) -> None:
        protocol = protocol_class(settings)
        assert protocol is not None, "a till is built only when [pos] enabled"
        self._journal = journal
        self._register = register
        self._apply = apply
        self._clock = clock
        self._new_reference = new_reference
        self._holding = False
        self.wake_printer: Callable[[], None] | None = None
        """Called when a slip was queued here (a payment the till did not book)."""
        self.notice: TillNotice | None = None
        """Payments the till did not book, on screen until the cashier acknowledges them (:meth:`acknowledge`)."""
        self.protocol: TillProtocol = protocol(settings, self, post)
        quiet = protocol.quiet_after_s
        address = settings.zvt.address if settings.pos.mode == "zvt" else None
        self._link: SerialLink | TcpLink
        if address is not None:  # ZVT over TCP ([zvt] listen) instead of the serial port
            self._link = TcpLink(address, on_data=lambda data: post(TillBytes(data)),
                                 on_connection=lambda connected: post(TillLink(connected)))
        else:
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

    def tick(self) -> None:
        """Time passed: send what the protocol sends unasked (main thread, once per loop iteration).
        A fault is logged: the till's clock work must not stop the loop."""
        try:
            for data in self.protocol.on_tick(self._clock()):
                self._link.write(data)
        except Exception:
            log.exception("the till's timers failed")

    def on_link(self, connected: bool) -> None:
        log.info("till link %s", "connected" if connected else "disconnected")
        if connected:
            self.protocol.reset()
            self.flush()

    # --- the desk (SaleDesk) ------------------------------------------------------------------------------

    def start_sale(self, amount_cents: int, reference: str | None) -> str:
        journal = self._journal
        if reference is not None and journal.get(reference) is not None:
            raise SaleRefused("DUPLICATE_REFERENCE", f"reference {reference} was already used for a sale")
        try:
            if reference is None:
                reference = self._new_reference()
            self._apply(ev.SaleRequested(reference=reference, amount_cents=amount_cents, source=SaleSource.POS))
        except StoreError as exc:
            log.error("could not record a sale from the till: %s", exc)
            raise SaleRefused("UNAVAILABLE", "the kiosk cannot record sales right now") from exc
        if self._register.open_reference != reference:
            raise SaleRefused("UNAVAILABLE", "the kiosk could not start the sale")
        return reference

    def cancel_sale(self, reference: str | None) -> str:
        open_reference = self._register.open_reference
        if reference is None or reference == open_reference:
            if open_reference is None:
                raise SaleRefused("NO_SALE", "no sale is open")
            self._apply(ev.CancelRequested(reference=open_reference))
            return open_reference
        if self._journal.get(reference) is None:
            raise SaleRefused("UNKNOWN_REFERENCE", f"no sale has reference {reference}")
        raise SaleRefused("FINISHED", f"sale {reference} has already ended")

    def sale_state(self, reference: str | None) -> SaleRecord | None:
        reference = reference or self._register.open_reference
        if reference is None:
            return None
        return self._journal.get(reference) or self._waiting_for_tip(reference)

    def _waiting_for_tip(self, reference: str) -> SaleRecord | None:
        """A sale the customer is choosing a tip for is not journaled yet: the till hears it is preparing."""
        held = self._register.tips.pending
        if held is None or held.reference != reference:
            return None
        now = self._clock()
        return SaleRecord(reference=reference, amount_cents=held.amount_cents, source=held.source,
                          phase=Phase.CREATING_SESSION, created_at=now, updated_at=now)

    def last_paid(self) -> SaleRecord | None:
        return self._journal.last_paid()

    def zvt_book(self) -> ZvtBook:
        return self._journal

    def not_booked(self, reference: str, reason: str) -> None:
        log.error("sale %s: paid, not booked by the till (%s); book or refund it by hand", reference, reason)
        try:
            noted = self._journal.note_not_booked(reference, reason, self._clock())
        except StoreError as exc:
            log.error("could not note that the till did not book sale %s: %s", reference, exc)
            noted = True  # not in the journal: the screen is all the cashier gets
        if noted:
            self._show_notice(reference)
        if noted and self.wake_printer is not None:
            self.wake_printer()

    def _show_notice(self, reference: str) -> None:
        try:
            record = self._journal.get(reference)
        except StoreError:
            record = None
        count = 1 if self.notice is None else self.notice.count + 1
        self.notice = TillNotice(count=count, reference=reference,
                                 amount_cents=None if record is None else record.amount_cents)

    def acknowledge(self, key: ev.Key, view: View) -> bool:
        """The cashier saw the notice: Enter or Cancel on the idle screen clears it. Whether the key was taken."""
        if self.notice is None or not isinstance(view, IdleView) or key not in (ev.Key.ENTER, ev.Key.CANCEL):
            return False
        log.info("the cashier acknowledged %d payment(s) the till did not book", self.notice.count)
        self.notice = None
        return True

    # --- events out -------------------------------------------------------------------------------------

    def flush(self) -> None:
        """Send the till's queued event messages, oldest first, while the link is up."""
        if self._holding or not self._link.connected:
            return
        try:
            for message in self._journal.pending_till_messages():
                data = self.protocol.message_bytes(message.line)
                if data and not self._link.write(data):
                    return
                self._journal.mark_till_sent(message.message_id, self._clock())
        except StoreError as exc:
            # The message stays queued: it goes out (identically) once the journal can note it.
            log.error("till messages wait: the journal cannot be read or written: %s", exc)

