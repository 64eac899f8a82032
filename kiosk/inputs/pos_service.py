"""The till's side of the kiosk: every command line gets exactly one reply line.

:class:`PosService` owns a :class:`~kiosk.inputs.pos_protocol.PosDecoder`, turns each decoded command
into a call on the app (the :class:`SaleDesk` protocol) and encodes the answer. It does no I/O: the
serial link hands it bytes and writes back what it returns. Events (invoice shown, paid, ...) are
not sent from here; the app encodes them with ``pos_protocol.event_*`` and queues them.

Nothing the till sends can make this class raise: a refusal becomes ``ERR <code> <reason>``, and
even an unexpected failure inside the app becomes ``ERR INTERNAL`` (logged with its traceback), so
the serial reader thread keeps running.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from kiosk.errors import KioskError
from kiosk.inputs.pos_protocol import (
    COMMAND_NAMES,
    PROTOCOL_STATES,
    PROTOCOL_VERSION,
    CancelSale,
    ErrorCode,
    Help,
    Ping,
    PosDecoder,
    PosLineError,
    PosMessage,
    QueryStatus,
    StartSale,
    Version,
    printable_ascii,
    reply_error,
    reply_ok,
)
from kiosk.store.records import SaleRecord

log = logging.getLogger(__name__)

LINE_ENDING = b"\r\n"


class SaleRefused(KioskError):
    """The app will not do what the till asked.

    Attributes:
        code: one of :class:`~kiosk.inputs.pos_protocol.ErrorCode`'s names, e.g. ``"BUSY"``,
            ``"NO_SALE"``, ``"UNKNOWN_REFERENCE"``, ``"DUPLICATE_REFERENCE"``, ``"FINISHED"``,
            ``"UNAVAILABLE"``. Anything else is sent as ``REFUSED``.
        reason: one human-readable sentence for the till's operator; never a secret.
    """

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


class SaleDesk(Protocol):
    """What the till may ask of the app. Implemented by the app; called on the serial reader thread."""

    def start_sale(self, amount_cents: int, reference: str | None) -> str:
        """Open a sale for ``amount_cents``; return its reference (the till's, or a generated one).

        Raises:
            SaleRefused: e.g. BUSY (another sale is open), DUPLICATE_REFERENCE, UNAVAILABLE.
        """
        ...

    def cancel_sale(self, reference: str | None) -> str:
        """Cancel the open sale (None) or the sale with ``reference``; return the cancelled reference.

        Raises:
            SaleRefused: e.g. NO_SALE, UNKNOWN_REFERENCE, FINISHED (already paid/ended).
        """
        ...

    def sale_state(self, reference: str | None) -> SaleRecord | None:
        """The journal's record of the current sale (None) or of ``reference``; None if there is none."""
        ...


class PosService:
    """Decode the till's bytes and answer each complete line with one reply line (CR LF included)."""

    def __init__(self, desk: SaleDesk, *, max_amount_cents: int, version: str,
                 busy_policy: str = "refuse") -> None:
        if busy_policy not in ("refuse", "replace"):
            raise ValueError(f"busy_policy must be refuse or replace, got {busy_policy!r}")
        self._desk = desk
        self._max_amount_cents = max_amount_cents
        self._version = printable_ascii(version, 40).replace(" ", "_")
        self._busy_policy = busy_policy
        self._decoder = PosDecoder()
        self._handlers: Mapping[type[Any], Callable[[Any], str]] = {
            StartSale: self._start_sale,
            CancelSale: self._cancel_sale,
            QueryStatus: self._query_status,
            Ping: lambda _: reply_ok("PONG"),
            Version: lambda _: reply_ok("VERSION", kiosk=self._version, protocol=PROTOCOL_VERSION),
            Help: lambda _: reply_ok("HELP", commands=",".join(COMMAND_NAMES)),
        }

    def reset(self) -> None:
        """Drop a half-received line; call it when the port was reopened."""
        self._decoder.reset()

    def handle_bytes(self, data: bytes) -> list[bytes]:
        """Feed bytes from the till; return the reply lines to write back, in order."""
        return [self.handle(message).encode("ascii", "replace") + LINE_ENDING for message in self._decoder.feed(data)]

    def handle(self, message: PosMessage) -> str:
        """The one reply line (without ending) for one decoded message."""
        if isinstance(message, PosLineError):
            log.info("till line refused: %s %s", message.code.value, message.reason)
            return reply_error(message.code, message.reason)
        try:
            return self._handlers[type(message)](message)
        except SaleRefused as refused:
            log.info("till request %s refused: %s %s", type(message).__name__, refused.code, refused.reason)
            return reply_error(_known_code(refused.code), refused.reason)
        except Exception:  # the reader thread must survive a bug in the app; the till still gets its reply
            log.exception("till request %s failed inside the kiosk", type(message).__name__)
            return reply_error(ErrorCode.INTERNAL, "the kiosk failed to handle the request; see its log")

    def _start_sale(self, command: StartSale) -> str:
        amount = command.amount_cents
        if not 1 <= amount <= self._max_amount_cents:
            return reply_error(ErrorCode.AMOUNT_RANGE,
                               f"amount {amount} is outside 1 to {self._max_amount_cents} cents")
        try:
            reference = self._desk.start_sale(amount, command.reference)
        except SaleRefused as refused:
            if refused.code != ErrorCode.BUSY or self._busy_policy != "replace":
                raise
            replaced = self._desk.cancel_sale(None)
            log.info("till sale replaces open sale %s", replaced)
            reference = self._desk.start_sale(amount, command.reference)
        log.info("till started sale %s for %d cents", reference, amount)
        return reply_ok("SALE", ref=reference, amount=amount)

    def _cancel_sale(self, command: CancelSale) -> str:
        reference = self._desk.cancel_sale(command.reference)
        log.info("till cancelled sale %s", reference)
        return reply_ok("CANCEL", ref=reference)

    def _query_status(self, command: QueryStatus) -> str:
        record = self._desk.sale_state(command.reference)
        if record is None:
            if command.reference is not None:
                return reply_error(ErrorCode.UNKNOWN_REFERENCE, f"no sale with reference {command.reference}")
            return reply_ok("STATUS", state="IDLE")
        return status_line(record)


def status_line(record: SaleRecord) -> str:
    """``OK STATUS ref=.. state=.. amount=.. [sat=..] [session=..] [paid_at=..]`` for one journal record."""
    return reply_ok("STATUS", ref=record.reference, state=PROTOCOL_STATES[record.phase],
                    amount=record.amount_cents, sat=record.amount_sat, session=record.session_id,
                    paid_at=record.paid_at)


def _known_code(code: str) -> ErrorCode:
    try:
        return ErrorCode(code)
    except ValueError:
        log.warning("the app refused with an undocumented code %r; sent as REFUSED", code)
        return ErrorCode.REFUSED
