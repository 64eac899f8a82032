"""BOLT11 invoices for the simulator, signed by a fixed demo node.

They have everything a wallet reads before paying: a valid bech32 checksum, the network prefix, the
exact amount, a timestamp, a payment hash (``p``), a payment secret (``s``), a description (``d``),
an expiry (``x``), the feature bits every wallet expects (``9``: var_onion_optin and payment_secret)
and a recoverable secp256k1 signature by :data:`DEMO_NODE_PUBKEY`. A phone wallet therefore shows the
amount and the description and fails only when it looks for a route to that node, which no channel
leads to. The node's private key is written here on purpose: it signs demo invoices and nothing else.
"""

from __future__ import annotations

import hashlib
import secrets

import coincurve

from kiosk.core.invoice import PREFIX_BY_NETWORK, bech32_encode

DEMO_NODE_SECRET = hashlib.sha256(b"lightning-kiosk simulator demo node").digest()
"""The demo node's private key: public knowledge, never a real node's."""
DEMO_NODE_PUBKEY = "0269aa09353d8c68fb9f8d8344040d2e17a17cc5dbe70672dd5eab16ebce20bc03"
"""The compressed public key a decoder recovers from every simulator invoice's signature."""

_TAG_PAYMENT_HASH = 1  # 'p'
_TAG_PAYMENT_SECRET = 16  # 's'
_TAG_DESCRIPTION = 13  # 'd'
_TAG_EXPIRY = 6  # 'x'
_TAG_FEATURES = 5  # '9'
_FEATURES = (1 << 8) | (1 << 14)  # var_onion_optin and payment_secret, both required (even bits)
_MAX_DESCRIPTION_BYTES = 160
_SIGNER = coincurve.PrivateKey(DEMO_NODE_SECRET)


def build_invoice(*, amount_msat: int, network: str, timestamp: int, expiry_s: int, description: str,
                  payment_hash: bytes | None = None, payment_secret: bytes | None = None) -> str:
    """A signed BOLT11 invoice for exactly ``amount_msat`` on ``network`` (mainnet, testnet, signet, regtest).

    ``timestamp`` is seconds since the epoch; ``expiry_s`` the invoice's lifetime in seconds. The
    payment hash and secret are random unless given (the screenshots give them, to stay the same).
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
    data += _tagged(_TAG_PAYMENT_SECRET, payment_secret if payment_secret is not None else secrets.token_bytes(32))
    data += _tagged(_TAG_DESCRIPTION, description.encode("utf-8")[:_MAX_DESCRIPTION_BYTES])
    data += _tagged_groups(_TAG_EXPIRY, _int_to_groups(max(expiry_s, 1)))
    data += _tagged_groups(_TAG_FEATURES, _int_to_groups(_FEATURES))
    data += bytes_to_groups(sign(hrp, data))
    return bech32_encode(hrp, data)


def sign(hrp: str, data: list[int]) -> bytes:
    """The 65-byte BOLT11 signature (r, s, recovery id) of ``hrp`` and the 5-bit ``data`` groups.

    BOLT11 signs the SHA-256 of the hrp's bytes followed by the data groups packed into bytes,
    zero-padded at the end.
    """
    digest = hashlib.sha256(hrp.encode("ascii") + groups_to_bytes(data)).digest()
    signature: bytes = _SIGNER.sign_recoverable(digest, hasher=None)
    return signature


def groups_to_bytes(groups: list[int]) -> bytes:
    """5-bit groups packed into bytes, the last byte zero-padded."""
    bits = 0
    for group in groups:
        bits = (bits << 5) | group
    count = (len(groups) * 5 + 7) // 8
    return (bits << (count * 8 - len(groups) * 5)).to_bytes(count, "big")


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
