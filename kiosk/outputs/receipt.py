"""Receipt layout: a paid sale becomes lines of text that fit the paper, with no printer in sight.

A :class:`Receipt` is plain data: a column count and a sequence of items (styled text lines and an
optional QR code). ``kiosk.outputs.printer`` turns it into ESC/POS bytes; reports reuse the same
shape. Every text line is at most ``width_chars`` characters long, so nothing wraps on paper in a
way the layout did not choose: long ids are broken here, not by the printer.

Widths follow font A: 58 mm paper holds 32 characters a line, 80 mm holds 48.
"""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Literal

from kiosk.config import PrinterSettings, ShopSettings
from kiosk.core.model import sats_for
from kiosk.core.text import format_eur, format_sats
from kiosk.core.text_tips import rate_line
from kiosk.store.bookings import NOT_BOOKED, is_not_booked
from kiosk.store.records import SaleRecord

log = logging.getLogger(__name__)

Align = Literal["left", "center", "right"]
Copy = Literal["customer", "merchant"]

COLUMNS_BY_PAPER_MM = {58: 32, 80: 48}

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "date": "Date",
        "amount": "Amount",
        "paid_with": "Paid with Bitcoin Lightning",
        "reference": "Till ref.",
        "session": "Payment session",
        "merchant_copy": "MERCHANT COPY",
        "duplicate": "DUPLICATE",
        "subtotal": "Subtotal",
        "tip": "Tip",
        "total": "Total",
        "rate": "Rate",
    },
    "de": {
        "date": "Datum",
        "amount": "Betrag",
        "paid_with": "Bezahlt mit Bitcoin Lightning",
        "reference": "Kassen-Ref.",
        "session": "Zahlungssitzung",
        "merchant_copy": "HÄNDLERKOPIE",
        "duplicate": "DUPLIKAT",
        "subtotal": "Zwischensumme",
        "tip": "Trinkgeld",
        "total": "Gesamt",
        "rate": "Kurs",
    },
    "fi": {
        "date": "Päivämäärä",
        "amount": "Summa",
        "paid_with": "Maksettu Bitcoin Lightningilla",
        "reference": "Kassaviite",
        "session": "Maksuistunto",
        "merchant_copy": "KAUPPIAAN KAPPALE",
        "duplicate": "KAKSOISKAPPALE",
        "subtotal": "Välisumma",
        "tip": "Tippi",
        "total": "Yhteensä",
        "rate": "Kurssi",
    },
}

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    """One printed line. ``double_height`` keeps the width, so the line still fits."""

    text: str
    align: Align = "left"
    bold: bool = False
    double_height: bool = False


@dataclass(frozen=True, slots=True)
class ReceiptQr:
    """A QR code the printer renders itself (ESC/POS ``GS ( k``), centred."""

    content: str


ReceiptItem = ReceiptLine | ReceiptQr


@dataclass(frozen=True, slots=True)
class Receipt:
    """A laid-out slip: every text line fits ``width_chars``; the printer cuts after the last item."""

    width_chars: int
    items: tuple[ReceiptItem, ...]

    def __post_init__(self) -> None:
        for item in self.items:
            if isinstance(item, ReceiptLine) and len(item.text) > self.width_chars:
                raise ValueError(f"receipt line longer than {self.width_chars} characters: {item.text!r}")

    @property
    def text_lines(self) -> list[str]:
        """The text as it reads on paper, one string per line (alignment applied, QR left out)."""
        return [_aligned(item, self.width_chars) for item in self.items if isinstance(item, ReceiptLine)]


def columns_for(printer: PrinterSettings) -> int:
    """Characters per line at font A: the configured ``columns``, or the usual count for the paper width."""
    return printer.columns or COLUMNS_BY_PAPER_MM[printer.paper_mm]


