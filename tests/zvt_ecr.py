"""A till (ECR) side of ZVT written from the specification, for the tests: it builds and reads the
bytes itself and shares no code with the kiosk's codec, so it checks the kiosk's bytes independently.

:class:`EcrWire` is sans I/O: ``feed`` the kiosk's bytes, read the decoded APDUs from ``received``;
``command`` gives the bytes to send (framed for serial). The ECR answers every PT message with
``80 00 00`` itself (``auto_ack``), as the spec asks, and records every byte in ``trace``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def crc16_kermit(data: bytes) -> int:
    """CRC-CCITT, reflected (x^16+x^12+x^5+1 read LSB first), init 0: the ZVT serial checksum."""
    crc = 0
    for b in data:
        q = (crc ^ b) & 0x0F
        crc = (crc >> 4) ^ (q * 0x1081)
        q = (crc ^ (b >> 4)) & 0x0F
        crc = (crc >> 4) ^ (q * 0x1081)
    return crc


def frame(apdu: bytes) -> bytes:
    body = bytearray()
    for b in apdu:
        body += b"\x10\x10" if b == 0x10 else bytes([b])
    crc = crc16_kermit(apdu + b"\x03")
    return b"\x10\x02" + bytes(body) + b"\x10\x03" + crc.to_bytes(2, "little")


def apdu(cls: int, ins: int, data: bytes = b"") -> bytes:
    n = len(data)
    head = bytes([n]) if n < 255 else b"\xff" + n.to_bytes(2, "little")
    return bytes([cls, ins]) + head + data


def bcd_amount(cents: int) -> bytes:
    return bytes.fromhex(f"{cents:012d}")


def registration(password: str = "000000", config: int = 0xBE, currency: bool = True) -> bytes:
    return apdu(0x06, 0x00, bytes.fromhex(password) + bytes([config]) + (b"\x09\x78" if currency else b"")
                + b"\x03\x00")


def authorization(cents: int) -> bytes:
    return apdu(0x06, 0x01, b"\x04" + bcd_amount(cents) + b"\x49\x09\x78")


ABORT = apdu(0x06, 0xB0)
LOG_OFF = apdu(0x06, 0x02)
ACK_APDU = b"\x80\x00\x00"


def end_of_day(password: str = "000000") -> bytes:
    return apdu(0x06, 0x50, bytes.fromhex(password))


def status_fields(data: bytes) -> dict[int, bytes]:
    """Read the BMPs of a status information (04 0F) that the tests look at; stops at anything else."""
    sizes = {0x27: 1, 0x04: 6, 0x0B: 3, 0x0C: 3, 0x0D: 2, 0x87: 2, 0x19: 1, 0x29: 4, 0x49: 2, 0x8A: 1}
    out: dict[int, bytes] = {}
    i = 0
    while i < len(data):
        tag = data[i]
        i += 1
        if tag in sizes:
            n = sizes[tag]
        elif tag == 0x8B:  # LLVAR
            n = (data[i] & 0x0F) * 10 + (data[i + 1] & 0x0F)
            i += 2
        elif tag == 0x3C:  # LLLVAR
            n = (data[i] & 0x0F) * 100 + (data[i + 1] & 0x0F) * 10 + (data[i + 2] & 0x0F)
            i += 3
        else:
            break
        out[tag] = data[i:i + n]
        i += n
    return out


@dataclass
class EcrWire:
    serial: bool
    auto_ack: bool = True
    received: list[bytes] = field(default_factory=list)
    """Every APDU from the kiosk, whole (class, instr, length, data)."""
    link_acks: list[int] = field(default_factory=list)
    trace: list[tuple[str, bytes]] = field(default_factory=list)
    """("ECR", bytes) and ("PT", bytes) as they went over the wire."""
    _buf: bytearray = field(default_factory=bytearray)

    def command(self, raw_apdu: bytes) -> bytes:
        wire = frame(raw_apdu) if self.serial else raw_apdu
        self.trace.append(("ECR", wire))
        return wire

    def feed(self, data: bytes) -> bytes:
        """Take the kiosk's bytes; return what the ECR writes back (link ACKs, 80 00 00 answers)."""
        if data:
            self.trace.append(("PT", data))
        self._buf += data
        out = b""
        while True:
            got = self._take()
            if got is None:
                break
            out += got
        if out:
            self.trace.append(("ECR", out))
        return out

    def _take(self) -> bytes | None:
        buf = self._buf
        if not buf:
            return None
        if self.serial:
            if buf[0] in (0x06, 0x15):
                self.link_acks.append(buf[0])
                del buf[:1]
                return b""
            if buf[:2] != b"\x10\x02":
                raise AssertionError(f"not a frame: {bytes(buf).hex(' ')}")
            body, i = bytearray(), 2
            while True:
                if i + 1 >= len(buf):
                    return None
                if buf[i] == 0x10 and buf[i + 1] == 0x10:
                    body.append(0x10)
                    i += 2
                elif buf[i] == 0x10 and buf[i + 1] == 0x03:
                    break
                else:
                    body.append(buf[i])
                    i += 1
            if len(buf) < i + 4:
                return None
            crc = int.from_bytes(buf[i + 2:i + 4], "little")
            assert crc == crc16_kermit(bytes(body) + b"\x03"), "bad CRC from the kiosk"
            del buf[:i + 4]
            raw = bytes(body)
            self.received.append(raw)
            return b"\x06" + (self._answer(raw) or b"")
        if len(buf) < 3:
            return None
        n, head = (buf[2], 3) if buf[2] != 0xFF else (int.from_bytes(buf[3:5], "little"), 5)
        if len(buf) < head + n or (buf[2] == 0xFF and len(buf) < 5):
            return None
        raw = bytes(buf[:head + n])
        del buf[:head + n]
        self.received.append(raw)
        return self._answer(raw) or b""

    def _answer(self, raw: bytes) -> bytes | None:
        if raw[0] in (0x80, 0x84) or not self.auto_ack:
            return None
        return frame(ACK_APDU) if self.serial else ACK_APDU

    def finished(self) -> bytes | None:
        """The completion (06 0F) or abort (06 1E) that ended the last command, if it came."""
        for raw in reversed(self.received):
            if raw[:2] in (b"\x06\x0f", b"\x06\x1e"):
                return raw
        return None

    def statuses(self) -> list[dict[int, bytes]]:
        return [status_fields(raw[3:]) for raw in self.received if raw[:2] == b"\x04\x0f"]
