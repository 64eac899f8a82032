"""The NDEF URI record a Bolt Card holds, decoded from the bytes of its NDEF file (NFC Forum URI RTD).

Pure: bytes in, the URI out, or :class:`NdefError` with a reason. Only the first record is read.
"""

from __future__ import annotations

from kiosk.errors import KioskError

URI_PREFIXES = (
    "", "http://www.", "https://www.", "http://", "https://", "tel:", "mailto:", "ftp://anonymous:anonymous@",
    "ftp://ftp.", "ftps://", "sftp://", "smb://", "nfs://", "ftp://", "dav://", "news:", "telnet://", "imap:",
    "rtsp://", "urn:", "pop:", "sip:", "sips:", "tftp:", "btspp://", "btl2cap://", "btgoep://", "tcpobex://",
    "irdaobex://", "file://", "urn:epc:id:", "urn:epc:tag:", "urn:epc:pat:", "urn:epc:raw:", "urn:epc:",
    "urn:nfc:",
)
"""The URI record's one-byte abbreviations, by code (0x00 to 0x23)."""
MAX_URI_BYTES = 1024


class NdefError(KioskError, ValueError):
    """The card's NDEF data holds no readable URI record."""


def uri_from_message(data: bytes) -> str:
    """The URI of the first record of an NDEF message (without its 2-byte NLEN).

    Raises:
        NdefError: no URI record, or one cut short.
    """
    if len(data) < 3:
        raise NdefError("the card holds no NDEF record")
    header, type_len = data[0], data[1]
    short = bool(header & 0x10)
    has_id = bool(header & 0x08)
    pos = 2
    if short:
        payload_len = data[pos]
        pos += 1
    else:
        if len(data) < pos + 4:
            raise NdefError("the card's NDEF record is cut short")
        payload_len = int.from_bytes(data[pos:pos + 4], "big")
        pos += 4
    id_len = 0
    if has_id:
        if len(data) <= pos:
            raise NdefError("the card's NDEF record is cut short")
        id_len = data[pos]
        pos += 1
    record_type = data[pos:pos + type_len]
    pos += type_len + id_len
    payload = data[pos:pos + payload_len]
    if header & 0x07 != 0x01 or record_type != b"U":
        raise NdefError("the card's first NDEF record is not a link")
    if len(payload) != payload_len or payload_len < 1 or payload_len > MAX_URI_BYTES:
        raise NdefError("the card's link is cut short or too long")
    code = payload[0]
    if code >= len(URI_PREFIXES):
        raise NdefError("the card's link has an unknown prefix")
    try:
        rest = payload[1:].decode("utf-8")
    except UnicodeDecodeError:
        raise NdefError("the card's link is not readable text") from None
    return URI_PREFIXES[code] + rest


def uri_record(uri: str) -> bytes:
    """An NDEF message of one short URI record holding ``uri`` unabbreviated (fakes and tests)."""
    payload = b"\x00" + uri.encode("utf-8")
    if len(payload) > 255:
        raise ValueError("too long for a short record")
    return bytes([0xD1, 0x01, len(payload)]) + b"U" + payload