def build_receipt(sale: SaleRecord, shop: ShopSettings, printer: PrinterSettings, *, copy: str,
                  tz: tzinfo | None, duplicate: bool = False) -> Receipt:
    """Lay out the slip for a paid sale.

    Args:
        sale: the paid sale, as the journal holds it.
        shop: name, address lines and language.
        printer: paper width, QR and footer options.
        copy: "customer" or "merchant" (the merchant copy says so).
        tz: the local zone for the printed date and time; None uses the system's.
        duplicate: an earlier print of this slip may have come out; the slip says so.

    Raises:
        ValueError: ``copy`` is neither "customer" nor "merchant".
    """
    if copy not in ("customer", "merchant"):
        raise ValueError(f'copy must be "customer" or "merchant", got {copy!r}')
    lang = shop.language if shop.language in TEXTS else "en"
    texts = TEXTS[lang]
    width = columns_for(printer)
    when = (sale.paid_at or sale.updated_at).astimezone(tz)

    items: list[ReceiptItem] = []
    items += centred(shop.name, width, bold=True)
    for line in shop.address_lines:
        items += centred(line, width)
    if duplicate:
        items += centred(texts["duplicate"], width, bold=True)
    items.append(rule(width))
    items += label_value(texts["date"], format_datetime(when, lang), width)
    if sale.tip_cents:
        items += label_value(texts["subtotal"], format_eur(sale.amount_cents - sale.tip_cents, lang), width)
        items += label_value(texts["tip"], format_eur(sale.tip_cents, lang), width)
    items += label_value(texts["total" if sale.tip_cents else "amount"], format_eur(sale.amount_cents, lang), width,
                         bold=True, double=True)
    if sale.amount_msat is not None:
        items += label_value("", format_sats(sats_for(sale.amount_msat), lang), width)
        rate = rate_line(sale.amount_cents, sale.amount_msat, lang)
        if rate is not None:  # the rate of this very invoice: Mion's amountMsat over the amount charged
            items += label_value(texts["rate"], rate, width)
    items.append(ReceiptLine("", "left"))
    items += centred(texts["paid_with"], width, bold=True)
    items.append(ReceiptLine("", "left"))
    items += label_value(texts["reference"], sale.reference, width)
    if sale.session_id:
        items.append(ReceiptLine(texts["session"][:width]))
        items += wrapped(sale.session_id, width, indent=2)
    if printer.receipt_qr and sale.session_id:
        items.append(ReceiptQr(sale.session_id))
    if printer.footer:
        items.append(rule(width))
        items += centred(printer.footer, width)
    if copy == "merchant":
        items.append(ReceiptLine("", "left"))
        items += centred(texts["merchant_copy"], width, bold=True)
        if is_not_booked(sale.detail):  # a ZVT till did not book it: book or refund by hand
            items += centred(NOT_BOOKED.upper(), width, bold=True)
    return Receipt(width_chars=width, items=tuple(items))


# --- layout helpers (also used by reports) ---------------------------------------------------------


def rule(width: int) -> ReceiptLine:
    """A full-width dashed separator."""
    return ReceiptLine("-" * width)


def centred(text: str, width: int, *, bold: bool = False) -> list[ReceiptLine]:
    """``text`` wrapped to ``width`` and centred, one item per line."""
    return [ReceiptLine(part, "center", bold) for part in _wrap(text, width)]


def wrapped(text: str, width: int, *, indent: int = 0) -> list[ReceiptLine]:
    """``text`` broken into left-aligned lines of at most ``width`` characters (ids break anywhere)."""
    pad = " " * indent
    return [ReceiptLine(pad + part) for part in _wrap(text, width - indent)]


def label_value(label: str, value: str, width: int, *, bold: bool = False,
                double: bool = False) -> list[ReceiptLine]:
    """Label on the left, value on the right; when both do not fit one line the value goes below."""
    if len(label) + 1 + len(value) <= width:
        gap = width - len(label) - len(value)
        return [ReceiptLine(label + " " * gap + value, "left", bold, double)]
    lines = [ReceiptLine(part, "left", bold) for part in _wrap(label, width)] if label else []
    lines += [ReceiptLine(part, "right", bold, double) for part in _wrap(value, width)]
    return lines


def _wrap(text: str, width: int) -> list[str]:
    parts = textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False)
    return parts or [""]


def _aligned(line: ReceiptLine, width: int) -> str:
    if line.align == "center":
        return line.text.center(width).rstrip()
    if line.align == "right":
        return line.text.rjust(width)
    return line.text


# --- dates and times (money formatting is kiosk.core.text's, shared with the screen) ----------------


def format_datetime(when: datetime, lang: str) -> str:
    """Local date and time as printed on slips: ``28 Nov 2026 17:50`` / ``28.11.2026 17:50`` /
    ``28.11.2026 klo 17.50``."""
    if lang == "de":
        return when.strftime("%d.%m.%Y %H:%M")
    if lang == "fi":
        return f"{when.day}.{when.month}.{when.year} klo {when.hour}.{when.minute:02d}"
    return f"{when.day} {_MONTHS_EN[when.month - 1]} {when.year} {when:%H:%M}"


def format_time(when: datetime, lang: str) -> str:
    """Local time of day: ``17:50`` (en, de) or ``17.50`` (fi)."""
    return f"{when.hour}.{when.minute:02d}" if lang == "fi" else when.strftime("%H:%M")


def plain_lines(lines: Iterable[str], width: int) -> list[ReceiptLine]:
    """Pre-formatted text lines (e.g. a report) as receipt items, wrapped where too long."""
    items: list[ReceiptLine] = []
    for line in lines:
        items += [ReceiptLine(part) for part in _wrap(line, width)] if len(line) > width else [ReceiptLine(line)]
    return items
