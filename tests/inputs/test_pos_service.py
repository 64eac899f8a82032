"""PosService: one reply per command line, against a small in-memory sale desk."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pos_fakes import FakeDesk

from kiosk.errors import SaleRefused
from kiosk.inputs.pos_service import PosService

MAX_CENTS = 100_000


@pytest.fixture
def desk() -> FakeDesk:
    return FakeDesk()


@pytest.fixture
def service(desk: FakeDesk) -> PosService:
    return PosService(desk, version="0.1.0")


def ask(service: PosService, line: str) -> str:
    replies = service.handle_bytes(line.encode() + b"\r\n")
    assert len(replies) == 1, replies
    assert replies[0].endswith(b"\r\n") and len(replies[0]) <= 256
    return replies[0].decode("ascii").removesuffix("\r\n")


def test_ping_version_help(service: PosService) -> None:
    assert ask(service, "PING") == "OK PONG"
    assert ask(service, "VERSION") == "OK VERSION kiosk=0.1.0 protocol=1"
    assert ask(service, "HELP") == "OK HELP commands=SALE,CANCEL,STATUS,PING,VERSION,HELP"


def test_sale_with_and_without_reference(service: PosService, desk: FakeDesk) -> None:
    assert ask(service, "SALE 1250 T-9") == "OK SALE ref=T-9 amount=1250"
    ask(service, "CANCEL")
    assert ask(service, "SALE 300") == "OK SALE ref=K1-0001 amount=300"


def test_second_sale_while_one_is_open_is_refused_and_changes_nothing(service: PosService, desk: FakeDesk) -> None:
    ask(service, "SALE 1250 A")
    assert ask(service, "SALE 999 B") == "ERR BUSY sale A is still open; CANCEL it first"
    assert desk.open_reference == "A" and "B" not in desk.records


@pytest.mark.parametrize("amount", [0, MAX_CENTS + 1, 10**40])
def test_amount_outside_bounds_is_refused_and_opens_nothing(
        service: PosService, desk: FakeDesk, amount: int) -> None:
    reply = ask(service, f"SALE {amount}")
    assert reply.startswith("ERR AMOUNT_RANGE ") and f"1 to {MAX_CENTS}" in reply
    assert desk.records == {} and desk.open_reference is None


@pytest.mark.parametrize("amount", [1, MAX_CENTS])
def test_amount_bounds_are_inclusive(service: PosService, amount: int) -> None:
    assert ask(service, f"SALE {amount}").startswith("OK SALE ")


def test_malformed_lines_get_err_and_do_not_reach_the_desk(service: PosService, desk: FakeDesk) -> None:
    for line, code in [("SALE 12.50", "BAD_AMOUNT"), ("REFUND 5", "UNKNOWN_COMMAND"), ("SALE", "SYNTAX")]:
        assert ask(service, line).startswith(f"ERR {code} ")
    assert service.handle_bytes(b"\xff" * 300 + b"\n") == [
        b"ERR LINE_TOO_LONG line longer than 254 characters; ignored up to its end\r\n"]
    assert desk.calls == []


def test_cancel_replies(service: PosService) -> None:
    assert ask(service, "CANCEL") == "ERR NO_SALE no sale is open"
    ask(service, "SALE 500 X1")
    assert ask(service, "CANCEL X1") == "OK CANCEL ref=X1"
    assert ask(service, "CANCEL X1") == "ERR FINISHED sale X1 is already cancelled"
    assert ask(service, "CANCEL X2") == "ERR UNKNOWN_REFERENCE no sale with reference X2"


def test_status_reports_the_journal_truth(service: PosService, desk: FakeDesk) -> None:
    assert ask(service, "STATUS") == "OK STATUS state=IDLE"
    assert ask(service, "STATUS NOPE") == "ERR UNKNOWN_REFERENCE no sale with reference NOPE"
    ask(service, "SALE 1250 R7")
    assert ask(service, "STATUS") == "OK STATUS ref=R7 state=PREPARING amount=1250"
    desk.mark_paid("R7")
    # After a reconnect the till asks by reference and learns it was paid.
    assert ask(service, "STATUS R7") == (
        "OK STATUS ref=R7 state=PAID amount=1250 sat=21001 session=ps_77 paid_at=2026-11-28T16:50:00Z")


def test_undocumented_refusal_code_is_sent_as_refused(service: PosService, desk: FakeDesk) -> None:
    def refuse(amount_cents: int, reference: str | None) -> str:
        raise SaleRefused("OUT_OF_COFFEE", "try later")

    desk.start_sale = refuse  # type: ignore[method-assign]
    assert ask(service, "SALE 5") == "ERR REFUSED try later"


def test_a_failure_inside_the_app_still_gets_one_reply(service: PosService, desk: FakeDesk) -> None:
    desk.explode = True
    assert ask(service, "SALE 5").startswith("ERR INTERNAL ")
    assert ask(service, "PING") == "OK PONG"


def test_replies_come_in_order_for_a_burst(service: PosService) -> None:
    replies = service.handle_bytes(b"PING\r\nSALE 1 Q\r\nSTATUS Q\r\nBOGUS\r\n")
    assert [r.split()[0:2] for r in replies] == [[b"OK", b"PONG"], [b"OK", b"SALE"], [b"OK", b"STATUS"],
                                                 [b"ERR", b"UNKNOWN_COMMAND"]]


def _complete_nonblank_lines(data: bytes) -> int:
    """Independent count of lines that deserve a reply: not blank, or overlong (one ERR each)."""
    count = 0
    for line in data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")[:-1]:
        if line.strip(b" \t") or len(line) > 254:
            count += 1
    return count


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=40), st.sampled_from(
    [b"SALE 100", b"CANCEL", b"STATUS", b"PING", b"\r\n", b"\n", b"\r", b" ", b"SALE 1 R", b"\x00"])), max_size=30))
def test_every_complete_line_gets_exactly_one_reply(pieces: list[bytes]) -> None:
    data = b"".join(pieces)
    service = PosService(FakeDesk(), version="1")
    replies = service.handle_bytes(data)
    assert len(replies) == _complete_nonblank_lines(data)
    assert all(r.startswith((b"OK ", b"ERR ")) and r.endswith(b"\r\n") and r.count(b"\n") == 1 for r in replies)
