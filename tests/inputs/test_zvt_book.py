"""The ZVT terminal's numbers survive a restart: trace and receipt numbers, the end-of-day totals, and
a paid status the till had not answered when the kiosk stopped (it is then "paid, not booked")."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from kiosk.inputs.zvt.till import ZvtTill
from kiosk.store.journal import Journal
from kiosk.store.zvt_book import MAX_RECEIPT, MAX_TRACE, ZvtCounters, next_counters
from tests.inputs.pos_fakes import NOW, FakeDesk
from tests.inputs.test_zvt_terminal import bcd6, deliver, make, paid, send
from tests.zvt_ecr import EcrWire, apdu, authorization, end_of_day

REPEAT = apdu(0x06, 0x20, bytes.fromhex("000000"))


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "journal.sqlite3") as opened:
        yield opened


def test_the_journal_keeps_the_numbers_across_a_reopen_and_end_of_day_starts_receipts_and_totals_again(
        tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with Journal(path) as journal:
        assert journal.zvt_counters() == ZvtCounters()
        journal.zvt_paid("A", 1250)
        journal.zvt_answered("B")  # not the unanswered one: changes nothing
        assert journal.zvt_counters().unanswered == "A"
        journal.zvt_answered("A")
        journal.zvt_paid("B", 990)
    with Journal(path) as journal:
        assert journal.zvt_counters() == ZvtCounters(trace=2, receipt=2, last_reference="B", last_receipt=2,
                                                     day_count=2, day_cents=2240, unanswered="B")
        assert journal.zvt_end_of_day().day_cents == 2240
        after = journal.zvt_counters()
        assert (after.trace, after.receipt, after.day_count, after.day_cents) == (2, 0, 0, 0)
        assert after.last_receipt == 2 and after.last_reference == "B"  # a repeat receipt still names it
        assert journal.zvt_paid("C", 100).trace == 3 and journal.zvt_counters().receipt == 1


def test_the_numbers_wrap_within_their_bcd_digits() -> None:
    top = ZvtCounters(trace=MAX_TRACE, receipt=MAX_RECEIPT)
    assert (next_counters(top, "A", 1).trace, next_counters(top, "A", 1).receipt) == (1, 1)
    below = ZvtCounters(trace=MAX_TRACE - 1, receipt=MAX_RECEIPT - 1)
    assert (next_counters(below, "A", 1).trace, next_counters(below, "A", 1).receipt) == (MAX_TRACE, MAX_RECEIPT)


def restart(desk: FakeDesk) -> tuple[ZvtTill, EcrWire]:
    """A new terminal on the same desk and book, as after a kill: nothing of the old one's memory."""
    till = ZvtTill(make()[0].settings, desk, lambda _: None)
    till.now = NOW
    return till, EcrWire(serial=False)


def test_trace_receipt_and_totals_survive_a_restart(journal: Journal) -> None:
    till, desk, ecr, lost = make()
    desk.book = journal  # type: ignore[assignment]
    till, ecr = restart(desk)
    for n, cents in ((1, 1250), (2, 990)):
        send(till, ecr, authorization(cents))
        deliver(till, ecr, paid(f"K1-000{n}"))
        desk.mark_paid(f"K1-000{n}")
    assert [s[0x0B] for s in ecr.statuses()] == [bytes.fromhex("000001"), bytes.fromhex("000002")]
    till, ecr = restart(desk)
    send(till, ecr, REPEAT)
    (status,) = ecr.statuses()
    assert status[0x0B] == bytes.fromhex("000002") and status[0x87] == bytes.fromhex("0002")
    assert status[0x04] == bcd6(990)
    till, ecr = restart(desk)
    send(till, ecr, end_of_day())
    assert ecr.statuses()[-1][0x04] == bcd6(2240)  # both payments, though the kiosk restarted in between
    send(till, ecr, end_of_day())
    assert ecr.statuses()[-1][0x04] == bcd6(0)  # end-of-day starts the totals again
    send(till, ecr, authorization(500))
    deliver(till, ecr, paid("K1-0003"))
    assert ecr.statuses()[-1][0x0B] == bytes.fromhex("000003") and ecr.statuses()[-1][0x87] == bytes.fromhex("0001")
    assert lost == []


def test_a_paid_status_unanswered_at_a_kill_is_not_booked_after_the_restart(journal: Journal) -> None:
    _, desk, _, lost = make()
    desk.book = journal  # type: ignore[assignment]
    till, ecr = restart(desk)
    send(till, ecr, authorization(1250))
    ecr.auto_ack = False  # the status goes out; the kiosk is killed before the till answers it
    ecr.feed(till.message_bytes(paid("K1-0001") or ""))
    assert ecr.received[-1][:2] == b"\x04\x0f" and lost == []
    desk.mark_paid("K1-0001")
    till, ecr = restart(desk)
    assert list(till.on_tick(NOW)) == []
    assert lost == ["K1-0001: the kiosk restarted before the till acknowledged the paid status"]
    list(till.on_tick(NOW + timedelta(seconds=1)))
    till, ecr = restart(desk)
    list(till.on_tick(NOW))
    assert len(lost) == 1  # noted once
    send(till, ecr, REPEAT)  # the till asks again: the journal's paid sale, with its numbers
    (status,) = ecr.statuses()
    assert status[0x27] == b"\x00" and status[0x0B] == bytes.fromhex("000001") and b"ps_77" in status[0x3C]


def test_a_payment_the_till_booked_is_not_noted_after_a_restart(journal: Journal) -> None:
    _, desk, _, lost = make()
    desk.book = journal  # type: ignore[assignment]
    till, ecr = restart(desk)
    send(till, ecr, authorization(1250))
    deliver(till, ecr, paid("K1-0001"))  # status and Completion, each answered 80 00 00
    assert ecr.finished() == bytes.fromhex("060F00")
    till, _ = restart(desk)
    list(till.on_tick(NOW))
    assert lost == [] and journal.zvt_counters().unanswered is None


def test_a_refused_paid_status_gets_no_completion_after_it() -> None:
    till, _, ecr, lost = make()
    ecr.auto_ack = False
    send(till, ecr, authorization(1250))
    ecr.feed(till.message_bytes(paid("K1-0001") or ""))
    assert b"".join(till.receive(ecr.command(bytes.fromhex("846600")))) == b""  # nothing more of that payment
    assert lost == ["K1-0001: the till refused the paid status (84 66)"]
    assert till.terminal.outbox == type(till.terminal.outbox)() and till.terminal.waiting is None
