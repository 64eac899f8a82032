"""The kiosk's own sanity check of a BOLT11 invoice before it is ever shown.

Mion chooses the invoice; the kiosk only makes sure it is what the sale expects. A BOLT11 invoice
is a bech32 string ``<hrp>1<data><checksum>``. The human-readable part (hrp) reads
``ln`` + network prefix + optional amount, for example ``lnbc2500u`` (mainnet, 2 500 µBTC) or
``lnbcrt133333330p`` (regtest). Only the hrp and the checksum are examined here: the tagged data
fields are Mion's business, and the signature cannot be checked without the node's key anyway.

Pure: no I/O, no clock. Network names are those of :data:`kiosk.config.INVOICE_NETWORKS`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kiosk.errors import InvoiceRejected

# Mirrors kiosk.config.INVOICE_NETWORKS; core imports nothing from outside core and errors.
PREFIX_BY_NETWORK = {"mainnet": "bc", "testnet": "tb", "signet": "tbs", "regtest": "bcrt"}
NETWORK_BY_PREFIX = {prefix: network for network, prefix in PREFIX_BY_NETWORK.items()}

BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_BECH32_CONST = 1  # plain bech32 (BOLT11 does not use bech32m)

# msat per unit of the amount digits, by multiplier; "p" (pico-BTC) is a tenth of a msat.
_MSAT_PER_UNIT = {"": 10**11, "m": 10**8, "u": 10**5, "n": 100}

# Signature (104 groups) + timestamp (7) + checksum (6): anything shorter cannot be an invoice.
_MIN_DATA_CHARS = 117
_HRP_RE = re.compile(r"ln([a-z]+?)(?:(\d+)([munp]?))?")


@dataclass(frozen=True, slots=True)
class InvoiceHrp:
    """What an invoice's human-readable part says."""

    prefix: str
    """The network prefix after ``ln``: bc, tb, tbs, bcrt, or something unknown."""
    amount_msat: int | None
    """The amount, or None when the invoice leaves it to the payer."""

    @property
    def network(self) -> str | None:
        """The network name (mainnet, testnet, signet, regtest) or None for an unknown prefix."""
        return NETWORK_BY_PREFIX.get(self.prefix)


def check_invoice(invoice: str, *, network: str, amount_msat: int) -> None:
    """Make sure ``invoice`` is a well-formed BOLT11 invoice for ``network`` and exactly ``amount_msat``.

    Raises:
        InvoiceRejected: with a plain sentence saying what is wrong.
        ValueError: ``network`` is not a known network name (a programming error).
    """
    if network not in PREFIX_BY_NETWORK:
        raise ValueError(f"unknown network {network!r}; expected one of {', '.join(PREFIX_BY_NETWORK)}")
    hrp = parse_hrp(invoice)
    got = hrp.network
    if got is None:
        raise InvoiceRejected(f"invoice is for an unknown network (prefix ln{hrp.prefix}), "
                              f"this kiosk accepts {network} only")
    if got != network:
        raise InvoiceRejected(f"invoice is for {got}, this kiosk accepts {network} only")
    if hrp.amount_msat is None:
        raise InvoiceRejected(f"invoice carries no amount, Mion's attempt is for {_amount_text(amount_msat)}")
    if hrp.amount_msat != amount_msat:
        raise InvoiceRejected(f"invoice amount {_amount_text(hrp.amount_msat, amount_msat)} differs from "
                              f"Mion's {_amount_text(amount_msat, hrp.amount_msat)}")
    verify_bech32_checksum(invoice)


def invoice_amount_msat(invoice: str) -> int | None:
    """The amount written in the invoice, or None when it has none or its hrp cannot be read."""
    try:
        return parse_hrp(invoice).amount_msat
    except InvoiceRejected:
        return None


def invoice_network(invoice: str) -> str | None:
    """The network the invoice is for (mainnet, testnet, signet, regtest) or None when unknown."""
    try:
        return parse_hrp(invoice).network
    except InvoiceRejected:
        return None


