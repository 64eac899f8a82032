"""Reading a card: the NDEF URI record, and the Type 4 APDU sequence a PC/SC or PN532 reader sends."""

from __future__ import annotations

import os

import pytest

from kiosk.inputs.boltcard.card_pcsc import read_ndef
from kiosk.inputs.boltcard.ndef import NdefError, uri_from_message, uri_record
from kiosk.inputs.boltcard.source import CardError

LINK = "lnurlw://card.example.com/ln?p=00112233445566778899AABBCCDDEEFF&c=0011223344556677"


def test_a_uri_record_reads_back_with_its_prefix_code() -> None:
    assert uri_from_message(uri_record(LINK)) == LINK
    abbreviated = bytes([0xD1, 0x01, 1 + len(b"card.example.com/x"), 0x55, 0x04]) + b"card.example.com/x"
    assert uri_from_message(abbreviated) == "https://card.example.com/x"


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "no NDEF record"),
    (bytes([0xD1, 0x01, 0x05, 0x54, 0x02]) + b"enab", "not a link"),  # a text record
    (bytes([0xD1, 0x01, 0x20, 0x55, 0x00]) + b"short", "cut short"),
    (bytes([0xD1, 0x01, 0x02, 0x55, 0x99]) + b"x", "unknown prefix"),
    (bytes([0xD1, 0x01, 0x03, 0x55, 0x00]) + b"\xff\xfe", "not readable"),
])
def test_bad_ndef_data_gets_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(NdefError, match=reason):
        uri_from_message(data)


class FakeType4Card:
    """An NTAG 424-like NDEF application: CC file E103, NDEF file E104, reads of at most ``max_read``."""

    def __init__(self, message: bytes, max_read: int = 0x3B) -> None:
        self.files = {(0xE1, 0x03): bytes([0x00, 0x17, 0x20, 0x00, max_read, 0x00, 0x80, 0x04, 0x06, 0xE1, 0x04,
                                           0x01, 0x00, 0x00, 0x00]),
                      (0xE1, 0x04): len(message).to_bytes(2, "big") + message}
        self.selected: tuple[int, int] | None = None
        self.app = False
        self.sent: list[list[int]] = []

    def transmit(self, apdu: list[int]) -> tuple[list[int], int, int]:
        self.sent.append(apdu)
        if apdu[:4] == [0x00, 0xA4, 0x04, 0x00]:
            self.app = apdu[5:12] == [0xD2, 0x76, 0x00, 0x00, 0x85, 0x01, 0x01]
            return ([], 0x90, 0x00) if self.app else ([], 0x6A, 0x82)
        if apdu[:2] == [0x00, 0xA4] and self.app:
            self.selected = (apdu[5], apdu[6])
            return [], 0x90, 0x00
        if apdu[:2] == [0x00, 0xB0] and self.selected is not None:
            offset, length = (apdu[2] << 8) | apdu[3], apdu[4]
            return list(self.files[self.selected][offset:offset + length]), 0x90, 0x00
        return [], 0x6D, 0x00


def test_the_ndef_file_is_read_in_chunks_no_larger_than_the_card_allows() -> None:
    card = FakeType4Card(uri_record(LINK), max_read=0x10)
    assert read_ndef(card.transmit) == LINK
    reads = [apdu for apdu in card.sent if apdu[1] == 0xB0]
    assert max(apdu[4] for apdu in reads) <= 0x10 and len(reads) > 3


def test_a_card_without_the_ndef_application_is_not_a_payment_card() -> None:
    card = FakeType4Card(uri_record(LINK))
    card.app = False

    def no_app(apdu: list[int]) -> tuple[list[int], int, int]:
        return [], 0x6A, 0x82

    with pytest.raises(CardError, match="no payment link"):
        read_ndef(no_app)


def test_a_failed_read_names_the_step_and_status() -> None:
    card = FakeType4Card(uri_record(LINK))

    def denied(apdu: list[int]) -> tuple[list[int], int, int]:
        if apdu[1] == 0xB0 and card.selected == (0xE1, 0x04):
            return [], 0x69, 0x82
        return card.transmit(apdu)

    with pytest.raises(CardError, match=r"NDEF length: 6982"):
        read_ndef(denied)


@pytest.mark.hardware
def test_a_real_pcsc_reader_reads_a_presented_card() -> None:
    """Hold a Bolt Card on the reader within 10 s of the start."""
    name = os.environ.get("KIOSK_TEST_NFC_READER")  # part of the reader's name, e.g. "ACR1252" or "uTrust"
    if name is None:
        pytest.skip("needs a PC/SC reader and a Bolt Card: set KIOSK_TEST_NFC_READER to part of the reader's name")
    from kiosk.inputs.boltcard.card_pcsc import PcscCardSource

    source = PcscCardSource(name)
    source.open()
    uri = source.wait_tap(10.0)
    assert uri is not None and uri.lower().startswith("lnurlw://")
