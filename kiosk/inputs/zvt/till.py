"""ZVT behind the till seam: the kiosk answers as a payment terminal (``[pos] mode = "zvt"``).

On the serial link every APDU travels in a DLE frame and each frame is acknowledged with one ACK or
NAK byte (a NAK of ours is resent, at most twice); on TCP (``[zvt] listen``) APDUs travel bare. The
:class:`~kiosk.inputs.zvt.terminal.Terminal` decides the answers. The sale's outcome comes back as
the message the journal queued for the till (:meth:`message_bytes`), so the till hears of a payment
only once it is recorded; time passing (:meth:`on_tick`) sends intermediate status and bounds the
sale for a till that wants none.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from kiosk.config import Settings
from kiosk.core import events as ev
from kiosk.core.model import Phase
from kiosk.inputs.till_protocol import PaidSale, SaleDesk, TillProtocol
from kiosk.inputs.zvt import status as st
from kiosk.inputs.zvt.apdu import ApduStream, ZvtError, decode_apdu
from kiosk.inputs.zvt.serial_frame import ACK, NAK, BadFrame, Frame, FrameStream, LinkAck, encode_frame
from kiosk.inputs.zvt.terminal import Terminal, outcome_line

log = logging.getLogger(__name__)

MAX_REPEATS = 2
"""A frame the till NAKs is sent again at most this many times."""

class ZvtTill(TillProtocol):
    """The kiosk as a ZVT payment terminal. See docs/zvt.md."""

    def __init__(self, settings: Settings, desk: SaleDesk, post: Callable[[ev.Event], None]) -> None:
        super().__init__(settings, desk, post)
        self.framed = settings.zvt.address is None
        self.now = datetime.now(UTC)
        self.terminal = Terminal(settings, desk, now=lambda: self.now,
                                 not_booked=self.not_booked)
        self._frames = FrameStream()
        self._apdus = ApduStream()
        self._last_frame: bytes | None = None
        self._repeats = 0

    def not_booked(self, reference: str, reason: str) -> None:
        """A payment the till did not book: the desk notes it (journal, merchant slip, log)."""
        self.desk.not_booked(reference, reason)

    def receive(self, data: bytes) -> Iterator[bytes]:
        if not self.framed:
            for apdu in self._apdus.feed(data):
                yield from self.terminal.handle(apdu)
            return
        for item in self._frames.feed(data):
            match item:
                case Frame(apdu=raw):
                    yield bytes([ACK])
                    try:
                        replies = self.terminal.handle(decode_apdu(raw))
                    except ZvtError as exc:
                        log.info("ZVT frame refused: %s", exc)
                        replies = [st.nak(st.RC_PROTOCOL_ERROR)]
                    for reply in replies:
                        yield self._frame(reply)
                case BadFrame(reason=reason):
                    log.info("ZVT frame from the till refused (NAK): %s", reason)
                    yield bytes([NAK])
                case LinkAck(ok=ok):
                    if ok:
                        self._repeats = 0
                    elif self._last_frame is not None and self._repeats < MAX_REPEATS:
                        self._repeats += 1
                        yield self._last_frame

    def _frame(self, apdu: bytes) -> bytes:
        frame = self._last_frame = encode_frame(apdu)
        self._repeats = 0
        return frame

    def _wire(self, apdus: list[bytes]) -> bytes:
        return b"".join(self._frame(a) if self.framed else a for a in apdus)

    def message_bytes(self, line: str) -> bytes:
        return self._wire(self.terminal.outcome(line))

    def on_tick(self, now: datetime) -> Iterator[bytes]:
        self.now = now
        for apdu in self.terminal.tick():
            yield self._frame(apdu) if self.framed else apdu

    def reset(self) -> None:
        self._frames.reset()
        self._apdus.reset()
        self._last_frame = None
        self.terminal.reset()

    @staticmethod
    def invoice_message(reference: str, sat: int, expires_at: datetime) -> str | None:
        return outcome_line("SHOWN", reference)

    @staticmethod
    def paid_message(paid: PaidSale) -> str | None:
        return outcome_line("PAID", paid.reference, paid.session_id)

    @staticmethod
    def ended_message(reference: str, phase: Phase, detail: str | None) -> str | None:
        return outcome_line("ENDED", reference, phase.value)
