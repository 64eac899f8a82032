"""A payment the till did not book: noted on the sale, with a merchant slip, once."""

from __future__ import annotations

import dataclasses
from datetime import UTC

from store_helpers import at, new_sale

from kiosk.config import PrinterSettings, ShopSettings
from kiosk.core.model import Phase, SaleSource
from kiosk.outputs.receipt import build_receipt
from kiosk.outputs.report import compute_report, format_report
from kiosk.store.bookings import NOT_BOOKED
from kiosk.store.journal import Journal
from kiosk.store.views import history_text


def test_a_paid_sale_is_noted_once_with_a_merchant_slip(journal: Journal) -> None:
    reference = new_sale(journal, source=SaleSource.POS)
    assert not journal.note_not_booked(reference, "too early", at(5))  # not paid: nothing to book
    journal.mark_paid(reference, paid_at=at(10), amount_msat=1_000, late=False, at=at(10), print_copies=(),
                      till_line=None)
    assert journal.note_not_booked(reference, "the till never answered the paid status", at(11))
    assert not journal.note_not_booked(reference, "again", at(12))
    record = journal.get(reference)
    assert record is not None and record.phase is Phase.PAID
    assert record.detail == f"{NOT_BOOKED}: the till never answered the paid status"
    assert [(job.reference, job.copy) for job in journal.pending_prints()] == [(reference, "merchant")]
    assert "paid (not booked by the till)" in history_text([record], "en", UTC)
    report = compute_report([record], record.created_at.date())
    assert report.not_booked_count == 1 and report.paid_count == 1
    assert any(line.startswith("  not booked by the till") and line.endswith(" 1") for line in format_report(report, "en"))
    assert not any("not booked" in line for line in format_report(compute_report([], report.day), "en"))


def test_the_merchant_slip_says_so(journal: Journal) -> None:
    reference = new_sale(journal, source=SaleSource.POS)
    journal.mark_paid(reference, paid_at=at(10), amount_msat=1_000, late=True, at=at(10), print_copies=(),
                      till_line=None)
    journal.note_not_booked(reference, "paid after the till was told the sale failed", at(11))
    record = journal.get(reference)
    assert record is not None
    shop, printer = ShopSettings(language="en"), PrinterSettings(kind="dummy")
    merchant = "\n".join(build_receipt(record, shop, printer, copy="merchant", tz=None).text_lines)
    customer = "\n".join(build_receipt(record, shop, printer, copy="customer", tz=None).text_lines)
    assert "NOT BOOKED BY THE TILL" in merchant and "NOT BOOKED" not in customer
    plain = dataclasses.replace(record, detail=None)
    assert "NOT BOOKED" not in "\n".join(build_receipt(plain, shop, printer, copy="merchant", tz=None).text_lines)
