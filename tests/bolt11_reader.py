"""An independent BOLT11 reader for the tests, written from the spec (BOLT #11), sharing no code with kiosk.

It checks the bech32 checksum, reads the amount and the tagged fields, and recovers the signing
node's public key from the signature (secp256k1 public-key recovery): an invoice whose recovered key
is the demo node's was signed by it, exactly what a wallet checks before it looks for a route.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import coincurve

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_MULTIPLIER_MSAT = {"": 10**11, "m": 10**8, "u": 10**5, "n": 100}


@dataclass(frozen=True)
class Bolt11:
    network_prefix: str
    amount_msat: int | None
    timestamp: int
    fields: dict[str, bytes | int]
    payee: str
    """The compressed public key recovered from the signature, in hex."""


def _polymod(values: list[int]) -> int:
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            check ^= _GENERATOR[i] if (top >> i) & 1 else 0
    return check


def _pack(groups: list[int]) -> bytes:
    bits = "".join(f"{g:05b}" for g in groups)
    bits += "0" * (-len(bits) % 8)
    return bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))


def read_bolt11(text: str) -> Bolt11:
    """Decode and verify ``text`` (any case, with or without ``lightning:``); raises ValueError if invalid."""
    text = text.lower().removeprefix("lightning:")
    hrp, _, data_part = text.rpartition("1")
    data = [_CHARSET.index(c) for c in data_part]
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    if _polymod(expanded + data) != 1:
        raise ValueError("bad bech32 checksum")
    data = data[:-6]
    match = re.fullmatch(r"ln([a-z]+?)(\d+)?([munp]?)", hrp)
    if match is None:
        raise ValueError(f"bad hrp {hrp}")
    prefix, digits, multiplier = match.groups()
    if digits is None:
        amount = None
    elif multiplier == "p":
        amount = int(digits) // 10
    else:
        amount = int(digits) * _MULTIPLIER_MSAT[multiplier]
    body, signature = data[:-104], _pack(data[-104:])
    timestamp = int("".join(f"{g:05b}" for g in body[:7]), 2)
    fields: dict[str, bytes | int] = {}
    rest = body[7:]
    while rest:
        tag, length = _CHARSET[rest[0]], rest[1] * 32 + rest[2]
        value, rest = rest[3:3 + length], rest[3 + length:]
        if tag in "x9c":
            fields[tag] = int("".join(f"{g:05b}" for g in value), 2)
        else:
            fields[tag] = _pack(value)[: length * 5 // 8]
    digest = hashlib.sha256(hrp.encode() + _pack(body)).digest()
    if signature[64] > 3:
        raise ValueError("bad recovery id")
    payee = coincurve.PublicKey.from_signature_and_message(signature, digest, hasher=None)
    # Recovery gives a key for any signature; that key verifying it, and being the node's, is the proof.
    der = _der(signature[:64])
    if not payee.verify(der, digest, hasher=None):
        raise ValueError("the signature does not verify")
    return Bolt11(prefix, amount, timestamp, fields, payee.format(compressed=True).hex())


def _der(compact: bytes) -> bytes:
    """A compact (r, s) signature in DER, for ``PublicKey.verify``."""
    def integer(raw: bytes) -> bytes:
        raw = raw.lstrip(b"\0") or b"\0"
        if raw[0] & 0x80:
            raw = b"\0" + raw
        return b"\x02" + bytes([len(raw)]) + raw

    body = integer(compact[:32]) + integer(compact[32:])
    return b"\x30" + bytes([len(body)]) + body
