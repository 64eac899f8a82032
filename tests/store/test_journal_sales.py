"""The journal records sales, their sessions, attempts, phases and statuses, and reads them back."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from store_helpers import INVOICE, T0, at, attempt, new_sale, status

from kiosk.core.model import Phase, SaleSource
from kiosk.errors import StoreError
from kiosk.store.journal import DuplicateReference, Journal, UnknownReference


def test_a_new_sale_is_creating_its_session(journal: Journal) -> None:
    journal.create_sale(reference="K1-20261128-0001", amount_cents=1250, source=SaleSource.POS, at=T0)

    sale = journal.get("K1-20261128-0001")

    assert sale is not None
    assert (sale.amount_cents, sale.source, sale.phase) == (1250, SaleSource.POS, Phase.CREATING_SESSION)
    assert sale.created_at == T0 and sale.created_at.tzinfo is not None
    assert sale.updated_at == T0
    assert sale.session_id is None and sale.paid_at is None and sale.attempts == () and sale.statuses == ()


def test_an_unknown_reference_reads_as_none_and_cannot_be_changed(journal: Journal) -> None:
    assert journal.get("K1-nothing") is None
    with pytest.raises(UnknownReference, match="K1-nothing"):
        journal.set_phase("K1-nothing", Phase.AWAITING_PAYMENT, T0)


def test_a_duplicate_reference_is_refused_and_the_first_sale_is_kept(journal: Journal) -> None:
    journal.create_sale(reference="R-1", amount_cents=100, source=SaleSource.KEYPAD, at=at(0))

    with pytest.raises(DuplicateReference, match="R-1"):
        journal.create_sale(reference="R-1", amount_cents=999, source=SaleSource.POS, at=at(5))

    sale = journal.get("R-1")
    assert sale is not None and (sale.amount_cents, sale.source, sale.created_at) == (100, SaleSource.KEYPAD, at(0))


@pytest.mark.parametrize("kwargs, message", [
    ({"amount_cents": 0}, "positive"),
    ({"amount_cents": -5}, "positive"),
    ({"amount_cents": 12.5}, "whole"),
    ({"amount_cents": True}, "whole"),
    ({"reference": ""}, "reference"),
    ({"reference": "has space"}, "reference"),
    ({"reference": "x" * 65}, "reference"),
    ({"at": datetime(2026, 1, 1)}, "timezone-aware"),
])
def test_bad_sale_input_is_refused_and_nothing_is_written(journal: Journal, kwargs: dict[str, object],
                                                          message: str) -> None:
    args: dict[str, object] = {"reference": "R-1", "amount_cents": 100, "source": SaleSource.KEYPAD, "at": T0}
    args.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=message):
        journal.create_sale(**args)  # type: ignore[arg-type]
    assert journal.sales_between(T0 - timedelta(days=1), T0 + timedelta(days=1)) == []


def test_references_count_up_per_terminal_and_day(journal: Journal) -> None:
    day = date(2026, 11, 28)
    drawn = [journal.next_reference("K1", day), journal.next_reference("K1", day),
             journal.next_reference("K2", day), journal.next_reference("K1", date(2026, 11, 29))]
    mark = drawn[0].rsplit("-", 1)[1]
    assert re.fullmatch(r"[0-9A-F]{4}", mark)
    assert drawn == [f"K1-20261128-0001-{mark}", f"K1-20261128-0002-{mark}", f"K2-20261128-0001-{mark}",
                     f"K1-20261129-0001-{mark}"]


def test_a_lost_journal_never_hands_out_an_old_reference_again(tmp_path: Path) -> None:
    """Given a journal that is deleted and started afresh, its references differ from the old ones."""
    old, new = set(), set()
    for round_, drawn in enumerate((old, new)):
        path = tmp_path / f"round{round_}" / "journal.sqlite3"
        path.parent.mkdir()
        with Journal(path) as j:
            drawn.update(j.next_reference("K1", date(2026, 11, 28)) for _ in range(3))
    # Two random 16-bit marks collide once in 65536; the counters alone would always collide.
    assert not old & new


def test_a_reference_number_is_never_reused_after_reopening(journal_path: Path) -> None:
    with Journal(journal_path) as j:
        first = j.next_reference("K1", date(2026, 11, 28))
    with Journal(journal_path) as j:
        second = j.next_reference("K1", date(2026, 11, 28))
    assert (first[:16], second[:16]) == ("K1-20261128-0001", "K1-20261128-0002")
    assert first[16:] == second[16:], "the journal's mark stays the same across reopening"


@pytest.mark.parametrize("terminal", ["", "K 1", "K1/2", "X" * 13])
def test_a_bad_terminal_id_is_refused(journal: Journal, terminal: str) -> None:
    with pytest.raises(ValueError, match="terminal id"):
        journal.next_reference(terminal, date(2026, 11, 28))


def test_session_attempts_and_phase_are_recorded(journal: Journal) -> None:
    ref = new_sale(journal)

    sale = journal.get(ref)

    assert sale is not None
    assert sale.session_id == "ps_1"
    assert sale.phase is Phase.AWAITING_PAYMENT
    assert sale.amount_msat == 25_000_123 and sale.amount_sat == 25_001
    assert len(sale.attempts) == 1
    only = sale.attempts[0]
    assert (only.invoice, only.amount_msat, only.expires_at, only.created_at) == (INVOICE, 25_000_123, at(120), at(2))


def test_a_second_session_id_for_the_same_sale_is_refused(journal: Journal) -> None:
    ref = new_sale(journal)
    journal.set_session(ref, "ps_1", at(3))  # the same id again is harmless
    with pytest.raises(StoreError, match="ps_1"):
        journal.set_session(ref, "ps_other", at(3))
    with pytest.raises(StoreError, match="ps_other"):
        journal.add_attempt(ref, attempt(session_id="ps_other", invoice="lnbc1other"), at(3))
    sale = journal.get(ref)
    assert sale is not None and sale.session_id == "ps_1" and len(sale.attempts) == 1


def test_refreshed_attempts_are_kept_in_order_and_a_repeated_one_once(journal: Journal) -> None:
    ref = new_sale(journal)
    journal.add_attempt(ref, attempt(invoice="lnbc2second", amount_msat=24_000_000, expires_in_s=240), at(110))
    journal.add_attempt(ref, attempt(invoice="lnbc2second", amount_msat=24_000_000, expires_in_s=240), at(111))

    sale = journal.get(ref)

    assert sale is not None
    assert [a.invoice for a in sale.attempts] == [INVOICE, "lnbc2second"]
    assert sale.amount_msat == 24_000_000  # the last offered amount


def test_record_status_writes_only_changes(journal: Journal) -> None:
    ref = new_sale(journal)

    wrote = [journal.record_status(ref, status("pending"), at(3)),
             journal.record_status(ref, status("pending"), at(4)),
             journal.record_status(ref, status("pending"), at(5)),
             journal.record_status(ref, status("funding-received", paid_at=at(6)), at(6)),
             journal.record_status(ref, status("funding-received", paid_at=at(6)), at(7)),
             journal.record_status(ref, status("funded", paid_at=at(6)), at(8))]

    assert wrote == [True, False, False, True, False, True]
    sale = journal.get(ref)
    assert sale is not None
    assert [(s.status, s.paid_at, s.seen_at) for s in sale.statuses] == [
        ("pending", None, at(3)), ("funding-received", at(6), at(6)), ("funded", at(6), at(8))]


def test_a_status_of_another_session_is_refused(journal: Journal) -> None:
    ref = new_sale(journal)
    with pytest.raises(StoreError, match="ps_2"):
        journal.record_status(ref, status("pending", session_id="ps_2"), at(3))


def test_set_phase_moves_open_sales_and_keeps_detail(journal: Journal) -> None:
    ref = new_sale(journal)
    assert journal.set_phase(ref, Phase.CREATING_ATTEMPT, at(100), detail="Mion unreachable, retrying") is True
    assert journal.set_phase(ref, Phase.CREATING_ATTEMPT, at(101)) is False  # nothing new: no write

    sale = journal.get(ref)
    assert sale is not None
    assert (sale.phase, sale.detail, sale.updated_at) == (Phase.CREATING_ATTEMPT, "Mion unreachable, retrying", at(100))


def test_set_phase_refuses_paid_and_routes_other_endings_to_end_sale(journal: Journal) -> None:
    ref = new_sale(journal)
    with pytest.raises(ValueError, match="mark_paid"):
        journal.set_phase(ref, Phase.PAID, at(5))
    assert journal.set_phase(ref, Phase.CANCELLED, at(6), detail="cashier cancelled") is True
    assert journal.set_phase(ref, Phase.AWAITING_PAYMENT, at(7)) is False  # a finished sale is not reopened
    sale = journal.get(ref)
    assert sale is not None and (sale.phase, sale.detail) == (Phase.CANCELLED, "cashier cancelled")


def test_end_sale_records_the_end_and_its_till_line_once(journal: Journal) -> None:
    ref = new_sale(journal)
    assert journal.end_sale(ref, Phase.EXPIRED, at(300), detail="session expired", till_line="EXPIRED R") is True
    assert journal.end_sale(ref, Phase.CANCELLED, at(301), till_line="CANCELLED R") is False

    sale = journal.get(ref)
    assert sale is not None and (sale.phase, sale.detail) == (Phase.EXPIRED, "session expired")
    assert [m.line for m in journal.pending_till_messages()] == ["EXPIRED R"]


@pytest.mark.parametrize("phase", [Phase.PAID, Phase.AWAITING_PAYMENT, Phase.IDLE])
def test_end_sale_only_takes_unpaid_endings(journal: Journal, phase: Phase) -> None:
    ref = new_sale(journal)
    with pytest.raises(ValueError, match="end_sale"):
        journal.end_sale(ref, phase, at(5))


def test_long_details_are_cut(journal: Journal) -> None:
    ref = new_sale(journal)
    journal.end_sale(ref, Phase.ERROR, at(5), detail="x" * 10_000)
    sale = journal.get(ref)
    assert sale is not None and sale.detail is not None and len(sale.detail) == 500


def test_unfinished_lists_open_sales_oldest_first(journal: Journal) -> None:
    for n, seconds in ((1, 30), (2, 10), (3, 20), (4, 40)):
        journal.create_sale(reference=f"R-{n}", amount_cents=100, source=SaleSource.KEYPAD, at=at(seconds))
    journal.end_sale("R-3", Phase.CANCELLED, at(50))
    journal.set_session("R-4", "ps_4", at(41))
    journal.mark_paid("R-4", paid_at=at(60), amount_msat=None, late=False, at=at(60), print_copies=(),
                      till_line=None)

    assert [s.reference for s in journal.unfinished()] == ["R-2", "R-1"]


def test_last_paid_is_the_most_recent_payment(journal: Journal) -> None:
    assert journal.last_paid() is None
    for n in (1, 2, 3):
        journal.create_sale(reference=f"R-{n}", amount_cents=100 * n, source=SaleSource.KEYPAD, at=at(n))
    journal.mark_paid("R-2", paid_at=at(100), amount_msat=1000, late=False, at=at(100), print_copies=(),
                      till_line=None)
    journal.mark_paid("R-1", paid_at=at(200), amount_msat=1000, late=True, at=at(200), print_copies=(),
                      till_line=None)

    last = journal.last_paid()
    assert last is not None and (last.reference, last.late, last.paid_at) == ("R-1", True, at(200))


def test_sales_on_uses_the_local_day(journal: Journal) -> None:
    helsinki = timezone(timedelta(hours=2))
    # 21:59 UTC on the 27th is 23:59 in Helsinki; 22:00 UTC is already the 28th there.
    times = {"late-27th": datetime(2026, 11, 27, 21, 59, tzinfo=UTC),
             "early-28th": datetime(2026, 11, 27, 22, 0, tzinfo=UTC),
             "late-28th": datetime(2026, 11, 28, 21, 59, 59, tzinfo=UTC),
             "29th": datetime(2026, 11, 28, 22, 0, tzinfo=UTC)}
    for ref, when in times.items():
        journal.create_sale(reference=ref, amount_cents=100, source=SaleSource.KEYPAD, at=when)

    assert [s.reference for s in journal.sales_on(date(2026, 11, 28), helsinki)] == ["early-28th", "late-28th"]
    assert [s.reference for s in journal.sales_on(date(2026, 11, 28), UTC)] == ["late-28th", "29th"]


def test_sales_between_is_half_open_and_oldest_first(journal: Journal) -> None:
    for n, seconds in ((1, 20), (2, 10), (3, 30)):
        journal.create_sale(reference=f"R-{n}", amount_cents=100, source=SaleSource.KEYPAD, at=at(seconds))
    assert [s.reference for s in journal.sales_between(at(10), at(30))] == ["R-2", "R-1"]


def test_naive_query_times_are_refused(journal: Journal) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        journal.sales_between(datetime(2026, 1, 1), datetime(2026, 1, 2))


def test_day_close_is_recorded_once(journal: Journal) -> None:
    day = date(2026, 11, 28)
    assert journal.closed_at(day) is None
    assert journal.close_day(day, at(3600)) is True
    assert journal.close_day(day, at(7200)) is False
    assert journal.closed_at(day) == at(3600)
    assert journal.closed_at(date(2026, 11, 29)) is None


def test_times_keep_microseconds_and_come_back_in_utc(journal: Journal) -> None:
    plus_five = datetime(2026, 11, 28, 18, 0, 0, 654321, tzinfo=timezone(timedelta(hours=5)))
    journal.create_sale(reference="R-1", amount_cents=100, source=SaleSource.DEMO, at=plus_five)
    sale = journal.get("R-1")
    assert sale is not None
    assert sale.created_at == plus_five and sale.created_at.utcoffset() == timedelta(0)
    assert sale.created_at.microsecond == 654321


def test_a_closed_journal_says_so(journal_path: Path) -> None:
    j = Journal(journal_path)
    with pytest.raises(StoreError, match="not open"):
        j.get("R-1")
    j.open()
    j.close()
    j.close()  # twice is fine
    with pytest.raises(StoreError, match="not open"):
        j.create_sale(reference="R-1", amount_cents=1, source=SaleSource.KEYPAD, at=T0)


def test_an_unopenable_path_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError, match="not a directory"):
        Journal(blocker / "journal.sqlite3").open()


def test_an_uncreatable_state_directory_is_one_line_naming_it(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError) as caught:
        Journal(blocker / "state" / "journal.sqlite3").open()
    assert str(caught.value) == f"cannot create the state directory {blocker / 'state'}: Not a directory"


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    path.write_bytes(b"this is not SQLite at all" * 100)
    with pytest.raises(StoreError, match="cannot prepare"):
        Journal(path).open()


def test_memory_journal_works_for_tests() -> None:
    with Journal(":memory:") as j:
        new_sale(j)
        assert j.get("K1-20261128-0001") is not None


def test_session_and_invoice_move_an_open_sale_on_in_the_same_write(journal: Journal) -> None:
    journal.create_sale(reference="R-9", amount_cents=100, source=SaleSource.KEYPAD, at=T0)
    journal.set_session("R-9", "ps_9", at(1))
    assert journal.get("R-9").phase is Phase.CREATING_ATTEMPT  # type: ignore[union-attr]
    journal.add_attempt("R-9", attempt(session_id="ps_9"), at(2))
    assert journal.get("R-9").phase is Phase.AWAITING_PAYMENT  # type: ignore[union-attr]
    journal.end_sale("R-9", Phase.CANCELLED, at(3))
    journal.add_attempt("R-9", attempt(session_id="ps_9", invoice="lnbcrt2other"), at(4))
    assert journal.get("R-9").phase is Phase.CANCELLED, "an ended sale is never reopened"  # type: ignore[union-attr]
