"""The terminal's messages to the till, built from plain values (pure): status information
(``04 0F``), intermediate status (``04 FF``), completion (``06 0F``), abort (``06 1E``), print line
(``06 D1``) and the answers ``80 00 00`` / ``84 xx 00``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kiosk.core.model import Phase
from kiosk.inputs.zvt.apdu import amount_bmp, bcd, encode_apdu, text_bmp

ACK = encode_apdu(0x80, 0x00)
"""``80 00 00``: command taken (and the till's answer to each message of ours)."""

# Result codes (BMP 27, 06 1E, 84 xx) as docs/zvt.md explains them.
RC_OK = 0x00
RC_DECLINED = 0x05
RC_PROCESSING_ERROR = 0x66
RC_ABORTED = 0x6C
RC_WRONG_CURRENCY = 0x6F
RC_NOT_POSSIBLE = 0x83
RC_PROTOCOL_ERROR = 0x9A
RC_PLEASE_WAIT = 0x9C
RC_NOT_READY = 0xA0
RC_MAX_AMOUNT = 0xC3
RC_AMOUNT_TOO_SMALL = 0xC8

ENDED_CODES: dict[Phase, int] = {
    Phase.EXPIRED: RC_ABORTED,
    Phase.CANCELLED: RC_ABORTED,
    Phase.BLOCKED: RC_DECLINED,
    Phase.ERROR: RC_PROCESSING_ERROR,
}
"""The result code the till gets for a sale that ended unpaid."""

STATUS_PLEASE_WAIT = 0x0E
EUR = 978


def nak(code: int) -> bytes:
    """``84 xx 00``: the command is refused with result code ``code``."""
    return encode_apdu(0x84, code)


@dataclass(frozen=True, slots=True, kw_only=True)
class Booking:
    """What the till books for a paid sale."""

    amount_cents: int
    """The total charged: what the customer saw and paid, the till's amount plus the tip."""
    trace: int
    receipt: int
    at: datetime
    """Local time of the payment, for BMPs 0C/0D."""
    terminal_id: str
    card_name: str
    session_id: str
    reference: str
    with_currency: bool
    tip_cents: int = 0
    """The customer's tip, within ``amount_cents`` (``[tips]``)."""


def eur(cents: int) -> str:
    """``12,50``: cents as the slip and the additional text write them (CP437 has no euro sign)."""
    return f"{cents // 100},{cents % 100:02d}"


def additional_text(b: Booking) -> str:
    """BMP 3C: the tip first (a till that shows the text at all shows its start), then the Mion
    session id and the kiosk's reference the till books and looks the payment up by."""
    tip = (f"Tip EUR {eur(b.tip_cents)} incl. in EUR {eur(b.amount_cents)} (sale EUR "
           f"{eur(b.amount_cents - b.tip_cents)}); ") if b.tip_cents else ""
    return f"{tip}Mion session {b.session_id} ref {b.reference}"[:999]


def paid_status(b: Booking) -> bytes:
    """``04 0F`` for a payment: result 00, the amount charged (with a tip: the total), trace, time,
    date, receipt, TID, card name, and the tip, the Mion session id and the kiosk's reference in the
    additional text (:func:`additional_text`)."""
    data = (b"\x27\x00" + amount_bmp(b.amount_cents) + b"\x0b" + bcd(b.trace % 1_000_000, 3)
            + b"\x0c" + bcd(int(b.at.strftime("%H%M%S")), 3) + b"\x0d" + bcd(int(b.at.strftime("%m%d")), 2)
            + b"\x87" + bcd(b.receipt % 10_000, 2) + b"\x19\x60" + b"\x29" + bcd(int(b.terminal_id), 4)
            + text_bmp(0x8B, b.card_name + "\x00", 2)
            + text_bmp(0x3C, additional_text(b), 3))
    if b.with_currency:
        data += b"\x49" + bcd(EUR, 2)
    return encode_apdu(0x04, 0x0F, data)


def failed_status(code: int, amount_cents: int | None) -> bytes:
    """``04 0F 27 <code> [04 amount]``."""
    data = bytes([0x27, code]) + (b"" if amount_cents is None else amount_bmp(amount_cents))
    return encode_apdu(0x04, 0x0F, data)


def end_of_day_status(total_cents: int, at: datetime) -> bytes:
    """``04 0F`` of an end-of-day: result 00, the total since the last one, time and date."""
    data = (b"\x27\x00" + amount_bmp(total_cents) + b"\x0c" + bcd(int(at.strftime("%H%M%S")), 3)
            + b"\x0d" + bcd(int(at.strftime("%m%d")), 2))
    return encode_apdu(0x04, 0x0F, data)


def intermediate(status: int = STATUS_PLEASE_WAIT) -> bytes:
    return encode_apdu(0x04, 0xFF, bytes([status]))


def completion(data: bytes = b"") -> bytes:
    return encode_apdu(0x06, 0x0F, data)


def abort(code: int) -> bytes:
    return encode_apdu(0x06, 0x1E, bytes([code]))


def print_line(text: str, *, last: bool = False) -> bytes:
    """``06 D1``: one receipt line for the till's printer (attribute 00; FF-class ends the receipt)."""
    return encode_apdu(0x06, 0xD1, bytes([0x81 if last else 0x00]) + text.encode("cp437", "replace")[:40])


def slip_lines(b: Booking) -> list[str]:
    """The payment slip the till prints when it asked to print the receipts itself. With a tip the
    amount line is the till's amount, then the tip and the total charged."""
    amounts = [f"Amount EUR {eur(b.amount_cents)}"] if not b.tip_cents else [
        f"Amount EUR {eur(b.amount_cents - b.tip_cents)}", f"Tip    EUR {eur(b.tip_cents)}",
        f"Total  EUR {eur(b.amount_cents)}"]
    return [
        f"{b.card_name} payment",
        *amounts,
        f"Date {b.at:%d.%m.%Y} {b.at:%H:%M:%S}",
        f"Terminal {b.terminal_id}  Trace {b.trace % 1_000_000:06d}",
        f"Receipt {b.receipt % 10_000:04d}",
        f"Session {b.session_id}"[:40],
        "Payment approved",
    ]
