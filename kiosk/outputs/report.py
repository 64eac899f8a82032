"""Day reports: X (interim, any time) and Z (closing, at the end of the day), from the journal.

A day is a local calendar day in the shop's zone, and a sale belongs to the day it was *created* on
(the journal's ``sales_on``), so a sale started at 23:58 and paid at 00:01 counts on the day it was
started, exactly as ``kiosk history`` lists it. Sats are summed per sale (each rounded up,
``kiosk.core.model.sats_for``), the way every receipt and history line shows them, so the totals add up
line by line (and may exceed the day's msat rounded once by less than one sat per sale).

``compute_report`` is pure; ``format_report`` lays it out as text lines for the terminal or paper;
``print_report`` sends it to the receipt printer.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, tzinfo
from typing import Protocol

from kiosk.config import PrinterSettings, Settings
from kiosk.core.model import Phase
from kiosk.core.text import format_eur, format_sats
from kiosk.outputs.receipt import (
    Receipt,
    centred,
    columns_for,
    format_time,
    label_value,
    plain_lines,
    rule,
)
from kiosk.store.bookings import is_not_booked
from kiosk.store.records import SaleRecord

log = logging.getLogger(__name__)

REPORT_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "x_title": "X REPORT (interim)",
        "z_title": "Z REPORT (closing)",
        "day": "Day",
        "printed": "Made",
        "paid": "Paid sales",
        "total_eur": "Total EUR",
        "total_sats": "Total Lightning",
        "tips": "of which tips",
        "first": "First sale",
        "last": "Last sale",
        "late": "of which paid late",
        "not_booked": "not booked by the till",
        "expired": "Expired",
        "cancelled": "Cancelled",
        "other": "Blocked or failed",
        "open": "Still open",
        "none": "-",
    },
    "de": {
        "x_title": "X-BERICHT (Zwischenstand)",
        "z_title": "Z-BERICHT (Tagesabschluss)",
        "day": "Tag",
        "printed": "Erstellt",
        "paid": "Bezahlte Verkäufe",
        "total_eur": "Summe EUR",
        "total_sats": "Summe Lightning",
        "tips": "davon Trinkgeld",
        "first": "Erster Verkauf",
        "last": "Letzter Verkauf",
        "late": "davon verspätet bezahlt",
        "not_booked": "von der Kasse nicht gebucht",
        "expired": "Abgelaufen",
        "cancelled": "Abgebrochen",
        "other": "Gesperrt oder Fehler",
        "open": "Noch offen",
        "none": "-",
    },
    "fi": {
        "x_title": "X-RAPORTTI (välitulos)",
        "z_title": "Z-RAPORTTI (päätös)",
        "day": "Päivä",
        "printed": "Tehty",
        "paid": "Maksetut myynnit",
        "total_eur": "Yhteensä EUR",
        "total_sats": "Yhteensä Lightning",
        "tips": "josta tippejä",
        "first": "Ensimmäinen myynti",
        "last": "Viimeinen myynti",
        "late": "joista myöhässä maksettu",
        "not_booked": "kassa ei kirjannut",
        "expired": "Vanhentuneet",
        "cancelled": "Peruutetut",
        "other": "Estetyt tai virheet",
        "open": "Vielä auki",
        "none": "-",
    },
}


@dataclass(frozen=True, slots=True, kw_only=True)
class DayReport:
    """The day's figures. Money in integer cents and whole sats; times in the report's local zone."""

    day: date
    closing: bool
    """True for a Z (closing) report, False for an X (interim) one."""
    paid_count: int
    paid_cents: int
    paid_sats: int
    late_count: int
    first_paid_at: datetime | None
    last_paid_at: datetime | None
    expired_count: int
    cancelled_count: int
    other_count: int
    """Blocked by compliance or ended in an error."""
    open_count: int
    """Not finished yet (still payable); shown so that an X report taken mid-sale adds up."""
    made_at: datetime
    tips_cents: int = 0
    """The customers' tips within ``paid_cents`` (``[tips]``)."""
    not_booked_count: int = 0
    """Paid, but a ZVT till did not book them: to book by hand or refund (``kiosk.store.bookings``)."""


class DayJournal(Protocol):
    """The part of the journal a report needs."""

    def sales_on(self, day: date, tz: tzinfo) -> list[SaleRecord]: ...


def compute_report(sales: Iterable[SaleRecord], day: date, *, tz: tzinfo | None = None, closing: bool = False,
                   now: datetime | None = None) -> DayReport:
    """Count and add up ``sales``, the sales *created* on local ``day`` (``journal.sales_on(day, tz)``).

    With ``tz`` (the zone the day was taken in; pass the same one) the report's times are in that zone
    and any sale created on another local day is left out and logged, so the figures always describe
    ``day``. Without ``tz`` the list is trusted as it is and times are in the system's zone.
    """
    made_at = (now or datetime.now().astimezone()).astimezone(tz)
    todays = []
    for sale in sales:
        if tz is None or sale.created_at.astimezone(tz).date() == day:
            todays.append(sale)
        else:
            log.warning("report for %s: sale %s was created on another day; left out", day, sale.reference)
    paid = [s for s in todays if s.phase is Phase.PAID]
    paid_times = sorted((s.paid_at or s.updated_at).astimezone(tz) for s in paid)
    return DayReport(
        day=day,
        closing=closing,
        paid_count=len(paid),
        paid_cents=sum(s.amount_cents for s in paid),
        paid_sats=sum(s.amount_sat or 0 for s in paid),
        late_count=sum(1 for s in paid if s.late),
        first_paid_at=paid_times[0] if paid_times else None,
        last_paid_at=paid_times[-1] if paid_times else None,
        expired_count=sum(1 for s in todays if s.phase is Phase.EXPIRED),
        cancelled_count=sum(1 for s in todays if s.phase is Phase.CANCELLED),
        other_count=sum(1 for s in todays if s.phase in (Phase.BLOCKED, Phase.ERROR)),
        open_count=sum(1 for s in todays if not s.phase.is_final),
        made_at=made_at,
        tips_cents=sum(s.tip_cents for s in paid),
        not_booked_count=sum(1 for s in paid if is_not_booked(s.detail)),
    )


