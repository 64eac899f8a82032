"""Reading the data part of a BOLT11 invoice: its timestamp and expiry, and a copy without its secret.

For ``kiosk doctor --live``, which compares the invoice's own expiry with the attempt's, and for
``--record``, which keeps the invoice's shape but never its payment secret (the ``s`` field, what a
payer proves it knows). Pure; the checksum is checked by :func:`kiosk.core.invoice.verify_bech32_checksum`.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.core.invoice import BECH32_CHARSET, bech32_encode, verify_bech32_checksum
from kiosk.errors import InvoiceRejected

DEFAULT_EXPIRY_S = 3600
"""BOLT11: an invoice without an ``x`` field expires an hour after its timestamp."""
_SIGNATURE_GROUPS = 104
_TAG_EXPIRY = BECH32_CHARSET.index("x")
_TAG_PAYMENT_SECRET = BECH32_CHARSET.index("s")


@dataclass(frozen=True, slots=True)
class InvoiceTimes:
    """When the invoice was made and how long it is valid, in seconds."""

    timestamp: int
    expiry_s: int

    @property
    def expires_at(self) -> int:
        """Seconds since the epoch when the invoice stops being payable."""
        return self.timestamp + self.expiry_s


def _split(invoice: str) -> tuple[str, list[int]]:
    verify_bech32_checksum(invoice)
    text = invoice.lower()
    at = text.rfind("1")
    return text[:at], [BECH32_CHARSET.index(c) for c in text[at + 1:-6]]


def _fields(body: list[int]) -> list[tuple[int, int, int]]:
    """(tag, start, end) of each tagged field in ``body`` (the data after the timestamp, before the signature)."""
    found = []
    at = 7
    while at + 3 <= len(body):
        length = body[at + 1] * 32 + body[at + 2]
        if at + 3 + length > len(body):
            raise InvoiceRejected("invoice field runs past the signature")
        found.append((body[at], at + 3, at + 3 + length))
        at += 3 + length
    return found


def invoice_times(invoice: str) -> InvoiceTimes:
    """The invoice's timestamp and expiry. Raises InvoiceRejected when it cannot be read."""
    _, data = _split(invoice)
    body = data[:-_SIGNATURE_GROUPS]
    if len(body) < 7:
        raise InvoiceRejected("invoice is too short for a timestamp")
    timestamp = _number(body[:7])
    expiry = [_number(body[start:end]) for tag, start, end in _fields(body) if tag == _TAG_EXPIRY]
    return InvoiceTimes(timestamp, expiry[0] if expiry else DEFAULT_EXPIRY_S)


def without_payment_secret(invoice: str) -> str:
    """The invoice with its payment secret zeroed (checksum redone; the signature no longer fits).

    Raises InvoiceRejected when the text is not a readable invoice.
    """
    hrp, data = _split(invoice)
    body, signature = data[:-_SIGNATURE_GROUPS], data[-_SIGNATURE_GROUPS:]
    for tag, start, end in _fields(body):
        if tag == _TAG_PAYMENT_SECRET:
            body[start:end] = [0] * (end - start)
    encoded = bech32_encode(hrp, body + signature)
    return encoded.upper() if invoice.isupper() else encoded


def _number(groups: list[int]) -> int:
    value = 0
    for group in groups:
        value = value * 32 + group
    return value
