"""Pole-display emulation: each command set paints the virtual 2x20 screen, and the total is found."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.config import PosSettings
from kiosk.inputs.pole import COMMAND_SETS, PoleDisplay, PoleUpdate, find_total_cents, parse_amount_cents
from kiosk.inputs.pos_console import POLE_SETS, pole_bytes

DEFAULT_PATTERN = PosSettings().total_pattern
BLANK = " " * 20


def pad(text: str) -> str:
    return text.ljust(20)


# One realistic "show the total" stream per command set, as the till's driver would send it.
TOTAL_STREAMS: dict[str, bytes] = {
    "cd5220": b"\x1b@\x0c\x1bQA" + b"TOTAL" + b" " * 15 + b"\r\x1bQB" + b" " * 15 + b"12.00\r",
    "epson": b"\x1b@\x0c\x1f\x01\x1fC\x00TOTAL\x1f$\x01\x02" + b" " * 15 + b"12.00",
    "logic_controls": b"\x1f\x11\x14\x10\x00TOTAL\x10\x14" + b" " * 15 + b"12.00",
    "aedex": b"!#1TOTAL\r!#2" + b" " * 15 + b"12.00\r",
}
TOTAL_LINES = (pad("TOTAL"), " " * 15 + "12.00")


def final_update(display: PoleDisplay, stream: bytes, size: int) -> list[PoleUpdate]:
    updates: list[PoleUpdate] = []
    for start in range(0, len(stream), size):
        updates += display.feed(stream[start:start + size])
    return updates + display.flush()


@pytest.mark.parametrize("command_set", sorted(TOTAL_STREAMS))
def test_total_stream_gives_lines_and_total_however_split(command_set: str) -> None:
    stream = TOTAL_STREAMS[command_set]
    whole = final_update(PoleDisplay(command_set, DEFAULT_PATTERN), stream, len(stream))
    assert whole[-1] == PoleUpdate(lines=TOTAL_LINES, total_cents=1200, settled=True)
    for size in range(1, len(stream)):
        assert final_update(PoleDisplay(command_set, DEFAULT_PATTERN), stream, size) == whole, size


def test_cd5220_cursor_moves_and_line_clear() -> None:
    pole = PoleDisplay("cd5220", DEFAULT_PATTERN)
    pole.feed(b"\x0cHELLO\x1bl\x05\x02WORLD")  # ESC l x y: column 5, row 2 (1-based)
    assert pole.flush()[-1].lines == (pad("HELLO"), pad("    WORLD"))
    pole.feed(b"\x18")  # CAN clears the cursor's line
    assert pole.lines == (pad("HELLO"), BLANK)


def test_epson_text_wraps_to_the_second_line_and_vertical_scroll_scrolls() -> None:
    pole = PoleDisplay("epson", DEFAULT_PATTERN)
    updates = pole.feed(b"\x0c" + b"A" * 20 + b"B" * 20)
    assert updates[-1].lines == ("A" * 20, "B" * 20)  # a full line is a settling point, no flush needed
    pole.feed(b"\x1f\x02\x1f$\x01\x02" + b"C" * 20 + b"D")
    assert pole.lines == ("C" * 20, pad("D"))


def test_epson_ignores_its_setting_commands_and_their_arguments() -> None:
    pole = PoleDisplay("epson", DEFAULT_PATTERN)
    pole.feed(b"\x1b=\x02\x1fX\x04\x1fE\x00\x1bt\x00\x0cOK")
    assert pole.flush()[-1].lines == (pad("OK"), BLANK)


def test_logic_controls_linear_positions() -> None:
    pole = PoleDisplay("logic_controls", DEFAULT_PATTERN)
    pole.feed(b"\x1f\x10\x05ab\x10\x19cd\x04\xff")  # 0x19 = 25 -> row 2, column 6
    assert pole.lines == (pad("     ab"), pad("     cd"))


def test_aedex_both_lines_and_plain_exclamation_marks() -> None:
    pole = PoleDisplay("aedex", DEFAULT_PATTERN)
    updates = pole.feed(b"!#9" + b"THANK YOU".ljust(20) + b"TOTAL 3,50\r")
    assert updates == [PoleUpdate(lines=(pad("THANK YOU"), pad("TOTAL 3,50")), total_cents=350)]
    pole.feed(b"\x0d!x")  # '!' that starts no command is text
    assert pole.lines == (pad("!xANK YOU"), pad("TOTAL 3,50"))


def test_unchanged_screen_is_reported_once_of_each_kind() -> None:
    pole = PoleDisplay("cd5220", DEFAULT_PATTERN)
    assert pole.feed(TOTAL_STREAMS["cd5220"])
    assert pole.flush() == [PoleUpdate(lines=TOTAL_LINES, total_cents=1200, settled=True)]
    assert pole.feed(b"\x1bQB" + b" " * 15 + b"12.00\r") == []
    assert pole.flush() == []


def test_only_the_settled_screen_pairs_the_total_with_its_own_amount() -> None:
    pole = PoleDisplay("cd5220", DEFAULT_PATTERN)
    pole.feed(b"\x1bQACoffee\r\x1bQB2.50\r")
    pole.flush()
    # The till repaints line by line: between its two commands the screen reads "TOTAL / 2.50".
    repaint = pole.feed(b"\x1bQATOTAL\r\x1bQB12.50\r")
    assert [(u.total_cents, u.settled) for u in repaint] == [(250, False), (1250, False)]
    assert pole.flush() == [PoleUpdate(lines=(pad("TOTAL"), pad("12.50")), total_cents=1250, settled=True)]


def test_lost_cr_does_not_swallow_the_display_forever() -> None:
    pole = PoleDisplay("cd5220", DEFAULT_PATTERN)
    pole.feed(b"\x1bQA" + b"x" * 200)  # CR never came: the command is dropped
    pole.feed(b"\x1bQBok\r")
    assert pole.lines[1] == pad("ok")


@pytest.mark.parametrize(("text", "cents"), [
    ("12.00", 1200), ("12,00", 1200), ("0,99", 99), ("1.234,56", 123_456), ("1,234.56", 123_456),
    ("1 234,56", 123_456), ("12.5", None), ("12", None), ("abc", None),
])
def test_amount_forms(text: str, cents: int | None) -> None:
    assert parse_amount_cents(text) == cents


@pytest.mark.parametrize(("lines", "cents"), [
    (("TOTAL", "12,00"), 1200),
    (("SUBTOTAL 3.00", "TOTAL 5.00"), 500),  # SUBTOTAL is not the total
    (("TOTAL -12.00", ""), None),  # a refund is never a sale
    (("TOTAL 1.234,56", ""), 123_456),  # thousands separators are read, never misread as 1.23
    (("TOTAL 0.00", ""), None),
    (("ITEM 3.00", ""), None),
])
def test_total_recognition_is_careful(lines: tuple[str, str], cents: int | None) -> None:
    assert find_total_cents(lines, re.compile(DEFAULT_PATTERN)) == cents


def test_a_better_pattern_reads_thousands() -> None:
    pattern = re.compile(r"\bTOTAL\D*?(\d{1,3}(?:[.,' ]\d{3})*[.,]\d{2})(?!\d)")
    assert find_total_cents((pad("TOTAL"), "1.234,56".rjust(20)), pattern) == 123_456


@pytest.mark.parametrize("command_set", POLE_SETS)
def test_console_bytes_round_trip_through_the_emulation(command_set: str) -> None:
    pole = PoleDisplay(command_set, DEFAULT_PATTERN)
    data = pole_bytes(command_set, "total 7,25")
    assert data is not None
    updates = pole.feed(data) + pole.flush()
    assert updates[-1] == PoleUpdate(lines=(pad("TOTAL"), "7,25".rjust(20)), total_cents=725, settled=True)
    pole.feed(pole_bytes(command_set, "Coffee|2.50") or b"")
    assert pole.lines == (pad("Coffee"), pad("2.50"))


def test_no_command_prefix_hides_another() -> None:
    for name, commands in COMMAND_SETS.items():
        prefixes = [c.prefix for c in commands]
        for a in prefixes:
            assert not any(b != a and b.startswith(a) for b in prefixes), (name, a)


def test_bad_construction_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown pole command set"):
        PoleDisplay("ibm", DEFAULT_PATTERN)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(COMMAND_SETS)), st.binary(max_size=300), st.integers(min_value=1, max_value=17))
def test_arbitrary_bytes_never_raise_and_splitting_never_matters(command_set: str, data: bytes, size: int) -> None:
    whole = final_update(PoleDisplay(command_set, DEFAULT_PATTERN), data, max(len(data), 1))
    assert final_update(PoleDisplay(command_set, DEFAULT_PATTERN), data, size) == whole
    assert all(len(line) == 20 for update in whole for line in update.lines)