def report_for_day(journal: DayJournal, day: date, tz: tzinfo, *, closing: bool = False,
                   now: datetime | None = None) -> DayReport:
    """Read ``day``'s sales from the journal and compute the report."""
    return compute_report(journal.sales_on(day, tz), day, tz=tz, closing=closing, now=now)


def format_report(report: DayReport, lang: str, *, width: int = 32, shop_name: str = "") -> list[str]:
    """The report as text lines of at most ``width`` characters (32 fits every receipt paper)."""
    t = REPORT_TEXTS.get(lang, REPORT_TEXTS["en"])
    lines: list[str] = []
    if shop_name:
        lines += [line.text.center(width).rstrip() for line in centred(shop_name, width)]
    lines += [line.text.center(width).rstrip() for line in centred(t["z_title" if report.closing else "x_title"],
                                                                    width)]
    lines.append(rule(width).text)
    rows: list[tuple[str, str]] = [
        (t["day"], report.day.isoformat()),
        (t["printed"], f"{report.made_at.date().isoformat()} {format_time(report.made_at, lang)}"),
        ("", ""),
        (t["paid"], str(report.paid_count)),
        (t["total_eur"], _plain(format_eur(report.paid_cents, lang))),
        *([(f"  {t['tips']}", _plain(format_eur(report.tips_cents, lang)))] if report.tips_cents else []),
        (t["total_sats"], _plain(format_sats(report.paid_sats, lang))),
        (t["first"], _when(report.first_paid_at, report.day, lang, t["none"])),
        (t["last"], _when(report.last_paid_at, report.day, lang, t["none"])),
    ]
    if report.late_count:
        rows.append((f"  {t['late']}", str(report.late_count)))
    if report.not_booked_count:
        rows.append((f"  {t['not_booked']}", str(report.not_booked_count)))
    rows += [
        ("", ""),
        (t["expired"], str(report.expired_count)),
        (t["cancelled"], str(report.cancelled_count)),
        (t["other"], str(report.other_count)),
    ]
    if report.open_count:
        rows.append((t["open"], str(report.open_count)))
    for label, value in rows:
        if not label and not value:
            lines.append("")
            continue
        lines += [_line_text(item.text, item.align, width) for item in label_value(label, value, width)]
    lines.append(rule(width).text)
    return lines


class ReportPrinter(Protocol):
    """What ``print_report`` needs; :class:`~kiosk.outputs.printer.ReceiptPrinter` is one."""

    def open(self) -> None: ...

    def close(self) -> None: ...

    def print_receipt(self, receipt: Receipt) -> None: ...


def report_receipt(report: DayReport, printer_settings: PrinterSettings, *, lang: str,
                   shop_name: str = "") -> Receipt:
    """The report laid out for the configured paper width."""
    width = columns_for(printer_settings)
    lines = format_report(report, lang, width=width, shop_name=shop_name)
    return Receipt(width_chars=width, items=tuple(plain_lines(lines, width)))


def print_report(report: DayReport, settings: Settings, *, title: str | None = None,
                 printer: ReportPrinter | None = None) -> None:
    """Print the report on the configured receipt printer (opened and closed here).

    Args:
        report: the figures.
        settings: the kiosk's settings: printer, shop name and language.
        title: "X" or "Z" to override ``report.closing``; None keeps it.
        printer: the printer to use; None makes a :class:`~kiosk.outputs.printer.ReceiptPrinter`.

    Raises:
        ConfigError: ``[printer] kind`` is "none".
        PrinterError: the printer is offline, out of paper or refused the job (the CLI shows it).
    """
    if title is not None:
        if title not in ("X", "Z"):
            raise ValueError(f'title must be "X" or "Z", got {title!r}')
        report = replace(report, closing=title == "Z")
    if printer is None:
        from kiosk.outputs.printer import ReceiptPrinter  # escpos only when printing

        printer = ReceiptPrinter(settings.printer)
    receipt = report_receipt(report, settings.printer, lang=settings.shop.language, shop_name=settings.shop.name)
    printer.open()
    try:
        printer.print_receipt(receipt)
    finally:
        printer.close()
    log.info("%s report for %s printed", "Z" if report.closing else "X", report.day)


def _when(moment: datetime | None, day: date, lang: str, none: str) -> str:
    if moment is None:
        return none
    if moment.date() != day:  # paid after midnight: say which day
        return f"{moment.date().isoformat()} {format_time(moment, lang)}"
    return format_time(moment, lang)


def _plain(text: str) -> str:
    # Terminal and paper both read better with ordinary spaces in figures.
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def _line_text(text: str, align: str, width: int) -> str:
    return text.rjust(width) if align == "right" else text
