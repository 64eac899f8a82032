"""Journal first: the register's ``Record*`` effects written to the journal, then acted on; and what
each outcome of a sale sends out.

A payment is written in one transaction together with its receipt jobs and its till message, as
:func:`paid_outputs` decides them from the settings; only then are the printer woken, the buzzer and
chime sounded and the till's queue flushed. A crash at any point therefore prints and reports after
the restart, and the payment itself is recorded once (the journal refuses a second record).
``kiosk reconcile`` records the payments it finds with the same :func:`paid_outputs`, so a payment
sends out the same slips and message however it was learnt.

When the journal cannot be written (the card is full, or failing), the kiosk does not stop. The
disk reserve (:class:`~kiosk.store.ballast.Ballast`) is given up and the write tried again; if it
still fails, the record is kept in memory in order (a payment above all), the kiosk is *out of
service* (no new sale starts; the screen says so) and the records are written, oldest first, as
soon as the journal takes them again, and only then printed and told to the till. A sale whose very
first record failed never reaches Mion: :class:`SaleNotRecorded` stops its batch.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from kiosk.config import Settings
from kiosk.core import effects as fx
from kiosk.core.model import Phase
from kiosk.errors import StoreError
from kiosk.inputs.till_protocol import PaidSale, TillProtocol, protocol_class
from kiosk.shell.devices import Devices
from kiosk.shell.observer import SaleObserver
from kiosk.store.ballast import Ballast
from kiosk.store.journal import Journal

if TYPE_CHECKING:
    from kiosk.shell.till import Till  # the serial stack is loaded only for a kiosk with a till

log = logging.getLogger(__name__)

Record = (fx.RecordSale | fx.RecordSession | fx.RecordAttempt | fx.RecordStatus | fx.RecordPaid | fx.RecordEnded
          | fx.RecordRefusal)
Protocol = type[TillProtocol] | None
"""The till's protocol (``kiosk.inputs.till_protocol.protocol_class``); None: no till."""
RETRY_S = 1.0
"""How often records kept in memory are offered to the journal again."""


class SaleNotRecorded(StoreError):
    """A new sale could not be journaled: nothing else may happen for it (above all, no Mion session)."""

    def __init__(self, reference: str, reason: str) -> None:
        super().__init__(reason)
        self.reference = reference


def receipt_copies(settings: Settings) -> tuple[str, ...]:
    """The slips each payment prints, in order; none without a printer."""
    printer = settings.printer
    if printer.kind == "none":
        return ()
    return ("customer", "merchant") if printer.merchant_copy else ("customer",)


def paid_outputs(settings: Settings, paid: PaidSale, protocol: Protocol) -> tuple[tuple[str, ...], str | None]:
    """What one payment queues, in the journal write that records it: the receipt copies, and the
    message the till is told (None when its protocol tells nothing, or there is no till)."""
    return receipt_copies(settings), None if protocol is None else protocol.paid_message(paid)


