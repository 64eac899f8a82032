"""The payment terminal's side of ZVT, on APDUs (sans I/O; the transport frames them).

The till (ECR) is master: each of its commands gets an answer at once (``80 00 00``, or ``84 xx 00``
refusing it), then the terminal, master until its Completion (``06 0F``) or Abort (``06 1E``), sends
its own messages one at a time, each only after the till answered the one before (:attr:`outbox`).

An authorization is one sale through the :class:`~kiosk.inputs.till_protocol.SaleDesk`. Its outcome
reaches the terminal as the till message the journal queued with it (:func:`outcome_line`), so a
payment is told once it is recorded. A paid status the till refuses or never answers, and a payment
that lands after the till was told of a failure, is reported through ``not_booked``: "paid, not
booked by the till".
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from kiosk import __version__
from kiosk.config import Settings, shop_timezone
from kiosk.core.model import Phase, SaleSource
from kiosk.errors import SaleRefused, StoreError
from kiosk.inputs.till_protocol import SaleDesk
from kiosk.inputs.zvt import status as st
from kiosk.inputs.zvt.apdu import Apdu, ZvtError, bcd, from_bcd, llvar, parse_bmps
from kiosk.store.zvt_book import ZvtCounters

log = logging.getLogger(__name__)

ANSWER_WAIT_S = 30.0
"""How long a message of ours waits for the till's answer (BMP 01's default) before it is given up."""
RESEND_AFTER_S = 2.0
"""The till answered ``84 9C`` (please wait) to a paid status: it is sent again after this."""
MAX_RESENDS = 10
T4_S = 180.0
"""How long a till waits for the outcome after the terminal's answer or an intermediate status."""
LOGGED_OFF_CONFIG = 0x86


@dataclass(slots=True)
class Out:
    """A message of ours for the till, and what its answer decides."""

    apdu: bytes
    paid_reference: str | None = None
    """Set on each message of a payment's block (status, print lines, Completion)."""
    closes: bool = False
    """The Completion of a payment: the till's answer to it books the payment."""
    sent_at: datetime | None = None
    resends: int = 0
    resend_at: datetime | None = None


@dataclass(slots=True)
class Auth:
    reference: str
    amount_cents: int
    started: datetime
    wants_status: bool
    with_currency: bool
    last_status: datetime
    till_deadline: datetime
    """When the till stops waiting (T4 after our answer or its last acknowledged intermediate status)."""
    cancel_asked: bool = False


def outcome_line(kind: str, reference: str, detail: str = "") -> str:
    """The till message the journal queues for an outcome: ``ZVT <kind> <reference> [<detail>]``.

    A payment's detail is its Mion session id, then ``tip=<cents>`` when the customer added a tip."""
    return f"ZVT {kind} {reference} {detail}".rstrip()


def tip_of(fields: list[str]) -> int:
    """The ``tip=<cents>`` among a payment line's fields; 0 when there is none (tips off, no tip)."""
    for field in fields:
        value = field.removeprefix("tip=")
        if value != field and value.isascii() and value.isdigit():
            return int(value)
    return 0


