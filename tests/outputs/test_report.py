"""X and Z reports: the day's figures, their layout, and printing them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiosk.config import PrinterSettings, Settings, ShopSettings
from kiosk.core.model import Phase
from kiosk.errors import PrinterOffline
from kiosk.outputs.report import (
    compute_report,
    format_report,
    print_report,
    report_for_day,
    report_receipt,
)

from .fakes import FakeJournal, paid_sale

HELSINKI = ZoneInfo("Europe/Helsinki")  # UTC+2 in November
DAY = date(2026, 11, 28)
NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def local(hour: int, minute: int, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=HELSINKI).astimezone(UTC)


def the_day() -> FakeJournal:
    """Three paid sales (one started before and paid after midnight), and the other outcomes."""
    journal = FakeJournal()
    sales = [
        paid_sale("K1-0001", amount_cents=1200, amount_msat=14_285_714_999, created_at=local(9, 5)),
        paid_sale("K1-0002", amount_cents=350, amount_msat=4_166_666_000, created_at=local(13, 40), late=True),
        paid_sale("K1-0003", amount_cents=99_999, amount_msat=1_190_464_286_500, created_at=local(23, 58),
                  paid_after=timedelta(minutes=3)),  # paid at 00:01 the next day
        paid_sale("K1-0004", created_at=local(10, 0), phase=Phase.EXPIRED),
        paid_sale("K1-0005", created_at=local(11, 0), phase=Phase.EXPIRED),
        paid_sale("K1-0006", created_at=local(12, 0), phase=Phase.CANCELLED),
        paid_sale("K1-0007", created_at=local(12, 30), phase=Phase.BLOCKED),
        # the day before and the day after, in local time, though the same UTC date for one of them
        paid_sale("K1-0000", created_at=local(23, 59, date(2026, 11, 27))),
        paid_sale("K1-0008", created_at=local(0, 30, date(2026, 11, 29))),
    ]
    for sale in sales:
        journal.add_paid(sale)
    return journal


def test_totals_for_the_local_day() -> None:
    report = report_for_day(the_day(), DAY, HELSINKI, now=NOW)
    assert report.paid_count == 3
    assert report.paid_cents == 1200 + 350 + 99_999
    assert report.paid_sats == 14_285_715 + 4_166_666 + 1_190_464_287  # per sale, rounded up each
    assert report.late_count == 1
    assert (report.expired_count, report.cancelled_count, report.other_count, report.open_count) == (2, 1, 1, 0)
    assert report.first_paid_at == local(9, 5) + timedelta(seconds=20)
    assert report.last_paid_at == datetime(2026, 11, 29, 0, 1, tzinfo=HELSINKI)
    assert report.first_paid_at is not None and report.first_paid_at.tzinfo == HELSINKI


def test_sales_of_other_days_are_left_out_even_if_handed_in() -> None:
    every_sale = list(the_day().sales.values())
    assert len(every_sale) == 9
    report = compute_report(every_sale, DAY, tz=HELSINKI, now=NOW)
    assert report.paid_count == 3 and report.expired_count == 2


def test_an_empty_day() -> None:
    report = compute_report([], DAY, tz=HELSINKI, closing=True, now=NOW)
    lines = format_report(report, "en")
    assert report.paid_count == 0 and report.first_paid_at is None
    assert "Z REPORT (closing)" in "\n".join(lines)
    assert any(line.startswith("First sale") and line.endswith("-") for line in lines)


def test_open_sales_are_counted_in_an_interim_report() -> None:
    journal = the_day()
    journal.add_paid(paid_sale("K1-0009", created_at=local(15, 0), phase=Phase.AWAITING_PAYMENT))
    report = report_for_day(journal, DAY, HELSINKI, now=NOW)
    assert report.open_count == 1
    assert "Still open" in "\n".join(format_report(report, "en"))


@pytest.mark.parametrize("lang", ["en", "de", "fi"])
@pytest.mark.parametrize("width", [32, 48])
def test_layout_fits_and_shows_the_figures(lang: str, width: int) -> None:
    report = report_for_day(the_day(), DAY, HELSINKI, now=NOW)
    lines = format_report(report, lang, width=width, shop_name="Kahvila Kuu")
    assert all(len(line) <= width for line in lines)
    text = "\n".join(lines)
    assert "2026-11-28" in text
    assert "1 015,49 €" in text or "1.015,49 €" in text or "€1,015.49" in text
    assert "1 208 916 668" in text or "1,208,916,668" in text
    assert "2026-11-29 0" in text  # the last sale was paid after midnight: its date is shown


def test_english_report_reads_line_by_line() -> None:
    report = report_for_day(the_day(), DAY, HELSINKI, now=NOW)
    lines = format_report(report, "en", width=32)
    assert "Paid sales                     3" in lines
    assert "Total EUR              €1,015.49" in lines
    assert "First sale                 09:05" in lines
    assert "Expired                        2" in lines
    assert "Cancelled                      1" in lines
    assert "X REPORT (interim)" in lines[0]


def test_printed_report_matches_the_text(tmp_path: Path) -> None:
    path = tmp_path / "receipts.bin"
    settings = Settings(printer=PrinterSettings(kind="file", device=str(path), paper_mm=58),
                        shop=ShopSettings(name="Laden", language="de"))
    report = report_for_day(the_day(), DAY, HELSINKI, now=NOW)
    print_report(report, settings, title="Z")
    data = path.read_bytes()
    assert b"Laden" in data
    assert b"Z-BERICHT (Tagesabschluss)" in data
    assert b"1.015,49 \xd5" in data  # euro sign in CP858
    assert b"Bezahlte Verk\x84ufe" in data
    receipt = report_receipt(report, settings.printer, lang="de", shop_name="Laden")
    assert receipt.width_chars == 32
    assert all(len(line) <= 32 for line in receipt.text_lines)


def test_print_report_raises_when_the_printer_is_away(tmp_path: Path) -> None:
    settings = Settings(printer=PrinterSettings(kind="file", device=str(tmp_path / "missing" / "lp0")))
    report = compute_report([], DAY, tz=HELSINKI, now=NOW)
    with pytest.raises(PrinterOffline):
        print_report(report, settings)
    with pytest.raises(ValueError, match="title"):
        print_report(report, settings, title="Y")


def test_without_a_zone_the_list_is_trusted() -> None:
    every_sale = list(the_day().sales.values())
    report = compute_report(every_sale, DAY, now=NOW)
    assert report.paid_count == 3 + 2  # the two neighbours' paid sales too: the caller picked them