class Ledger:
    def __init__(self, settings: Settings, journal: Journal, devices: Devices, till: Till | None, *,
                 ballast: Ballast | None = None, observer: SaleObserver | None = None) -> None:
        self._settings = settings
        self._observer = observer
        self._journal = journal
        self._devices = devices
        self._till = till
        self._tips: dict[str, int] = {}
        """Each sale's tip, as journaled here (others are read from the journal): for ``EVENT INVOICE``."""
        self._ballast = ballast
        self._protocol: Protocol = protocol_class(settings)
        self._backlog: list[tuple[Record, datetime]] = []
        self._next_retry: datetime | None = None
        self._never_recorded: set[str] = set()
        self.problem: str | None = None
        """Why the journal cannot be written, while records are kept in memory (None: all written)."""

    @property
    def out_of_service(self) -> bool:
        """The journal cannot be written (records may wait in memory): no new sale may start."""
        return self.problem is not None

    def unwritable(self, exc: StoreError, now: datetime) -> None:
        """A write elsewhere (drawing a reference) failed: out of service until the journal takes one."""
        if self.problem is None:
            log.error("the journal cannot be written: %s", exc)
        self.problem = str(exc)
        self._next_retry = now + timedelta(seconds=RETRY_S)

    @property
    def payments_kept(self) -> int:
        """Payments received and not yet in the journal."""
        return sum(isinstance(effect, fx.RecordPaid) for effect, _ in self._backlog)

    def record(self, effect: Record, now: datetime) -> None:
        """Journal ``effect`` and act on it; keep it in memory when the journal cannot take it.

        Raises:
            SaleNotRecorded: ``effect`` is a ``RecordSale`` that could not be written.
        """
        if effect.reference in self._never_recorded:
            return  # its sale never reached the journal (nor Mion): nothing to record of it
        if self.problem is not None and not self._backlog and isinstance(effect, fx.RecordSale):
            self._never_recorded.add(effect.reference)
            raise SaleNotRecorded(effect.reference, self.problem)
        if self._backlog:  # keep the order: nothing is written before what waits
            if isinstance(effect, fx.RecordSale):
                self._never_recorded.add(effect.reference)
                raise SaleNotRecorded(effect.reference, self.problem or "the journal cannot be written")
            self._backlog.append((effect, now))
            return
        try:
            self._write_with_reserve(effect, now)
        except StoreError as exc:
            self.problem = str(exc)
            self._next_retry = now + timedelta(seconds=RETRY_S)
            if isinstance(effect, fx.RecordSale):
                self._never_recorded.add(effect.reference)
                raise SaleNotRecorded(effect.reference, str(exc)) from exc
            log.error("the journal cannot be written (%s); keeping %s of %s in memory until it can",
                      exc, type(effect).__name__, effect.reference)
            self._backlog.append((effect, now))

    def retry(self, now: datetime) -> None:
        """Offer the records kept in memory to the journal again, oldest first (cheap when all is written)."""
        if self.problem is None or (self._next_retry is not None and now < self._next_retry):
            return
        if not self._backlog:
            try:
                self._journal.probe_write()
            except StoreError as exc:
                self.problem = str(exc)
                self._next_retry = now + timedelta(seconds=RETRY_S)
                return
        while self._backlog:
            effect, at = self._backlog[0]
            try:
                self._write_with_reserve(effect, at)
            except StoreError as exc:
                self.problem = str(exc)
                self._next_retry = now + timedelta(seconds=RETRY_S)
                return
            self._backlog.pop(0)
        log.warning("the journal is written again: every record kept in memory is in it")
        self.problem = None
        if self._ballast is not None:
            self._ballast.lay()

    def _write_with_reserve(self, effect: Record, now: datetime) -> None:
        try:
            self._write(effect, now)
        except StoreError:
            if self._ballast is None or not self._ballast.release():
                raise
            self._write(effect, now)

    def _write(self, effect: Record, now: datetime) -> None:
        journal, protocol = self._journal, self._protocol
        match effect:
            case fx.RecordSale():
                journal.create_sale(reference=effect.reference, amount_cents=effect.amount_cents,
                                    source=effect.source, at=now, tip_cents=effect.tip_cents)
                self._tips = {effect.reference: effect.tip_cents}  # only the newest sale shows invoices
            case fx.RecordSession():
                journal.set_session(effect.reference, effect.session_id, now)
                log.info("sale %s: Mion session %s", effect.reference, effect.session_id,
                         extra={"kiosk_sale": effect.reference, "mion_session": effect.session_id})
            case fx.RecordAttempt():
                journal.add_attempt(effect.reference, effect.attempt, now)
                tip = self._tip_of(effect.reference) if protocol is not None else 0
                line = None if protocol is None else protocol.invoice_message(
                    effect.reference, effect.attempt.amount_sat, effect.expires_at,
                    **({"tip_cents": tip} if tip else {}))
                if line is not None:
                    journal.queue_till_message(effect.reference, line, now)
                    self._flush_till()
            case fx.RecordStatus():
                journal.record_status(effect.reference, effect.status, now)
            case fx.RecordPaid():
                self._paid(effect, now)
            case fx.RecordEnded():
                self._ended(effect.reference, effect.phase, effect.detail, now)
            case fx.RecordRefusal():
                self._refused(effect.reference, effect.detail, now)

    def _tip_of(self, reference: str) -> int:
        if reference not in self._tips:  # a sale recovered after a restart
            sale = self._journal.get(reference)
            self._tips = {reference: sale.tip_cents if sale is not None else 0}
        return self._tips[reference]

    def _paid(self, effect: fx.RecordPaid, now: datetime) -> None:
        sale = self._journal.get(effect.reference)
        paid = PaidSale(reference=effect.reference, session_id=effect.session_id, paid_at=effect.paid_at,
                        amount_msat=effect.amount_msat, late=effect.late, tip_cents=sale.tip_cents if sale else 0)
        copies, line = paid_outputs(self._settings, paid, self._protocol)
        recorded = self._journal.mark_paid(effect.reference, paid_at=effect.paid_at, amount_msat=effect.amount_msat,
                                           late=effect.late, at=now, print_copies=copies, till_line=line)
        if not recorded:
            return
        log.info("sale %s paid at %s%s", effect.reference, effect.paid_at.isoformat(), " (late)" if effect.late else "",
                 extra={"kiosk_sale": effect.reference, "kiosk_phase": "paid", "mion_session": effect.session_id})
        if self._observer is not None and (record := self._journal.get(effect.reference)) is not None:
            self._observer.sale_paid(record, late=effect.late, paid_at=effect.paid_at)
        devices = self._devices
        if devices.printer is not None:
            devices.printer.wake()
        if devices.buzzer is not None:
            devices.buzzer.beep_paid()
        if devices.chime is not None:
            devices.chime.play()
        self._flush_till()

    def _ended(self, reference: str, phase: Phase, detail: str | None, now: datetime) -> None:
        line = None if self._protocol is None else self._protocol.ended_message(reference, phase, detail)
        ended = self._journal.end_sale(reference, phase, now, detail=detail, till_line=line)
        if ended and self._observer is not None:
            self._observer.sale_ended(phase)
        log.info("sale %s ended %s%s", reference, phase.value, f": {detail}" if detail else "",
                 extra={"kiosk_sale": reference, "kiosk_phase": phase.value})
        self._flush_till()

    def _refused(self, reference: str, detail: str, now: datetime) -> None:
        """Log why the kiosk did not act on what Mion said, and keep it as the detail of a sale still
        open (an ended sale keeps the reason it ended with). The till hears nothing of it."""
        log.warning("sale %s: %s", reference, detail, extra={"kiosk_sale": reference})
        record = self._journal.get(reference)
        if record is not None and record.phase.is_open:
            self._journal.set_phase(reference, record.phase, now, detail=detail)

    def _flush_till(self) -> None:
        if self._till is not None:
            self._till.flush()
