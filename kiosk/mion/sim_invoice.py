"""BOLT11-shaped invoices for the simulator.

They have everything a reader looks at before paying: a valid bech32 checksum, the network prefix,
the exact amount, a timestamp, a payment hash (``p``), a payment secret (``s``), a description
(``d``), an expiry (``x``) and a 65-byte signature. The signature is random bytes, so a wallet
would refuse to pay one: they are for screens, QR scanners and the kiosk's own checks.
"""

from __future__ import annotations

import secrets

from kiosk.core.invoice import PREFIX_BY_NETWORK, bech32_encode

_TAG_PAYMENT_HASH = 1  # 'p'
_TAG_PAYMENT_SECRET = 16  # 's'
_TAG_DESCRIPTION = 13  # 'd'
_TAG_EXPIRY = 6  # 'x'
_MAX_DESCRIPTION_BYTES = 160


def build_invoice(*, amount_msat: int, network: str, timestamp: int, expiry_s: int, description: str,
                  payment_hash: bytes | None = None) -> str:
    """A BOLT11-shaped invoice for exactly ``amount_msat`` on ``network`` (mainnet, testnet, signet, regtest).

    ``timestamp`` is seconds since the epoch; ``expiry_s`` the invoice's lifetime in seconds.
    """
    if amount_msat <= 0:
        raise ValueError(f"amount_msat must be positive, got {amount_msat}")
    if network not in PREFIX_BY_NETWORK:
        raise ValueError(f"unknown network {network!r}")
    if not 0 <= timestamp < 2**35:
        raise ValueError(f"timestamp {timestamp} does not fit in 35 bits")
    hrp = "ln" + PREFIX_BY_NETWORK[network] + encode_amount(amount_msat)
    data = _int_to_groups(timestamp, 7)
    data += _tagged(_TAG_PAYMENT_HASH, payment_hash if payment_hash is not None else secrets.token_bytes(32))
    data += _tagged(_TAG_PAYMENT_SECRET, secrets.token_bytes(32))
    data += _tagged(_TAG_DESCRIPTION, description.encode("utf-8")[:_MAX_DESCRIPTION_BYTES])
    data += _tagged_groups(_TAG_EXPIRY, _int_to_groups(max(expiry_s, 1)))
    data += bytes_to_groups(secrets.token_bytes(64) + bytes([secrets.randbelow(4)]))  # 65-byte signature
    return bech32_encode(hrp, data)


def encode_amount(amount_msat: int) -> str:
    """The shortest BOLT11 amount (digits + multiplier) for ``amount_msat``."""
    for multiplier, msat_per_unit in (("", 10**11), ("m", 10**8), ("u", 10**5), ("n", 100)):
        if amount_msat % msat_per_unit == 0:
            return f"{amount_msat // msat_per_unit}{multiplier}"
    return f"{amount_msat * 10}p"


def bytes_to_groups(data: bytes) -> list[int]:
    """Bytes as 5-bit groups, zero-padded at the end (bech32's convertbits with padding)."""
    if not data:
        return []
    bits = int.from_bytes(data, "big")
    count = (len(data) * 8 + 4) // 5
    bits <<= count * 5 - len(data) * 8
    return _int_to_groups(bits, count)


def _int_to_groups(value: int, count: int | None = None) -> list[int]:
    """``value`` big-endian in 5-bit groups; ``count`` pads with leading zeros (None: as few as needed)."""
    groups: list[int] = []
    while value:
        groups.append(value & 31)
        value >>= 5
    if count is not None:
        if len(groups) > count:
            raise ValueError("value does not fit")
        groups += [0] * (count - len(groups))
    return groups[::-1] or [0]


def _tagged(tag: int, payload: bytes) -> list[int]:
    return _tagged_groups(tag, bytes_to_groups(payload))


def _tagged_groups(tag: int, groups: list[int]) -> list[int]:
    return [tag] + _int_to_groups(len(groups), 2) + groups
