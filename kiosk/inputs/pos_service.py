"""The kiosk's own line protocol, as a till protocol: every command line gets exactly one reply line.

:class:`PosService` owns a :class:`~kiosk.inputs.pos_protocol.PosDecoder`, turns each decoded command
into a call on a :class:`~kiosk.inputs.till_protocol.SaleDesk` and encodes the answer. It does no I/O.
:class:`LineTill` plugs it into the till seam and words the events (invoice shown, paid, ended) that
the journal queues for the till.

Nothing the till sends can make this raise: a refusal becomes ``ERR <code> <reason>``, and even an
unexpected failure inside the kiosk becomes ``ERR INTERNAL`` (logged with its traceback). The amount
range and the busy policy are not checked here: the register decides them, and its refusal comes back
as :class:`~kiosk.errors.SaleRefused`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from kiosk import __version__
from kiosk.config import Settings
from kiosk.core import events as ev
from kiosk.errors import SaleRefused
from kiosk.inputs import pos_protocol
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
from kiosk.inputs.till_protocol import SaleDesk, TillProtocol
from kiosk.store.records import SaleRecord

log = logging.getLogger(__name__)

LINE_ENDING = b"\r\n"


class PosService:
    """Decode the till's bytes and answer each complete line with one reply line (CR LF included)."""

    def __init__(self, desk: SaleDesk, *, version: str) -> None:
        self._desk = desk
        self._version = printable_ascii(version, 40).replace(" ", "_")
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

    def replies(self, data: bytes) -> Iterator[bytes]:
        """Feed bytes from the till; yield each reply line (CR LF included) as its command is handled."""
        for message in self._decoder.feed(data):
            yield self.handle(message).encode("ascii", "replace") + LINE_ENDING

    def handle_bytes(self, data: bytes) -> list[bytes]:
        """Feed bytes from the till; return the reply lines to write back, in order."""
        return list(self.replies(data))

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


class LineTill(TillProtocol):
    """The line protocol of ``docs/pos-protocol.md`` behind the till seam."""

    def __init__(self, settings: Settings, desk: SaleDesk, post: Callable[[ev.Event], None], *,
                 version: str = __version__) -> None:
        super().__init__(settings, desk, post)
        self.service = PosService(desk, version=version)

    def receive(self, data: bytes) -> Iterator[bytes]:
        return self.service.replies(data)

    def reset(self) -> None:
        self.service.reset()

    invoice_message = staticmethod(pos_protocol.event_invoice)
    paid_message = staticmethod(pos_protocol.event_for_payment)
    ended_message = staticmethod(pos_protocol.event_for_ending)