class Terminal:
    def __init__(self, settings: Settings, desk: SaleDesk, *, now: Callable[[], datetime],
                 not_booked: Callable[[str, str], None]) -> None:
        self._settings = settings
        self._zvt = settings.zvt
        self._desk = desk
        self._now = now
        self._not_booked = not_booked
        self._password = bcd(int(settings.zvt.password), 3)
        self.config = LOGGED_OFF_CONFIG
        self.with_currency = False
        self.auth: Auth | None = None
        self.outbox: deque[Out] = deque()
        self.waiting: Out | None = None
        self.last_booking: st.Booking | None = None
        self._book = desk.zvt_book()
        self._restart_checked = False
        self._commands: dict[tuple[int, int], Callable[[bytes], list[bytes]]] = {
            (0x06, 0x00): self._register, (0x06, 0x02): self._log_off, (0x06, 0x01): self._authorize,
            (0x06, 0xB0): self._abort, (0x05, 0x01): self._status_enquiry, (0x06, 0x50): self._end_of_day,
            (0x06, 0x70): self._diagnosis, (0x06, 0x20): self._repeat_receipt,
        }

    # --- from the till ------------------------------------------------------------------------------

    def handle(self, apdu: Apdu) -> list[bytes]:
        """The APDUs to send for one APDU from the till: the answer first, then what may follow."""
        if apdu.cls in (0x80, 0x84):
            return self._answer(apdu)
        command = self._commands.get(apdu.command)
        if command is None:
            log.info("ZVT command %02X %02X is not supported: function not possible", apdu.cls, apdu.instr)
            return [st.nak(st.RC_NOT_POSSIBLE)]
        try:
            replies = command(apdu.data)
        except ZvtError as exc:
            log.info("ZVT command %02X %02X refused: %s", apdu.cls, apdu.instr, exc)
            code = st.RC_NOT_POSSIBLE if "unknown BMP" in str(exc) else st.RC_PROTOCOL_ERROR
            return [st.nak(code)]
        return replies + self._send()

    def _answer(self, apdu: Apdu) -> list[bytes]:
        out = self.waiting
        if out is None:
            return []  # an answer to nothing (a repeat): nothing to decide
        positive = apdu.cls == 0x80 or apdu.instr == 0x00
        if (not positive and apdu.instr == st.RC_PLEASE_WAIT and out.paid_reference is not None
                and out.resends < MAX_RESENDS):
            out.resend_at = self._now() + timedelta(seconds=RESEND_AFTER_S)
            return []
        auth = self.auth
        if positive and auth is not None and out.apdu[:2] == b"\x04\xff":  # the till waits T4 again
            auth.till_deadline = self._now() + timedelta(seconds=T4_S)
        self.waiting = None
        if out.paid_reference is not None and not positive:
            self._unbooked(out.paid_reference, f"the till refused the paid status (84 {apdu.instr:02X})")
        elif out.paid_reference is not None and out.closes:
            log.info("ZVT: the till booked sale %s", out.paid_reference)
            self._answered(out.paid_reference)
        return self._send()

    def _unbooked(self, reference: str, why: str) -> None:
        """The till did not book ``reference``: note it, and send it nothing more of that payment."""
        self._not_booked(reference, why)
        self._answered(reference)
        kept = [out for out in self.outbox if out.paid_reference != reference]
        self.outbox.clear()
        self.outbox.extend(kept)

    def _answered(self, reference: str) -> None:
        try:
            self._book.zvt_answered(reference)
        except StoreError as exc:
            log.error("ZVT: cannot note the till's answer for %s: %s", reference, exc)

    def _send(self) -> list[bytes]:
        if self.waiting is not None or not self.outbox:
            return []
        out = self.waiting = self.outbox.popleft()
        out.sent_at = self._now()
        return [out.apdu]

    def _queue(self, *apdus: bytes, paid_reference: str | None = None) -> None:
        for i, apdu in enumerate(apdus):
            closes = paid_reference is not None and i == len(apdus) - 1
            self.outbox.append(Out(apdu, paid_reference, closes=closes))

    def _password_ok(self, data: bytes) -> bool:
        return data[:3] == self._password

    # --- commands -------------------------------------------------------------------------------------

    def _register(self, data: bytes) -> list[bytes]:
        if len(data) < 4:
            raise ZvtError("registration without password and config byte")
        if not self._password_ok(data):
            log.warning("ZVT registration refused: wrong password")
            return [st.nak(st.RC_NOT_POSSIBLE)]
        rest, currency = data[4:], None
        if len(rest) >= 2 and rest[0] not in (0x03, 0x06):
            currency, rest = from_bcd(rest[:2]), rest[2:]
        parse_bmps(rest)
        if currency is not None and currency != st.EUR:
            log.warning("ZVT registration refused: currency %d is not EUR (978)", currency)
            return [st.nak(st.RC_WRONG_CURRENCY)]
        self.config, self.with_currency = data[3], currency is not None
        log.info("ZVT till registered (config %02X)", self.config)
        tail = b"\x49" + bcd(st.EUR, 2) if self.with_currency else b""
        self._queue(st.completion(b"\x19\x00\x29" + bcd(int(self._zvt.terminal_id), 4) + tail))
        return [st.ACK]

    def _log_off(self, data: bytes) -> list[bytes]:
        self.config, self.with_currency = LOGGED_OFF_CONFIG, False
        return [st.ACK]

    def _authorize(self, data: bytes) -> list[bytes]:
        fields = parse_bmps(data)
        if 0x04 not in fields:
            log.info("ZVT authorization without an amount: function not possible")
            return [st.nak(st.RC_NOT_POSSIBLE)]
        if 0x49 in fields and from_bcd(fields[0x49]) != st.EUR:
            return [st.nak(st.RC_WRONG_CURRENCY)]
        amount = from_bcd(fields[0x04])
        if self.auth is not None:
            return [st.nak(st.RC_PLEASE_WAIT)]
        try:
            self._end_orphan()
            reference = self._desk.start_sale(amount, None)
        except SaleRefused as refused:
            log.info("ZVT authorization of %d cents refused: %s %s", amount, refused.code, refused.reason)
            return [st.nak(self._refusal_code(refused.code, amount))]
        now = self._now()
        self.auth = Auth(reference, amount, now, bool(self.config & 0x08), self.with_currency or 0x49 in fields,
                         now, now + timedelta(seconds=T4_S))
        log.info("ZVT authorization of %d cents: sale %s", amount, reference)
        if self.auth.wants_status:
            self._queue(st.intermediate())
        return [st.ACK]

    def _end_orphan(self) -> None:
        """A till sale still open that no authorization of the till waits for (it was resumed after a
        restart; the till gave up on it then): the till's new authorization replaces it. A payment
        for it that still lands is noted as not booked by the till."""
        open_sale = self._desk.sale_state(None)
        if self.auth is None and open_sale is not None and open_sale.source is SaleSource.POS \
                and not open_sale.phase.is_final:
            log.info("ZVT: sale %s from before the restart is cancelled; the till starts a new one",
                     open_sale.reference)
            self._desk.cancel_sale(open_sale.reference)

    def _refusal_code(self, code: str, amount: int) -> int:
        if code == "AMOUNT_RANGE":
            return st.RC_MAX_AMOUNT if amount > self._settings.sale.max_amount_cents else st.RC_AMOUNT_TOO_SMALL
        return {"BUSY": st.RC_PLEASE_WAIT, "UNAVAILABLE": st.RC_NOT_READY}.get(code, st.RC_PROCESSING_ERROR)

    def _abort(self, data: bytes) -> list[bytes]:
        auth = self.auth
        if any(out.paid_reference for out in [*([self.waiting] if self.waiting else []), *self.outbox]):
            log.info("ZVT abort refused: the payment is done and its status is on its way")
            return [st.nak(st.RC_NOT_POSSIBLE)]
        if auth is None:
            return [st.ACK]
        try:
            self._desk.cancel_sale(auth.reference)
        except SaleRefused as refused:
            log.info("ZVT abort of sale %s not possible: %s", auth.reference, refused.reason)
            return [st.nak(st.RC_NOT_POSSIBLE)]
        log.info("ZVT: the till aborted sale %s", auth.reference)
        return [st.ACK]

    def _status_enquiry(self, data: bytes) -> list[bytes]:
        service = parse_bmps(data[3:]).get(0x03, b"\x00") if len(data) >= 3 else b"\x00"
        state = st.RC_PLEASE_WAIT if self.auth is not None else 0x00
        version = b"" if service[0] & 0x02 else llvar(f"kiosk {__version__}".encode("ascii", "replace"), 3)
        self._queue(st.completion(version + bytes([state])))
        return [st.ACK]

    def _end_of_day(self, data: bytes) -> list[bytes]:
        if not self._password_ok(data):
            log.warning("ZVT end-of-day refused: wrong password")
            return [st.nak(st.RC_NOT_POSSIBLE)]
        if self.auth is not None:
            return [st.nak(st.RC_PLEASE_WAIT)]
        at = self._local_now()
        try:
            totals = self._book.zvt_end_of_day()
        except StoreError as exc:
            log.error("ZVT end-of-day refused: the journal cannot be read or written: %s", exc)
            return [st.nak(st.RC_NOT_READY)]
        log.info("ZVT end-of-day: %d payments, %d cents", totals.day_count, totals.day_cents)
        self._queue(st.end_of_day_status(totals.day_cents, at), st.completion())
        return [st.ACK]

    def _diagnosis(self, data: bytes) -> list[bytes]:
        self._queue(st.completion())
        return [st.ACK]

    def _repeat_receipt(self, data: bytes) -> list[bytes]:
        if not self._password_ok(data):
            return [st.nak(st.RC_NOT_POSSIBLE)]
        booking = self.last_booking or self._journal_booking()
        if booking is None:
            return [st.nak(st.RC_NOT_POSSIBLE)]
        self._queue(st.paid_status(booking), st.completion())
        return [st.ACK]

    # --- from the kiosk ---------------------------------------------------------------------------------

    def outcome(self, line: str) -> list[bytes]:
        """Act on a till message the journal queued (:func:`outcome_line`); the APDUs to send now."""
        if not self._restart_checked:  # a payment unanswered before the restart is noted first, as such
            self._check_restart()
        parts = line.split()
        if len(parts) < 3 or parts[0] != "ZVT":
            return []
        kind, reference, rest = parts[1], parts[2], parts[3:]
        auth = self.auth
        mine = auth is not None and auth.reference == reference
        why = "paid after the till was told the sale failed, or after a restart"
        if auth is not None and mine and kind in ("PAID", "ENDED") and self._now() > auth.till_deadline:
            self.auth = auth = None  # the till stopped waiting: it has aborted on its side
            why = "paid after the till stopped waiting (T4)"
            log.info("ZVT sale %s ended after the till stopped waiting; the till is not told", reference)
        if kind == "PAID":
            session = rest[0] if rest else "-"
            if auth is None or not mine:
                self._not_booked(reference, why)
                return []
            total, tip = self._charged(auth, tip_of(rest[1:]))  # StoreError: the message waits
            counters = self._book.zvt_paid(reference, total)
            self.auth = None
            booking = self._booking(auth, session, counters, total, tip)
            self.last_booking = booking
            slip = st.slip_lines(booking)
            lines = [st.print_line(text, last=i == len(slip) - 1) for i, text in enumerate(slip)]
            prints = lines if self.config & 0x82 == 0x82 else []
            self._queue(st.paid_status(booking), *prints, st.completion(), paid_reference=reference)
        elif kind == "ENDED" and auth is not None and mine:
            self.auth = None
            code = st.ENDED_CODES.get(Phase(rest[0]) if rest and rest[0] in _PHASES else Phase.ERROR,
                                      st.RC_PROCESSING_ERROR)
            self._queue(st.failed_status(code, auth.amount_cents), st.abort(code))
        elif (kind == "SHOWN" and auth is not None and mine and auth.wants_status
              and self.waiting is None and not self.outbox):  # else one is on its way already
            auth.last_status = self._now()
            self._queue(st.intermediate())
        return self._send()

    def _charged(self, auth: Auth, line_tip: int) -> tuple[int, int]:
        """The total charged and the tip within it: as the journal keeps the sale (the amount its Mion
        session was created for, the total the customer saw), else the till's amount plus the tip
        the payment's line carries."""
        record = self._desk.sale_state(auth.reference)
        if record is None:
            return auth.amount_cents + line_tip, line_tip
        if record.amount_cents - record.tip_cents != auth.amount_cents:
            log.warning("ZVT sale %s: the journal has %d cents (tip %d) for the till's %d; the journal's are told",
                        auth.reference, record.amount_cents, record.tip_cents, auth.amount_cents)
        return record.amount_cents, record.tip_cents

    def _booking(self, auth: Auth, session: str, counters: ZvtCounters, total: int, tip: int) -> st.Booking:
        return st.Booking(amount_cents=total, tip_cents=tip, trace=counters.trace,
                          receipt=counters.receipt, at=self._local_now(), terminal_id=self._zvt.terminal_id,
                          card_name=self._zvt.card_name, session_id=session, reference=auth.reference,
                          with_currency=auth.with_currency)

    def _journal_booking(self) -> st.Booking | None:
        """The last paid till sale as the journal holds it (after a restart the memory is empty)."""
        record = self._desk.last_paid()
        if record is None or record.source is not SaleSource.POS or record.paid_at is None:
            return None
        counters = self._book.zvt_counters()
        numbered = counters.last_reference == record.reference  # else paid after the till gave up: no numbers
        return st.Booking(amount_cents=record.amount_cents, tip_cents=record.tip_cents, trace=counters.trace if numbered else 0,
                          receipt=counters.last_receipt if numbered else 0,
                          at=record.paid_at.astimezone(shop_timezone(self._settings)),
                          terminal_id=self._zvt.terminal_id, card_name=self._zvt.card_name,
                          session_id=record.session_id or "-", reference=record.reference,
                          with_currency=self.with_currency)

    def _local_now(self) -> datetime:
        return self._now().astimezone(shop_timezone(self._settings))

    def tick(self) -> list[bytes]:
        """Time passed: intermediate status, the bound for a till without it, resends and give-ups."""
        if not self._restart_checked:
            self._check_restart()
        now = self._now()
        out = self.waiting
        if out is not None and out.resend_at is not None and now >= out.resend_at:
            out.resend_at, out.resends, out.sent_at = None, out.resends + 1, now
            return [out.apdu]
        if out is not None and out.resend_at is None and out.sent_at is not None \
                and (now - out.sent_at).total_seconds() >= ANSWER_WAIT_S:
            self.waiting = None
            if out.paid_reference is not None:
                self._unbooked(out.paid_reference, "the till never answered the paid status")
            return self._send()
        auth = self.auth
        if auth is None:
            return []
        if not auth.cancel_asked and self._till_gives_up(auth, now):
            auth.cancel_asked = True
            try:
                self._desk.cancel_sale(auth.reference)
            except SaleRefused as refused:
                log.info("ZVT sale %s could not be cancelled: %s", auth.reference, refused.reason)
            return []
        due = (now - auth.last_status).total_seconds() >= self._zvt.status_interval_s
        if auth.wants_status and due and out is None and not self.outbox:
            auth.last_status = now
            self._queue(st.intermediate())
            return self._send()
        return []

    def _check_restart(self) -> None:
        """Once, at the start: a paid status the till had not answered when the kiosk stopped."""
        try:
            reference = self._book.zvt_counters().unanswered
        except StoreError as exc:
            log.error("ZVT: cannot read the terminal's counters: %s", exc)
            return
        self._restart_checked = True
        if reference is not None:
            self._unbooked(reference, "the kiosk restarted before the till acknowledged the paid status")

    def _till_gives_up(self, auth: Auth, now: datetime) -> bool:
        """The sale must end now, or the till stops waiting before it hears the outcome."""
        if not auth.wants_status and (now - auth.started).total_seconds() >= self._zvt.max_wait_s:
            log.info("ZVT sale %s: the till waits no longer than %.0f s; cancelling it", auth.reference,
                     self._zvt.max_wait_s)
            return True
        if now >= auth.till_deadline:
            log.info("ZVT sale %s: the till stopped answering and no longer waits; cancelling it", auth.reference)
            return True
        return False

    def reset(self) -> None:
        """The link was reopened: messages of ours in flight are lost."""
        lost = {out.paid_reference for out in ([self.waiting] if self.waiting else []) + list(self.outbox)}
        self.waiting = None
        self.outbox.clear()
        for reference in sorted(r for r in lost if r is not None):
            self._unbooked(reference, "the till's link dropped before it booked the payment")


_PHASES = {p.value for p in Phase}

