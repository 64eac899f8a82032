"""Payments, receipts and till lines: recorded once, queued once, done once, across restarts."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from store_helpers import at, attempt, new_sale, status

from kiosk.core.model import Phase, SaleSource
from kiosk.errors import StoreError
from kiosk.store.journal import Journal, UnknownOutboxItem


def pay(journal: Journal, ref: str, *, copies: tuple[str, ...] = ("customer",), till: str | None = "PAID R",
        seconds: float = 30, late: bool = False) -> bool:
    return journal.mark_paid(ref, paid_at=at(seconds - 1), amount_msat=25_000_123, late=late, at=at(seconds),
                             print_copies=copies, till_line=till)


def test_mark_paid_records_payment_receipts_and_till_line_together(journal: Journal) -> None:
    ref = new_sale(journal)
    journal.record_status(ref, status("funding-received", paid_at=at(29)), at(30))

    assert pay(journal, ref, copies=("customer", "merchant"), till="PAID K1-20261128-0001 1200") is True

    sale = journal.get(ref)
    assert sale is not None
    assert (sale.phase, sale.paid_at, sale.amount_msat, sale.late) == (Phase.PAID, at(29), 25_000_123, False)
    assert sale.receipt_printed_at is None and sale.till_notified_at is None
    jobs = journal.pending_prints()
    assert [(j.reference, j.copy, j.tries) for j in jobs] == [(ref, "customer", 0), (ref, "merchant", 0)]
    assert [(m.reference, m.line) for m in journal.pending_till_messages()] == [(ref, "PAID K1-20261128-0001 1200")]


def test_mark_paid_twice_queues_nothing_more(journal: Journal) -> None:
    ref = new_sale(journal)
    assert pay(journal, ref) is True
    assert pay(journal, ref, seconds=40, late=True) is False

    sale = journal.get(ref)
    assert sale is not None and sale.updated_at == at(30) and sale.late is False
    assert len(journal.pending_prints()) == 1
    assert len(journal.pending_till_messages()) == 1


def test_mark_paid_after_reopen_and_after_delivery_queues_nothing_more(journal_path: Path) -> None:
    with Journal(journal_path) as j:
        ref = new_sale(j)
        assert pay(j, ref) is True
    with Journal(journal_path) as j:
        # the kiosk restarted after a power cut and sees the payment again
        assert pay(j, ref) is False
        assert len(j.pending_prints()) == 1 and len(j.pending_till_messages()) == 1
        j.mark_printed(j.pending_prints()[0].job_id, at(31))
        j.mark_till_sent(j.pending_till_messages()[0].message_id, at(31))
    with Journal(journal_path) as j:
        assert pay(j, ref) is False
        assert j.pending_prints() == [] and j.pending_till_messages() == []


def test_without_a_printer_or_till_nothing_is_queued(journal: Journal) -> None:
    ref = new_sale(journal)
    assert pay(journal, ref, copies=(), till=None) is True
    assert journal.pending_prints() == [] and journal.pending_till_messages() == []


def test_an_unknown_amount_keeps_the_offered_one(journal: Journal) -> None:
    ref = new_sale(journal)
    journal.mark_paid(ref, paid_at=at(10), amount_msat=None, late=False, at=at(10), print_copies=(), till_line=None)
    sale = journal.get(ref)
    assert sale is not None and sale.amount_msat == 25_000_123


def test_a_late_payment_after_expiry_is_still_recorded(journal: Journal) -> None:
    ref = new_sale(journal)
    journal.end_sale(ref, Phase.EXPIRED, at(300), till_line="EXPIRED R")
    assert pay(journal, ref, seconds=330, late=True, till="PAID R") is True
    sale = journal.get(ref)
    assert sale is not None and sale.phase is Phase.PAID and sale.late is True
    assert [m.line for m in journal.pending_till_messages()] == ["EXPIRED R", "PAID R"]


@pytest.mark.parametrize("phase", [Phase.EXPIRED, Phase.CANCELLED, Phase.BLOCKED, Phase.ERROR])
def test_end_sale_never_overwrites_paid(journal: Journal, phase: Phase) -> None:
    ref = new_sale(journal)
    pay(journal, ref)

    assert journal.end_sale(ref, phase, at(60), detail="too late", till_line="NOPE") is False

    sale = journal.get(ref)
    assert sale is not None and (sale.phase, sale.detail, sale.updated_at) == (Phase.PAID, None, at(30))
    assert [m.line for m in journal.pending_till_messages()] == ["PAID R"]


@pytest.mark.parametrize("copies, till, message", [
    (("",), None, "print copy"),
    (("customer",), "two\nlines", "till line"),
    (("customer",), "", "till line"),
])
def test_bad_payment_input_changes_nothing(journal: Journal, copies: tuple[str, ...], till: str | None,
                                           message: str) -> None:
    ref = new_sale(journal)
    with pytest.raises(ValueError, match=message):
        pay(journal, ref, copies=copies, till=till)
    sale = journal.get(ref)
    assert sale is not None and sale.phase is Phase.AWAITING_PAYMENT
    assert journal.pending_prints() == [] and journal.pending_till_messages() == []


def test_printing_done_sets_the_first_print_time_and_empties_the_outbox(journal: Journal) -> None:
    ref = new_sale(journal)
    pay(journal, ref)
    job = journal.pending_prints()[0]

    journal.record_print_failure(job.job_id, "paper out", at(31))
    journal.record_print_failure(job.job_id, "printer offline", at(32))
    retried = journal.pending_prints()[0]
    assert (retried.tries, retried.last_error) == (2, "printer offline")

    journal.mark_printed(job.job_id, at(40))
    assert journal.pending_prints() == []
    sale = journal.get(ref)
    assert sale is not None and sale.receipt_printed_at == at(40)

    reprint = journal.enqueue_reprint(ref, at(500))
    assert (reprint.reference, reprint.copy, reprint.created_at) == (ref, "customer", at(500))
    assert journal.pending_prints() == [reprint]
    journal.mark_printed(reprint.job_id, at(501))
    sale = journal.get(ref)
    assert sale is not None and sale.receipt_printed_at == at(40)  # the first print answers "was it printed"


def test_marking_a_job_done_twice_is_refused(journal: Journal) -> None:
    ref = new_sale(journal)
    pay(journal, ref)
    job = journal.pending_prints()[0]
    journal.mark_printed(job.job_id, at(40))
    with pytest.raises(UnknownOutboxItem, match=str(job.job_id)):
        journal.mark_printed(job.job_id, at(41))
    with pytest.raises(UnknownOutboxItem):
        journal.record_print_failure(job.job_id, "x", at(41))


def test_only_a_paid_sale_can_be_reprinted(journal: Journal) -> None:
    ref = new_sale(journal)
    with pytest.raises(StoreError, match="only a paid sale"):
        journal.enqueue_reprint(ref, at(5))
    assert journal.pending_prints() == []


def test_till_notified_is_set_only_by_a_final_event(journal: Journal) -> None:
    ref = new_sale(journal)
    shown = journal.queue_till_message(ref, "SHOWN R 25000", at(3))
    assert (shown.reference, shown.line, shown.created_at) == (ref, "SHOWN R 25000", at(3))
    journal.mark_till_sent(shown.message_id, at(4))
    sale = journal.get(ref)
    assert sale is not None and sale.till_notified_at is None

    pay(journal, ref)
    journal.mark_till_sent(journal.pending_till_messages()[0].message_id, at(31))
    sale = journal.get(ref)
    assert sale is not None and sale.till_notified_at == at(31)
    with pytest.raises(UnknownOutboxItem):
        journal.mark_till_sent(shown.message_id, at(32))


def test_outboxes_are_oldest_first_across_sales(journal: Journal) -> None:
    a = new_sale(journal, reference="R-a")
    journal.create_sale(reference="R-b", amount_cents=500, source=SaleSource.POS, at=at(0))
    journal.set_session("R-b", "ps_1", at(1))
    pay(journal, "R-b", till="PAID b", seconds=20)
    pay(journal, a, till="PAID a", seconds=25)
    assert [j.reference for j in journal.pending_prints()] == ["R-b", "R-a"]
    assert [m.line for m in journal.pending_till_messages()] == ["PAID b", "PAID a"]


def test_queued_work_survives_reopening(journal_path: Path) -> None:
    with Journal(journal_path) as j:
        ref = new_sale(j)
        pay(j, ref, copies=("customer", "merchant"))
    with Journal(journal_path) as j:
        assert [p.copy for p in j.pending_prints()] == ["customer", "merchant"]
        assert [m.line for m in j.pending_till_messages()] == ["PAID R"]
        sale = j.get(ref)
        assert sale is not None and sale.phase is Phase.PAID and len(sale.attempts) == 1


_OPS = st.lists(st.sampled_from(["pay", "pay-late", "expire", "cancel", "error", "await", "attempt", "status"]),
                max_size=12)


@settings(max_examples=60, deadline=None)
@given(ops=_OPS)
def test_whatever_happens_a_sale_is_paid_at_most_once(ops: list[str]) -> None:
    with Journal(":memory:") as j:
        ref = new_sale(j)
        paid_calls = 0
        for n, op in enumerate(ops, start=10):
            if op.startswith("pay"):
                paid_calls += pay(j, ref, seconds=n, late=op == "pay-late")
            elif op in ("expire", "cancel", "error"):
                phase = {"expire": Phase.EXPIRED, "cancel": Phase.CANCELLED, "error": Phase.ERROR}[op]
                j.end_sale(ref, phase, at(n), till_line=f"END {op}")
            elif op == "await":
                j.set_phase(ref, Phase.AWAITING_PAYMENT, at(n))
            elif op == "attempt":
                j.add_attempt(ref, attempt(invoice=f"lnbc{n}"), at(n))
            else:
                j.record_status(ref, status("pending"), at(n))
        sale = j.get(ref)
        assert sale is not None
        assert paid_calls == (1 if any(op.startswith("pay") for op in ops) else 0)
        assert (sale.phase is Phase.PAID) == (paid_calls == 1)
        assert len(j.pending_prints()) == paid_calls
        assert [m.line for m in j.pending_till_messages()].count("PAID R") == paid_calls
        assert len([m for m in j.pending_till_messages() if m.line.startswith("END")]) <= 1


def test_a_send_begun_and_not_finished_shows_on_the_job(journal: Journal) -> None:
    ref = new_sale(journal)
    pay(journal, ref, copies=("customer",), till=None)
    [job] = journal.pending_prints()
    assert not job.may_have_printed
    journal.start_print(job.job_id, at(20))
    journal.record_print_failure(job.job_id, "offline", at(20))
    assert not journal.pending_prints()[0].may_have_printed, "a clean failure printed nothing"
    journal.start_print(job.job_id, at(20))  # ... and then the power went
    assert journal.pending_prints()[0].may_have_printed
