"""The till's line protocol: decoding lines into commands, and encoding replies and events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.inputs.pos_protocol import (
    MAX_LINE_CHARS,
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
    event_cancelled,
    event_error,
    event_expired,
    event_invoice,
    event_paid,
    parse_line,
    reply_error,
    reply_ok,
)

VALID_LINES: list[tuple[bytes, PosMessage]] = [
    (b"SALE 1250", StartSale(amount_cents=1250)),
    (b"sale 1250 R-42", StartSale(amount_cents=1250, reference="R-42")),
    (b"  Sale\t7   till.1_x  ", StartSale(amount_cents=7, reference="till.1_x")),
    (b"SALE 0", StartSale(amount_cents=0)),  # syntactically fine; the service refuses the range
    (b"SALE 0001250", StartSale(amount_cents=1250)),
    (b"CANCEL", CancelSale()),
    (b"cancel R1", CancelSale(reference="R1")),
    (b"STATUS", QueryStatus()),
    (b"STATUS K1-0007", QueryStatus(reference="K1-0007")),
    (b"PING", Ping()),
    (b"version", Version()),
    (b"HELP", Help()),
]

INVALID_LINES: list[tuple[bytes, ErrorCode]] = [
    (b"SALE", ErrorCode.SYNTAX),
    (b"SALE 1 R1 extra", ErrorCode.SYNTAX),
    (b"SALE 12.50", ErrorCode.BAD_AMOUNT),
    (b"SALE 12,50", ErrorCode.BAD_AMOUNT),
    (b"SALE -5", ErrorCode.BAD_AMOUNT),
    (b"SALE +5", ErrorCode.BAD_AMOUNT),
    (b"SALE 1e3", ErrorCode.BAD_AMOUNT),
    (b"SALE ten", ErrorCode.BAD_AMOUNT),
    (b"SALE 100 -R1", ErrorCode.BAD_REFERENCE),
    (b"SALE 100 " + b"R" * 33, ErrorCode.BAD_REFERENCE),
    (b"SALE 100 a/b", ErrorCode.BAD_REFERENCE),
    (b"CANCEL R1 R2", ErrorCode.SYNTAX),
    (b"STATUS R=1", ErrorCode.BAD_REFERENCE),
    (b"PING now", ErrorCode.SYNTAX),
    (b"PAY 100", ErrorCode.UNKNOWN_COMMAND),
    (b"\x00\x01", ErrorCode.NOT_TEXT),
    (b"SALE 100 \xc3\xa4", ErrorCode.NOT_TEXT),
    (b"SALE \x7f100", ErrorCode.NOT_TEXT),
]


@pytest.mark.parametrize(("line", "expected"), VALID_LINES)
def test_valid_line_decodes_to_its_command(line: bytes, expected: PosMessage) -> None:
    assert PosDecoder().feed(line + b"\r\n") == [expected]


@pytest.mark.parametrize(("line", "code"), INVALID_LINES)
def test_invalid_line_gives_one_specific_error(line: bytes, code: ErrorCode) -> None:
    messages = PosDecoder().feed(line + b"\n")
    assert len(messages) == 1
    assert isinstance(messages[0], PosLineError)
    assert messages[0].code is code
    assert messages[0].reason  # a human-readable reason, never empty


def test_bad_amount_explains_whole_cents() -> None:
    error = parse_line(b"SALE 12.50")
    assert isinstance(error, PosLineError) and "1250" in error.reason


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b"\r"])
def test_every_line_ending_is_accepted(ending: bytes) -> None:
    stream = ending.join([b"PING", b"VERSION", b"STATUS R1"]) + ending
    assert PosDecoder().feed(stream) == [Ping(), Version(), QueryStatus(reference="R1")]


def test_blank_lines_are_ignored_and_half_lines_wait() -> None:
    decoder = PosDecoder()
    assert decoder.feed(b"\r\n\n  \r\nPI") == []
    assert decoder.feed(b"NG") == []
    assert decoder.feed(b"\r") == [Ping()]
    assert decoder.feed(b"\n") == []  # the LF of that CR LF, not a second line


def test_longest_line_is_accepted_and_one_more_character_is_not() -> None:
    reference = b"R" * 32
    padding = b" " * (MAX_LINE_CHARS - len(b"SALE 1 ") - len(reference))
    longest = b"SALE 1" + padding + b" " + reference
    assert len(longest) == MAX_LINE_CHARS
    assert PosDecoder().feed(longest + b"\r\n") == [StartSale(amount_cents=1, reference="R" * 32)]
    too_long = PosDecoder().feed(b" " + longest + b"\r\n")
    assert [m.code for m in too_long if isinstance(m, PosLineError)] == [ErrorCode.LINE_TOO_LONG]


def test_overlong_line_errs_once_then_resynchronises_at_next_line_ending() -> None:
    decoder = PosDecoder()
    first = decoder.feed(b"X" * 1000)
    assert [m.code for m in first if isinstance(m, PosLineError)] == [ErrorCode.LINE_TOO_LONG]
    assert decoder.feed(b"Y" * 5000 + b"SALE 5\r\n") == []  # still the same overlong line
    assert decoder.feed(b"PING\r\n") == [Ping()]


def test_reset_forgets_a_half_line() -> None:
    decoder = PosDecoder()
    decoder.feed(b"SALE 99")
    decoder.reset()
    assert decoder.feed(b"PING\n") == [Ping()]


STREAM = (b"PING\r\nSALE 1250 R1\nsale 12.50\r\n\r\nCANCEL\rSTATUS R1\r\n" + b"Z" * 400 + b"\r\nVERSION\n"
          b"\xff\xfe\x00garbage\nHELP\r\nnope\r\n")


def _decode_in_chunks(stream: bytes, size: int) -> list[PosMessage]:
    decoder = PosDecoder()
    out: list[PosMessage] = []
    for start in range(0, len(stream), size):
        out += decoder.feed(stream[start:start + size])
    return out


def test_result_does_not_depend_on_how_bytes_are_split() -> None:
    whole = PosDecoder().feed(STREAM)
    assert len(whole) == 10
    for size in range(1, len(STREAM) + 1):
        assert _decode_in_chunks(STREAM, size) == whole, f"chunk size {size}"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.lists(st.integers(min_value=1, max_value=64), min_size=1, max_size=20))
def test_arbitrary_bytes_never_raise_and_splitting_never_matters(data: bytes, sizes: list[int]) -> None:
    whole = PosDecoder().feed(data)
    decoder = PosDecoder()
    pieces: list[PosMessage] = []
    position, index = 0, 0
    while position < len(data):
        size = sizes[index % len(sizes)]
        pieces += decoder.feed(data[position:position + size])
        position, index = position + size, index + 1
    assert pieces == whole


# --- encoders ------------------------------------------------------------------------------------

PAID_AT = datetime(2026, 11, 28, 16, 50, 4, 123456, tzinfo=UTC)


def test_replies_have_the_documented_shape() -> None:
    assert reply_ok("PONG") == "OK PONG"
    assert reply_ok("SALE", ref="R1", amount=1250, sat=None) == "OK SALE ref=R1 amount=1250"
    assert reply_error(ErrorCode.BUSY, "sale R1 is open") == "ERR BUSY sale R1 is open"


def test_events_carry_reference_and_utc_times() -> None:
    helsinki = timezone(timedelta(hours=2))
    expires = datetime(2026, 11, 28, 18, 52, 0, tzinfo=helsinki)
    assert event_invoice("R1", 21_000, expires) == "EVENT INVOICE ref=R1 sat=21000 expires=2026-11-28T16:52:00Z"
    assert event_paid("R1", "ps_9", PAID_AT, 21_000) == (
        "EVENT PAID ref=R1 session=ps_9 paid_at=2026-11-28T16:50:04Z sat=21000")
    assert event_expired("R1") == "EVENT EXPIRED ref=R1"
    assert event_cancelled("R1") == "EVENT CANCELLED ref=R1"
    assert event_error("R1", "Mion refused: HTTP 400") == "EVENT ERROR ref=R1 Mion refused: HTTP 400"


def test_event_values_cannot_break_the_framing() -> None:
    line = event_paid("R1", "ps 1\r\nEVENT PAID ref=X", PAID_AT, 5)
    assert "\r" not in line and "\n" not in line
    assert line.split()[3] == "session=ps_1__EVENT_PAID_ref=X"
    error = event_error("R1", "Zahlung ungültig\r\n" + "x" * 500)
    assert error.isascii() and "\n" not in error and len(error) <= MAX_LINE_CHARS
    assert error.startswith("EVENT ERROR ref=R1 Zahlung ungultig x")


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        event_invoice("R1", 1, datetime(2026, 1, 1))


def test_encoded_events_are_not_commands() -> None:
    # A till that echoes what it receives must not trigger anything: events decode to UNKNOWN_COMMAND.
    decoded = PosDecoder().feed(event_expired("R1").encode() + b"\r\n")
    assert [m.code for m in decoded if isinstance(m, PosLineError)] == [ErrorCode.UNKNOWN_COMMAND]
