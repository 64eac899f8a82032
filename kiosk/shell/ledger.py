"""Journal first: the register's ``Record*`` effects written to the journal, then acted on.

A payment is written in one transaction together with its receipt jobs and its till message
(decided by :func:`kiosk.shell.outcomes.paid_outputs`); only then are the printer woken, the buzzer
and chime sounded and the till's queue flushed. A crash at any point therefore prints and reports
after the restart, and the payment itself is recorded once (the journal refuses a second record).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from kiosk.config import Settings
from kiosk.core import effects as fx
from kiosk.inputs.till_protocol import PaidSale
from kiosk.shell.devices import Devices
from kiosk.shell.outcomes import ended_message, invoice_message, paid_outputs
from kiosk.store.journal import Journal

log = logging.getLogger(__name__)

Record = fx.RecordSale | fx.RecordSession | fx.RecordAttempt | fx.RecordStatus | fx.RecordPaid | fx.RecordEnded


class Ledger:
    def __init__(self, settings: Settings, journal: Journal, devices: Devices, *,
                 flush_till: Callable[[], None]) -> None:
        self._settings = settings
        self._journal = journal
        self._devices = devices
        self._flush_till = flush_till

    def record(self, effect: Record, now: datetime) -> None:
        journal = self._journal
        match effect:
            case fx.RecordSale():
                journal.create_sale(reference=effect.reference, amount_cents=effect.amount_cents,
                                    source=effect.source, at=now)
            case fx.RecordSession():
                journal.set_session(effect.reference, effect.session_id, now)
            case fx.RecordAttempt():
                journal.add_attempt(effect.reference, effect.attempt, now)
                line = invoice_message(self._settings, effect.reference, effect.attempt.amount_sat,
                                       effect.expires_at)
                if line is not None:
                    journal.queue_till_message(effect.reference, line, now)
                    self._flush_till()
            case fx.RecordStatus():
                journal.record_status(effect.reference, effect.status, now)
            case fx.RecordPaid():
                self._paid(effect, now)
            case fx.RecordEnded():
                line = ended_message(self._settings, effect.reference, effect.phase, effect.detail)
                journal.end_sale(effect.reference, effect.phase, now, detail=effect.detail, till_line=line)
                log.info("sale %s ended %s%s", effect.reference, effect.phase.value,
                         f": {effect.detail}" if effect.detail else "")
                self._flush_till()

    def _paid(self, effect: fx.RecordPaid, now: datetime) -> None:
        paid = PaidSale(reference=effect.reference, session_id=effect.session_id, paid_at=effect.paid_at,
                        amount_msat=effect.amount_msat, late=effect.late)
        outputs = paid_outputs(self._settings, paid)
        recorded = self._journal.mark_paid(effect.reference, paid_at=effect.paid_at, amount_msat=effect.amount_msat,
                                           late=effect.late, at=now, print_copies=outputs.print_copies,
                                           till_line=outputs.till_message)
        if not recorded:
            return
        log.info("sale %s paid at %s%s", effect.reference, effect.paid_at.isoformat(), " (late)" if effect.late else "")
        self._devices.paid()
        self._flush_till()
