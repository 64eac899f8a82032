"""ZVT behind the till seam: the kiosk answers as a payment terminal (``[pos] mode = "zvt"``).

On the serial link every APDU travels in a DLE frame and each frame is acknowledged with one ACK or
NAK byte; the kiosk sends its next frame only after the till's ACK, and repeats a frame the till NAKs
or leaves unanswered for 5 s (T2) at most twice; on TCP (``[zvt] listen``) APDUs travel bare. The
:class:`~kiosk.inputs.zvt.terminal.Terminal` decides the answers. The sale's outcome comes back as
the message the journal queued for the till (:meth:`message_bytes`), so the till hears of a payment
only once it is recorded; time passing (:meth:`on_tick`) sends intermediate status and bounds the
sale for a till that wants none.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

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
"""A frame the till NAKs, or does not ACK in time, is sent again at most this many times."""
ACK_WAIT_S = 5.0
"""T2: how long the till has to ACK a frame before it is sent again."""

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
        self._pending: deque[bytes] = deque()
        """Frames waiting for the till's ACK of the frame in flight (serial)."""
        self._in_flight: bytes | None = None
        self._ack_due = self.now
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
                    yield from self._out(replies)
                case BadFrame(reason=reason):
                    log.info("ZVT frame from the till refused (NAK): %s", reason)
                    yield bytes([NAK])
                case LinkAck(ok=True):
                    self._in_flight = None
                    yield from self._next_frame()
                case LinkAck(ok=False):
                    yield from self._repeat("the till answered NAK")

    def _out(self, apdus: list[bytes]) -> list[bytes]:
        """What to write now for ``apdus``: bare on TCP; on serial one frame at a time, each after the
        till's ACK of the one before."""
        if not self.framed:
            return apdus
        self._pending.extend(encode_frame(apdu) for apdu in apdus)
        return self._next_frame()

    def _next_frame(self) -> list[bytes]:
        if self._in_flight is not None or not self._pending:
            return []
        frame = self._in_flight = self._pending.popleft()
        self._repeats = 0
        self._ack_due = self.now + timedelta(seconds=ACK_WAIT_S)
        return [frame]

    def _repeat(self, why: str) -> list[bytes]:
        frame = self._in_flight
        if frame is None:
            return []
        if self._repeats < MAX_REPEATS:
            self._repeats += 1
            self._ack_due = self.now + timedelta(seconds=ACK_WAIT_S)
            return [frame]
        log.warning("ZVT transmission error: %s %d times; frame dropped", why, MAX_REPEATS + 1)
        self._in_flight = None
        return self._next_frame()

    def message_bytes(self, line: str) -> bytes:
        return b"".join(self._out(self.terminal.outcome(line)))

    def on_tick(self, now: datetime) -> Iterator[bytes]:
        self.now = now
        yield from self._out(self.terminal.tick())
        if self.framed and self._in_flight is not None and now >= self._ack_due:
            yield from self._repeat(f"no ACK within {ACK_WAIT_S:.0f} s")

    def reset(self) -> None:
        self._frames.reset()
        self._apdus.reset()
        self._pending.clear()
        self._in_flight = None
        self.terminal.reset()

    @staticmethod
    def invoice_message(reference: str, sat: int, expires_at: datetime, *, tip_cents: int = 0) -> str | None:
        return outcome_line("SHOWN", reference)

    @staticmethod
    def paid_message(paid: PaidSale) -> str | None:
        tip = f" tip={paid.tip_cents}" if paid.tip_cents else ""
        return outcome_line("PAID", paid.reference, paid.session_id + tip)

    @staticmethod
    def ended_message(reference: str, phase: Phase, detail: str | None) -> str | None:
        return outcome_line("ENDED", reference, phase.value)
