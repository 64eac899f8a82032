"""A USB CCID reader through pcscd (ACR1252U, Identiv uTrust 3700 F): wait for a card, read its NDEF file.

Needs ``pcscd`` (apt: pcscd libccid) and pyscard (pip: pyscard, which builds with swig and
libpcsclite-dev). pyscard is imported when the source opens, so a kiosk without tap to pay never loads it.

A card's presence is waited for by pcscd (``CardRequest.waitforcard``: SCardGetStatusChange, no polling
in this process). The NDEF file is read with ISO 7816-4 APDUs (NFC Forum Type 4 Tag): select the NDEF
application, read the capability container for the NDEF file's id and the largest read, select the
file, read its length, then the message in chunks. On an NTAG 424 each read of the file gives a fresh
single-use link, so the file is read once per tap. The same card must be taken away before it counts again.
"""

from __future__ import annotations

import logging
from typing import Any

from kiosk.inputs.boltcard.ndef import NdefError, uri_from_message
from kiosk.inputs.boltcard.source import CardError, CardSource

log = logging.getLogger(__name__)

SELECT_NDEF_APP = [0x00, 0xA4, 0x04, 0x00, 0x07, 0xD2, 0x76, 0x00, 0x00, 0x85, 0x01, 0x01, 0x00]
CC_FILE = (0xE1, 0x03)
MAX_NDEF_BYTES = 1024


def select_file(file_id: tuple[int, int]) -> list[int]:
    return [0x00, 0xA4, 0x00, 0x0C, 0x02, *file_id]


def read_binary(offset: int, length: int) -> list[int]:
    return [0x00, 0xB0, (offset >> 8) & 0xFF, offset & 0xFF, length & 0xFF]


def read_ndef(transmit: Any) -> str:
    """The URI on a Type 4 tag, through ``transmit(apdu) -> (data, sw1, sw2)``.

    Raises:
        CardError: not an NDEF card, or a read failed.
    """
    def send(apdu: list[int], what: str) -> bytes:
        data, sw1, sw2 = transmit(apdu)
        if (sw1, sw2) == (0x6A, 0x82):
            raise CardError("this card holds no payment link")
        if (sw1, sw2) != (0x90, 0x00):
            raise CardError(f"the card could not be read ({what}: {sw1:02X}{sw2:02X})")
        return bytes(data)

    send(SELECT_NDEF_APP, "select")
    send(select_file(CC_FILE), "capability container")
    cc = send(read_binary(0, 15), "capability container")
    if len(cc) < 15 or cc[7] != 0x04:
        raise CardError("the card's NDEF description is unreadable")
    max_read = max(1, min(int.from_bytes(cc[3:5], "big"), 0xFF))
    file_id = (cc[9], cc[10])
    send(select_file(file_id), "NDEF file")
    length = int.from_bytes(send(read_binary(0, 2), "NDEF length")[:2], "big")
    if not 0 < length <= MAX_NDEF_BYTES:
        raise CardError("the card's NDEF message is empty or too long")
    message = bytearray()
    while len(message) < length:
        chunk = send(read_binary(2 + len(message), min(max_read, length - len(message))), "NDEF message")
        if not chunk:
            raise CardError("the card's NDEF message is cut short")
        message += chunk
    try:
        return uri_from_message(bytes(message[:length]))
    except NdefError as exc:
        raise CardError(str(exc)) from None


class PcscCardSource(CardSource):
    def __init__(self, device: str = "") -> None:
        self.device = device
        """Part of the reader's name (the ACR1252U has a PICC and a SAM slot: pick the PICC), "" = first."""
        self._problem: str | None = None
        self._closed = False

    def open(self) -> None:
        try:
            import smartcard.System  # noqa: F401 - fail early and plainly when pyscard is missing
        except ImportError:
            self._problem = "pyscard missing"
            raise CardError("pyscard is not installed (pip install pyscard)") from None

    def _readers(self) -> list[Any]:
        from smartcard.System import readers

        found = [r for r in readers() if self.device.lower() in str(r).lower()]
        if self.device == "" and len(found) > 1:
            found = [r for r in found if "sam" not in str(r).lower()] or found
        return found

    def wait_tap(self, timeout_s: float) -> str | None:
        if self._closed or self._problem == "pyscard missing":
            return None
        from smartcard.CardRequest import CardRequest
        from smartcard.Exceptions import CardRequestTimeoutException, SmartcardException

        try:
            readers = self._readers()
        except SmartcardException:
            self._problem = "no pcscd"
            return None
        if not readers:
            self._problem = "no reader"
            return None
        self._problem = None
        try:
            service = CardRequest(timeout=timeout_s, readers=readers, newcardonly=True).waitforcard()
        except CardRequestTimeoutException:
            return None
        except SmartcardException as exc:
            raise CardError("the card reader failed") from exc
        try:
            service.connection.connect()
            return read_ndef(service.connection.transmit)
        except SmartcardException:
            raise CardError("the card was taken away too soon") from None
        finally:
            try:
                service.connection.disconnect()
            except SmartcardException:
                pass

    def close(self) -> None:
        self._closed = True

    @property
    def problem(self) -> str | None:
        return self._problem
