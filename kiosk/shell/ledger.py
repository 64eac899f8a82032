"""Journal first: the register's ``Record*`` effects written to the journal, then acted on; and what
each outcome of a sale sends out.

A payment is written in one transaction together with its receipt jobs and its till message, as
:func:`paid_outputs` decides them from the settings; only then are the printer woken, the buzzer and
chime sounded and the till's queue flushed. A crash at any point therefore prints and reports after
the restart, and the payment itself is recorded once (the journal refuses a second record).
``kiosk reconcile`` records the payments it finds with the same :func:`paid_outputs`, so a payment
sends out the same slips and message however it was learnt.
"""

from __future__ import annotations

import logging
from datetime import datetime

from kiosk.config import Settings
from kiosk.core import effects as fx
from kiosk.core.model import Phase
from kiosk.inputs.till_protocol import PaidSale, TillProtocol, protocol_class
from kiosk.shell.devices import Devices
from kiosk.shell.till import Till
from kiosk.store.journal import Journal

log = logging.getLogger(__name__)

Record = fx.RecordSale | fx.RecordSession | fx.RecordAttempt | fx.RecordStatus | fx.RecordPaid | fx.RecordEnded
Protocol = type[TillProtocol] | None
"""The till's protocol (``kiosk.inputs.till_protocol.protocol_class``); None: no till."""


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
    def __init__(self, settings: Settings, journal: Journal, devices: Devices, till: Till | None) -> None:
        self._settings = settings
        self._journal = journal
        self._devices = devices
        self._till = till
        self._protocol: Protocol = protocol_class(settings)

    def record(self, effect: Record, now: datetime) -> None:
        journal, protocol = self._journal, self._protocol
        match effect:
            case fx.RecordSale():
                journal.create_sale(reference=effect.reference, amount_cents=effect.amount_cents,
                                    source=effect.source, at=now)
            case fx.RecordSession():
                journal.set_session(effect.reference, effect.session_id, now)
            case fx.RecordAttempt():
                journal.add_attempt(effect.reference, effect.attempt, now)
                line = None if protocol is None else protocol.invoice_message(
                    effect.reference, effect.attempt.amount_sat, effect.expires_at)
                if line is not None:
                    journal.queue_till_message(effect.reference, line, now)
                    self._flush_till()
            case fx.RecordStatus():
                journal.record_status(effect.reference, effect.status, now)
            case fx.RecordPaid():
                self._paid(effect, now)
            case fx.RecordEnded():
                self._ended(effect.reference, effect.phase, effect.detail, now)

    def _paid(self, effect: fx.RecordPaid, now: datetime) -> None:
        paid = PaidSale(reference=effect.reference, session_id=effect.session_id, paid_at=effect.paid_at,
                        amount_msat=effect.amount_msat, late=effect.late)
        copies, line = paid_outputs(self._settings, paid, self._protocol)
        recorded = self._journal.mark_paid(effect.reference, paid_at=effect.paid_at, amount_msat=effect.amount_msat,
                                           late=effect.late, at=now, print_copies=copies, till_line=line)
        if not recorded:
            return
        log.info("sale %s paid at %s%s", effect.reference, effect.paid_at.isoformat(), " (late)" if effect.late else "")
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
        self._journal.end_sale(reference, phase, now, detail=detail, till_line=line)
        log.info("sale %s ended %s%s", reference, phase.value, f": {detail}" if detail else "")
        self._flush_till()

    def _flush_till(self) -> None:
        if self._till is not None:
            self._till.flush()
