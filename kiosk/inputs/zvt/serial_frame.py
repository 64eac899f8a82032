"""ZVT's serial transport, sans I/O: ``DLE STX <APDU, DLE doubled> DLE ETX <CRC lo> <CRC hi>``.

The CRC is CRC-16/KERMIT (reflected polynomial 0x1021, init 0, no final XOR; "123456789" -> 0x2189)
over the unstuffed APDU and the ETX, sent low byte first and not stuffed. The receiver answers every
frame with one raw ``ACK`` (06) or ``NAK`` (15) byte; those are never framed nor acknowledged.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from kiosk.inputs.zvt.apdu import MAX_DATA

DLE, STX, ETX, ACK, NAK = 0x10, 0x02, 0x03, 0x06, 0x15
MAX_FRAME = MAX_DATA + 5
"""Longest unstuffed frame body (an APDU with the extended length); longer input is refused."""


def crc_kermit(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc


def encode_frame(apdu: bytes) -> bytes:
    crc = crc_kermit(apdu + bytes([ETX]))
    return bytes([DLE, STX]) + apdu.replace(b"\x10", b"\x10\x10") + bytes([DLE, ETX, crc & 0xFF, crc >> 8])


@dataclass(frozen=True, slots=True)
class Frame:
    """A frame whose CRC matched: answer ACK."""

    apdu: bytes


@dataclass(frozen=True, slots=True)
class BadFrame:
    """A frame that cannot be taken (CRC, stuffing, length): answer NAK."""

    reason: str


@dataclass(frozen=True, slots=True)
class LinkAck:
    """The peer's ACK (True) or NAK (False) for the last frame we sent."""

    ok: bool


Item = Frame | BadFrame | LinkAck


class FrameStream:
    """Splits a serial byte stream into frames and link acknowledgements. Bytes outside a frame other
    than ACK/NAK are dropped; the buffer never exceeds :data:`MAX_FRAME` bytes."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._state = "idle"  # idle, dle, body, body_dle, crc
        self._body = bytearray()
        self._crc = bytearray()

    @property
    def pending(self) -> int:
        return len(self._body) + len(self._crc)

    def feed(self, data: bytes) -> Iterator[Item]:
        for byte in data:
            item = self._step(byte)
            if item is not None:
                yield item

    def _step(self, byte: int) -> Item | None:
        state = self._state
        if state == "idle":
            if byte == ACK or byte == NAK:
                return LinkAck(byte == ACK)
            if byte == DLE:
                self._state = "dle"
            return None
        if state == "dle":
            if byte == STX:
                self._state, self._body = "body", bytearray()
            elif byte in (ACK, NAK):
                self._state = "idle"
                return LinkAck(byte == ACK)
            else:
                self._state = "dle" if byte == DLE else "idle"
            return None
        if state == "body":
            if byte == DLE:
                self._state = "body_dle"
                return None
            return self._add(byte)
        if state == "body_dle":
            if byte == DLE:
                self._state = "body"
                return self._add(byte)
            if byte == ETX:
                self._state, self._crc = "crc", bytearray()
                return None
            self.reset()
            if byte == STX:  # a new frame began inside the old one: drop the old one
                self._state = "body"
            return BadFrame(f"DLE followed by {byte:02X} inside a frame")
        self._crc.append(byte)
        if len(self._crc) < 2:
            return None
        body, crc = bytes(self._body), self._crc[0] | self._crc[1] << 8
        self.reset()
        if crc_kermit(body + bytes([ETX])) != crc:
            return BadFrame("CRC does not match")
        return Frame(body)

    def _add(self, byte: int) -> Item | None:
        if len(self._body) >= MAX_FRAME:
            self.reset()
            return BadFrame(f"frame longer than {MAX_FRAME} bytes")
        self._body.append(byte)
        return None