def parse_hrp(invoice: str) -> InvoiceHrp:
    """Read the human-readable part of ``invoice`` (everything before the last ``1``).

    Raises:
        InvoiceRejected: the text is not shaped like a BOLT11 invoice.
    """
    if not isinstance(invoice, str) or not invoice:
        raise InvoiceRejected("invoice is empty")
    if invoice != invoice.lower() and invoice != invoice.upper():
        raise InvoiceRejected("invoice mixes upper and lower case letters")
    text = invoice.lower()
    if not text.startswith("ln"):
        raise InvoiceRejected("invoice does not start with 'ln', so it is not a Lightning invoice")
    separator = text.rfind("1")
    if separator < 0:
        raise InvoiceRejected("invoice has no '1' separating its prefix from its data")
    match = _HRP_RE.fullmatch(text[:separator])
    if match is None:
        raise InvoiceRejected(f"invoice prefix {text[:min(separator, 24)]!r} is not ln + network + amount")
    prefix, digits, multiplier = match.group(1), match.group(2), match.group(3) or ""
    return InvoiceHrp(prefix=prefix, amount_msat=None if digits is None else _amount_msat(digits, multiplier))


def _amount_msat(digits: str, multiplier: str) -> int:
    if digits.startswith("0"):
        raise InvoiceRejected(f"invoice amount {digits}{multiplier} has a leading zero")
    value = int(digits)
    if multiplier == "p":
        # One pico-bitcoin is a tenth of a millisatoshi: only whole msat can be paid.
        if value % 10:
            raise InvoiceRejected(f"invoice amount {digits}p is not a whole number of millisatoshi")
        return value // 10
    return value * _MSAT_PER_UNIT[multiplier]


def _amount_text(msat: int, other_msat: int | None = None) -> str:
    """'25 000 sat'; in msat when it (or the amount it is compared with) is not a whole number of sats."""
    if msat % 1000 == 0 and (other_msat is None or other_msat % 1000 == 0):
        return f"{msat // 1000:,} sat".replace(",", " ")
    return f"{msat:,} msat".replace(",", " ")


# --- bech32 (BIP-173) -----------------------------------------------------------------------------


def bech32_polymod(values: list[int]) -> int:
    """The BCH checksum polynomial of BIP-173."""
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for i, generator in enumerate(_BECH32_GENERATOR):
            if (top >> i) & 1:
                checksum ^= generator
    return checksum


def bech32_hrp_expand(hrp: str) -> list[int]:
    """The hrp as checksum input: high bits, a zero, low bits."""
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def bech32_create_checksum(hrp: str, data: list[int]) -> list[int]:
    """Six 5-bit groups that make ``hrp`` + ``data`` a valid bech32 string."""
    polymod = bech32_polymod(bech32_hrp_expand(hrp) + data + [0] * 6) ^ _BECH32_CONST
    return [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]


def bech32_encode(hrp: str, data: list[int]) -> str:
    """``hrp`` + ``1`` + data and checksum in the bech32 alphabet. No length limit (BOLT11 needs none)."""
    return hrp + "1" + "".join(BECH32_CHARSET[d] for d in data + bech32_create_checksum(hrp, data))


def verify_bech32_checksum(invoice: str) -> None:
    """Check the alphabet, the length and the checksum of a bech32 string.

    Raises:
        InvoiceRejected: a character is outside the alphabet, the data part is too short, or the
            checksum does not match (a typo, a truncated copy, or not an invoice at all).
    """
    text = invoice.lower()
    separator = text.rfind("1")
    hrp, data_part = text[:separator], text[separator + 1:]
    if len(data_part) < _MIN_DATA_CHARS:
        raise InvoiceRejected(f"invoice is too short to be complete ({len(invoice)} characters)")
    bad = next((c for c in data_part if c not in BECH32_CHARSET), None)
    if bad is not None:
        raise InvoiceRejected(f"invoice contains {bad!r}, which is not a bech32 character")
    data = [BECH32_CHARSET.index(c) for c in data_part]
    if bech32_polymod(bech32_hrp_expand(hrp) + data) != _BECH32_CONST:
        raise InvoiceRejected("invoice checksum does not match: it is damaged or incomplete")
