"""The tip in the journal (schema 4), on the receipt, in history/show, the X report and the till's EVENT PAID."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk.config import PrinterSettings, ShopSettings
from kiosk.core.model import Phase, SaleSource
from kiosk.core.text_tips import rate_line
from kiosk.inputs.pos_protocol import event_for_payment
from kiosk.inputs.till_protocol import PaidSale
from kiosk.outputs.receipt import build_receipt
from kiosk.outputs.report import compute_report, format_report
from kiosk.store import schema
from kiosk.store.journal import Journal
from kiosk.store.records import SaleRecord
from kiosk.store.views import history_json, history_text, sale_text

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def paid(reference: str, amount_cents: int, tip_cents: int, msat: int = 27_500_000) -> SaleRecord:
    return SaleRecord(reference=reference, amount_cents=amount_cents, tip_cents=tip_cents, source=SaleSource.POS,
                      phase=Phase.PAID, created_at=T0, updated_at=T0, paid_at=T0, amount_msat=msat, session_id="ps_1")


def test_a_journal_of_schema_3_gains_the_tip_column_and_its_sales_have_no_tip(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    schema.migrate(conn, schema.MIGRATIONS[:3])
    conn.execute("INSERT INTO sale (reference, amount_cents, source, phase, created_us, updated_us) "
                 "VALUES ('K1-old', 500, 'pos', 'paid', 1, 1)")
    conn.close()
    with Journal(path) as journal:
        old = journal.get("K1-old")
        assert old is not None and old.tip_cents == 0
        journal.create_sale(reference="K1-new", amount_cents=1375, tip_cents=125, source=SaleSource.KEYPAD, at=T0)
        new = journal.get("K1-new")
        assert new is not None and (new.amount_cents, new.tip_cents) == (1375, 125)


@pytest.mark.parametrize("tip", [-1, 1375, 2000, 1.5])
def test_the_journal_refuses_a_tip_that_is_not_a_part_of_the_amount(tmp_path: Path, tip: object) -> None:
    with Journal(tmp_path / "j.sqlite3") as journal, pytest.raises(ValueError, match="tip_cents"):
        journal.create_sale(reference="K1-x", amount_cents=1375, tip_cents=tip, source=SaleSource.POS,  # type: ignore[arg-type]
                            at=T0)


def test_the_receipt_shows_subtotal_tip_total_and_always_the_rate() -> None:
    lines = build_receipt(paid("K1-1", 1375, 125), ShopSettings(name="Café"), PrinterSettings(paper_mm=58),
                          copy="customer", tz=UTC).text_lines
    text = "\n".join(lines)
    assert "Subtotal                  €12.50" in text and "Tip                        €1.25" in text
    assert "Total" in text and "€13.75" in text
    assert "Rate             €1 = 2,000\u00a0sats" in text
    untipped = "\n".join(build_receipt(paid("K1-2", 1250, 0, 25_000_000), ShopSettings(name="Café"),
                                       PrinterSettings(paper_mm=58), copy="customer", tz=UTC).text_lines)
    assert "Tip" not in untipped and "Subtotal" not in untipped and "€1 = 2,000\u00a0sats" in untipped


def test_the_rate_is_mions_msat_over_the_amount_in_whole_sats_rounded_half_up() -> None:
    assert rate_line(1250, 25_000_000, "en") == "€1 = 2,000\u00a0sats"
    assert rate_line(1250, 25_000_000, "fi") == "1\u00a0€ = 2\u202f000\u00a0sats"
    assert rate_line(1000, 11_104_990, "de") == "1\u00a0€ = 1\u202f110\u00a0sats"  # 1110.499 sats per euro
    assert rate_line(1000, 11_105_000, "de") == "1\u00a0€ = 1\u202f111\u00a0sats"  # 1110.5 -> 1111
    assert rate_line(0, 1_000, "en") is None


def test_history_show_and_json_carry_the_tip() -> None:
    sales = [paid("K1-1", 1375, 125), paid("K1-2", 1250, 0)]
    history = history_text(sales, "en", UTC)
    header, first, second, summary = history.splitlines()
    assert header.split() == ["Time", "Reference", "EUR", "tip", "sats", "Status"]
    assert "€1.25" in first and " - " in second
    assert summary == "2 sales, 2 paid, €26.25 received (of which €1.25 tips)"
    assert "Tip:" in sale_text(sales[0], UTC) and "€1.25 (included in the amount)" in sale_text(sales[0], UTC)
    assert '"tip_cents": 125' in history_json(sales)
    assert "tip" not in history_text([sales[1]], "en", UTC).splitlines()[0]  # no tips: the column stays away


def test_the_x_report_shows_the_tips_within_the_total() -> None:
    report = compute_report([paid("K1-1", 1375, 125), paid("K1-2", 1250, 0)], T0.date(), tz=UTC, now=T0)
    assert (report.paid_cents, report.tips_cents) == (2625, 125)
    lines = format_report(report, "de")
    assert any(line.startswith("  davon Trinkgeld") and line.endswith("1,25 €") for line in lines)


def test_event_paid_appends_the_tip_at_the_end_and_leaves_it_out_without_one() -> None:
    with_tip = event_for_payment(PaidSale(reference="R-1", session_id="ps_1", paid_at=T0, amount_msat=27_500_000,
                                          tip_cents=125))
    assert with_tip == "EVENT PAID ref=R-1 session=ps_1 paid_at=2026-11-28T12:00:00Z sat=27500 tip=125"
    without = event_for_payment(PaidSale(reference="R-1", session_id="ps_1", paid_at=T0, amount_msat=25_000_000))
    assert without == "EVENT PAID ref=R-1 session=ps_1 paid_at=2026-11-28T12:00:00Z sat=25000"
