"""Sats are never shown below what the invoice asks: every msat-to-sats conversion a person or a till
sees rounds up (1 500 msat is 2 sats, never 1), through one shared function."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from kiosk.config import PrinterSettings, ShopSettings
from kiosk.core.model import Attempt, Phase, SaleSource
from kiosk.core.view import InvoiceView, PaidView
from kiosk.inputs.pos_service import LineTill, status_line
from kiosk.inputs.till_protocol import PaidSale
from kiosk.outputs.receipt import build_receipt
from kiosk.outputs.report import compute_report
from kiosk.store.records import AttemptRecord, SaleRecord
from kiosk.store.views import history_json, history_text, sale_json, sale_text

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
SATS = [(1000, 1), (1001, 2), (1500, 2), (1999, 2), (2000, 2)]


def paid_record(msat: int, reference: str = "K1-0001") -> SaleRecord:
    attempt = AttemptRecord(invoice="lnbcrt1", amount_msat=msat, expires_at=T0 + timedelta(seconds=120),
                            created_at=T0)
    return SaleRecord(reference=reference, amount_cents=1, source=SaleSource.POS, phase=Phase.PAID, created_at=T0,
                      updated_at=T0, session_id="s1", paid_at=T0, amount_msat=msat, attempts=(attempt,))


@pytest.mark.parametrize("msat, sats", SATS)
def test_the_shared_conversion_rounds_up(msat: int, sats: int) -> None:
    from kiosk.core.model import sats_for
    assert sats_for(msat) == sats


@pytest.mark.parametrize("msat, sats", SATS)
def test_the_screen_shows_the_invoice_and_the_payment_rounded_up(msat: int, sats: int) -> None:
    attempt = Attempt(session_id="s1", invoice="lnbcrt1", amount_msat=msat, expires_at=T0)
    invoice = InvoiceView(amount_cents=1, amount_msat=msat, invoice="lnbcrt1", seconds_left=1, lifetime_s=1)
    assert (attempt.amount_sat, invoice.amount_sat, PaidView(amount_cents=1, amount_msat=msat).amount_sat) == \
        (sats, sats, sats)


@pytest.mark.parametrize("msat, sats", SATS)
def test_history_and_show_round_up(msat: int, sats: int) -> None:
    record = paid_record(msat)
    assert record.amount_sat == sats
    row = history_text([record], "en", UTC).splitlines()[1]
    assert f" {sats}\u00a0sat" in row
    shown = sale_text(record, UTC)
    invoice_line = next(line for line in shown.splitlines() if line.startswith("Invoice amount:"))
    assert invoice_line.split(":", 1)[1].strip().startswith(f"{sats}\u00a0sat")
    assert f"  {sats}\u00a0sat" in shown.split("Attempts")[1]
    data = json.loads(sale_json(record))
    assert data["amount_sat"] == sats and data["attempts"][0]["amount_sat"] == sats
    assert json.loads(history_json([record]))[0]["amount_sat"] == sats


@pytest.mark.parametrize("msat, sats", SATS)
def test_the_receipt_rounds_up(msat: int, sats: int) -> None:
    receipt = build_receipt(paid_record(msat), ShopSettings(name="Shop", language="en"),
                            PrinterSettings(kind="dummy"), copy="customer", tz=UTC)
    assert any(line.strip() == f"{sats}\u00a0sat" + ("s" if sats != 1 else "") for line in receipt.text_lines)


@pytest.mark.parametrize("msat, sats", SATS)
def test_the_till_hears_the_sats_rounded_up(msat: int, sats: int) -> None:
    paid = PaidSale(reference="K1-0001", session_id="s1", paid_at=T0, amount_msat=msat, late=False)
    assert f"sat={sats}" in (LineTill.paid_message(paid) or "")
    assert f"sat={sats}" in status_line(paid_record(msat))


def test_the_report_adds_each_sale_as_its_receipt_showed_it() -> None:
    sales = [paid_record(1500, "K1-0001"), paid_record(1500, "K1-0002"), paid_record(2000, "K1-0003")]
    report = compute_report(sales, date(2026, 11, 28), tz=UTC, now=T0)
    assert report.paid_sats == 2 + 2 + 2, "the sum of the per-sale figures, not 5 000 msat rounded once"
