"""ZVT application protocol data units (APDUs), sans I/O.

An APDU is ``CLASS INSTR LEN data``; a response is ``CCRC APRC LEN data`` (``80 00`` positive,
``84 xx`` negative with result code ``xx``). ``LEN`` is one byte (0..254), or ``FF lo hi``
(little-endian, 0..65535). Inside an APDU the data is a run of BMP fields: a one-byte tag followed
by a value whose length is fixed by the tag, an LLVAR/LLLVAR (``Fx Fy [Fz]`` decimal digits), or for
BMP ``06`` a BER-TLV container (big-endian BER length).

Everything here is pure. Anything malformed raises :class:`ZvtError`, and nothing else, whatever the
bytes: the callers turn it into the protocol's answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

MAX_DATA = 0xFFFF
"""Longest APDU data the extended length form can carry."""


class ZvtError(ValueError):
    """Bytes that are not valid ZVT (the codec's only exception)."""


@dataclass(frozen=True, slots=True)
class Apdu:
    """One APDU: for commands ``cls``/``instr``; for responses CCRC/APRC."""

    cls: int
    instr: int
    data: bytes = b""

    @property
    def command(self) -> tuple[int, int]:
        return self.cls, self.instr

    def encode(self) -> bytes:
        return encode_apdu(self.cls, self.instr, self.data)


def encode_length(n: int) -> bytes:
    """``LEN`` for ``n`` data bytes: one byte below 255, else ``FF lo hi``."""
    if not 0 <= n <= MAX_DATA:
        raise ZvtError(f"APDU data of {n} bytes does not fit the length field (at most {MAX_DATA})")
    if n < 0xFF:
        return bytes([n])
    return bytes([0xFF, n & 0xFF, n >> 8])


def encode_apdu(cls: int, instr: int, data: bytes = b"") -> bytes:
    return bytes([cls, instr]) + encode_length(len(data)) + data


def decode_apdu(raw: bytes) -> Apdu:
    """Exactly one APDU in ``raw``."""
    apdu, used = _split(raw)
    if apdu is None:
        raise ZvtError(f"APDU truncated: {raw.hex(' ')}")
    if used != len(raw):
        raise ZvtError(f"{len(raw) - used} bytes after the APDU")
    return apdu


def _split(buf: bytes | bytearray) -> tuple[Apdu | None, int]:
    """The first APDU of ``buf`` and its size, or (None, 0) while incomplete."""
    if len(buf) < 3:
        return None, 0
    if buf[2] == 0xFF:
        if len(buf) < 5:
            return None, 0
        n, head = buf[3] | buf[4] << 8, 5
    else:
        n, head = buf[2], 3
    if len(buf) < head + n:
        return None, 0
    return Apdu(buf[0], buf[1], bytes(buf[head:head + n])), head + n


class ApduStream:
    """Reassembles APDUs from a byte stream split anywhere (the TCP transport).

    The buffer never holds more than one APDU's worth (at most 5 + 65535 bytes).
    """

    def __init__(self) -> None:
        self._buf = bytearray()

    def reset(self) -> None:
        self._buf.clear()

    @property
    def pending(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> Iterator[Apdu]:
        self._buf += data
        while True:
            apdu, used = _split(self._buf)
            if apdu is None:
                return
            del self._buf[:used]
            yield apdu


# --- BCD and variable lengths --------------------------------------------------------------------------


def bcd(value: int, size: int) -> bytes:
    """``value`` as ``size`` bytes of packed BCD (``1250``, 6 -> ``00 00 00 00 12 50``)."""
    digits = str(value)
    if value < 0 or len(digits) > 2 * size:
        raise ZvtError(f"{value} does not fit {size} BCD bytes")
    return bytes.fromhex(digits.zfill(2 * size))


def from_bcd(raw: bytes) -> int:
    """The number in packed BCD ``raw``."""
    text = raw.hex()
    if not text.isdigit():
        raise ZvtError(f"not BCD: {raw.hex(' ')}")
    return int(text) if text else 0


def llvar(data: bytes, digits: int = 2) -> bytes:
    """``data`` behind an LLVAR (2 digits) or LLLVAR (3 digits) length: ``F0 F3`` + 3 bytes."""
    n = len(data)
    if n >= 10 ** digits:
        raise ZvtError(f"{n} bytes do not fit a {digits}-digit length")
    return bytes(0xF0 | int(d) for d in str(n).zfill(digits)) + data


def _var_length(buf: bytes, at: int, digits: int) -> int:
    head = buf[at:at + digits]
    if len(head) < digits or any(b & 0xF0 != 0xF0 or b & 0x0F > 9 for b in head):
        raise ZvtError(f"bad {'L' * digits}VAR length at byte {at}")
    return int("".join(str(b & 0x0F) for b in head))


# --- TLV (BMP 06) ---------------------------------------------------------------------------------------


def ber_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    if n <= 0xFF:
        return bytes([0x81, n])
    if n <= 0xFFFF:
        return bytes([0x82, n >> 8, n & 0xFF])
    raise ZvtError(f"TLV value of {n} bytes is too long")


def tlv(tag: int, value: bytes) -> bytes:
    """One TLV: ``tag`` written in as many bytes as it needs (``0x1F07`` -> ``1F 07``)."""
    size = max(1, (tag.bit_length() + 7) // 8)
    return tag.to_bytes(size, "big") + ber_length(len(value)) + value


def _read_ber_length(buf: bytes, at: int) -> tuple[int, int]:
    if at >= len(buf):
        raise ZvtError("TLV length missing")
    first = buf[at]
    if first < 0x80:
        return first, at + 1
    count = first & 0x7F
    if count not in (1, 2) or at + 1 + count > len(buf):
        raise ZvtError(f"bad TLV length byte {first:02X}")
    return int.from_bytes(buf[at + 1:at + 1 + count], "big"), at + 1 + count


def parse_tlv(buf: bytes) -> list[tuple[int, bytes]]:
    """The TLVs at the top level of ``buf`` as (tag, value); nested containers are left as values."""
    out: list[tuple[int, bytes]] = []
    at = 0
    while at < len(buf):
        start = at
        at += 1
        if buf[start] & 0x1F == 0x1F:  # multi-byte tag: continuation bytes have bit 8 set
            while True:
                if at >= len(buf) or at - start > 3:
                    raise ZvtError("TLV tag truncated")
                at += 1
                if not buf[at - 1] & 0x80:
                    break
        tag = int.from_bytes(buf[start:at], "big")
        n, at = _read_ber_length(buf, at)
        if at + n > len(buf):
            raise ZvtError(f"TLV {tag:X} runs past its container")
        out.append((tag, buf[at:at + n]))
        at += n
    return out


# --- BMP fields -----------------------------------------------------------------------------------------

FIXED: dict[int, int] = {
    0x01: 1, 0x02: 1, 0x03: 1, 0x04: 6, 0x05: 1, 0x0B: 3, 0x0C: 3, 0x0D: 2, 0x0E: 2, 0x17: 2,
    0x19: 1, 0x27: 1, 0x29: 4, 0x2A: 15, 0x3B: 8, 0x49: 2, 0x87: 2, 0x88: 3, 0x8A: 1, 0x8C: 1,
    0xA0: 1, 0xA7: 9, 0xAF: 5, 0xBA: 5, 0xD0: 1, 0xD2: 1, 0xD3: 1, 0xE0: 1, 0xE9: 1, 0xEA: 1, 0xF0: 1,
    0xF1: 1, 0xF2: 1, 0xF3: 1, 0xF4: 1, 0xF5: 1, 0xF6: 1, 0xF7: 1, 0xF8: 1, 0xF9: 1, 0xFA: 1, 0xFB: 1,
}
"""BMPs of fixed size (bytes after the tag)."""
LLVAR: frozenset[int] = frozenset({0x22, 0x23, 0x2D, 0x2E, 0x8B, 0x92, 0xE1, 0xE2, 0xE3, 0xE4, 0xE5})
LLLVAR: frozenset[int] = frozenset({0x24, 0x2C, 0x35, 0x37, 0x3A, 0x3C, 0x3D, 0x60, 0xA5})


def parse_bmps(buf: bytes) -> dict[int, bytes]:
    """The BMP fields of ``buf`` as {tag: value}; an unknown tag cannot be skipped and raises."""
    out: dict[int, bytes] = {}
    at = 0
    while at < len(buf):
        tag = buf[at]
        at += 1
        if tag in FIXED:
            n = FIXED[tag]
        elif tag in LLVAR:
            n = _var_length(buf, at, 2)
            at += 2
        elif tag in LLLVAR:
            n = _var_length(buf, at, 3)
            at += 3
        elif tag == 0x06:
            n, at = _read_ber_length(buf, at)
        else:
            raise ZvtError(f"unknown BMP {tag:02X}")
        if at + n > len(buf):
            raise ZvtError(f"BMP {tag:02X} truncated")
        out[tag] = buf[at:at + n]
        at += n
    return out


def bmp_tlv(items: bytes) -> bytes:
    """BMP 06 around the TLV bytes ``items``."""
    return b"\x06" + ber_length(len(items)) + items


def amount_bmp(cents: int) -> bytes:
    return b"\x04" + bcd(cents, 6)


def text_bmp(tag: int, text: str, digits: int) -> bytes:
    """A text BMP (``8B`` card name: LLVAR, ``3C`` additional text: LLLVAR) in CP437."""
    return bytes([tag]) + llvar(text.encode("cp437", "replace"), digits)
