"""The ZVT codec: APDUs, BMP fields, BCD, LLVAR, TLV and the serial frame."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.inputs.zvt.apdu import (
    Apdu,
    ApduStream,
    ZvtError,
    bcd,
    decode_apdu,
    encode_apdu,
    from_bcd,
    llvar,
    parse_bmps,
    parse_tlv,
    tlv,
)
from kiosk.inputs.zvt.serial_frame import (
    MAX_FRAME,
    BadFrame,
    Frame,
    FrameStream,
    LinkAck,
    crc_kermit,
    encode_frame,
)

apdus = st.builds(Apdu, st.integers(0, 255), st.integers(0, 255), st.binary(max_size=600))


def test_crc_check_value_and_published_frames() -> None:
    assert crc_kermit(b"123456789") == 0x2189
    assert encode_frame(bytes.fromhex("800000")) == bytes.fromhex("1002800000 1003 F51F")


def test_amount_12_50_eur_is_bcd_cents() -> None:
    assert bcd(1250, 6) == bytes.fromhex("000000001250")
    assert from_bcd(bytes.fromhex("000000001250")) == 1250
    with pytest.raises(ZvtError):
        bcd(10 ** 12, 6)
    with pytest.raises(ZvtError):
        from_bcd(b"\x1a")


def test_length_forms_at_their_boundary() -> None:
    assert encode_apdu(0x06, 0xD3, bytes(254))[:3] == bytes.fromhex("06D3FE")
    assert encode_apdu(0x06, 0xD3, bytes(255))[:5] == bytes.fromhex("06D3FF FF00")
    assert encode_apdu(0x04, 0x0F, bytes(256))[:5] == bytes.fromhex("040FFF 0001")
    assert decode_apdu(bytes.fromhex("040FFF0001") + bytes(256)).data == bytes(256)


def test_llvar_and_lllvar() -> None:
    assert llvar(b"abc") == bytes.fromhex("F0F3") + b"abc"
    assert llvar(b"x" * 123, 3) == bytes.fromhex("F1F2F3") + b"x" * 123
    with pytest.raises(ZvtError):
        llvar(b"x" * 100)


def test_real_registration_bmps_and_tlv() -> None:
    # A card complete log: 06 00 10 12 34 56 3E 09 78 03 03 06 06 26 04 0A 02 06 D3
    apdu = decode_apdu(bytes.fromhex("0600 10 123456 3E 0978 0303 0606 2604 0A0206D3"))
    assert apdu.command == (0x06, 0x00)
    fields = parse_bmps(apdu.data[6:])
    assert fields[0x03] == b"\x03"
    assert parse_tlv(fields[0x06]) == [(0x26, bytes.fromhex("0A0206D3"))]
    assert parse_tlv(tlv(0x1F07, b"\x01") + tlv(0x24, b"y" * 300)) == [(0x1F07, b"\x01"), (0x24, b"y" * 300)]


def test_unknown_bmp_and_truncation_are_refused() -> None:
    with pytest.raises(ZvtError, match="unknown BMP 07"):
        parse_bmps(b"\x07\x00")
    with pytest.raises(ZvtError):
        parse_bmps(b"\x04\x00\x00")
    with pytest.raises(ZvtError):
        parse_bmps(b"\x8b\xf0")


@given(apdus)
def test_apdu_round_trip(apdu: Apdu) -> None:
    assert decode_apdu(apdu.encode()) == apdu


@settings(max_examples=60, deadline=None)
@given(st.lists(apdus, min_size=1, max_size=4))
def test_apdu_stream_at_every_chunk_size(batch: list[Apdu]) -> None:
    wire = b"".join(a.encode() for a in batch)
    for size in range(1, min(len(wire), 40) + 1):
        stream = ApduStream()
        got = [a for at in range(0, len(wire), size) for a in stream.feed(wire[at:at + size])]
        assert got == batch
        assert stream.pending == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(apdus, min_size=1, max_size=3))
def test_frames_round_trip_at_every_chunk_size(batch: list[Apdu]) -> None:
    wire = b"".join(encode_frame(a.encode()) for a in batch)
    for size in range(1, min(len(wire), 40) + 1):
        stream = FrameStream()
        got = [i for at in range(0, len(wire), size) for i in stream.feed(wire[at:at + size])]
        assert got == [Frame(a.encode()) for a in batch]


def test_link_acks_and_a_bad_crc() -> None:
    frame = bytearray(encode_frame(bytes.fromhex("060100")))
    frame[-1] ^= 1
    assert list(FrameStream().feed(b"\x06" + bytes(frame) + b"\x15")) == [
        LinkAck(True), BadFrame("CRC does not match"), LinkAck(False)]


def test_an_endless_frame_is_cut_at_the_bound() -> None:
    stream = FrameStream()
    items = list(stream.feed(b"\x10\x02" + b"\x41" * (MAX_FRAME + 10)))
    assert items == [BadFrame(f"frame longer than {MAX_FRAME} bytes")]
    assert stream.pending <= MAX_FRAME


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_only_the_codec_error(data: bytes) -> None:
    for parse in (decode_apdu, parse_bmps, parse_tlv):
        try:
            parse(data)
        except ZvtError:
            pass
    frames = FrameStream()
    list(frames.feed(data))
    assert frames.pending <= MAX_FRAME
    stream = ApduStream()
    list(stream.feed(data))
    assert stream.pending <= 5 + 0xFFFF
