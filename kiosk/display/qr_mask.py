"""qrcode's choice of mask, made in a few milliseconds instead of twenty or thirty.

Theory of operation
-------------------
``qrcode.QRCode.make`` lays out the whole symbol nine times (once per mask pattern in its test mode,
then once for real) and scores each of the eight test layouts with ``qrcode.util.lost_point``, in pure
Python, module by module: about 85 % of an invoice's encoding time. This module gives the same
answer with less work:

1. qrcode lays the symbol out once, in test mode with mask 0 (format and version areas light, as in
   its own scoring); the modules qrcode's ``map_data`` fills (the data region) are noted per version.
2. Each row becomes an integer, one bit per module (bit ``c`` is column ``c``); undoing mask 0 on the
   data region gives the unmasked layout, and each mask is one XOR per row.
3. Each layout is scored with qrcode's four rules, computed on whole rows at once: runs of five or
   more and the 1:1:3:1:1 finder-like patterns by regular expressions over the rows and columns as
   text, 2x2 blocks by bit operations on adjacent rows, the dark share by counting bits. Each rule
   counts exactly what ``lost_point`` counts, so the chosen mask is the one qrcode would choose
   (the first of the lowest scores); ``tests/display/test_qr_mask.py`` checks it on many invoices.
4. qrcode then lays the symbol out for real with that mask.

An invoice is one alphanumeric chunk: its bit stream (mode, character count, data, terminator,
padding) is built as one integer, two characters per 11 bits, instead of bit by bit through
qrcode's ``BitBuffer`` (which took half the remaining time, twice: for the version and for the data).
The version is the one qrcode's ``best_fit`` would choose; other data goes through qrcode's own code.
"""

from __future__ import annotations

import functools
from bisect import bisect_left
from collections.abc import Sequence
from itertools import chain
from typing import Any

import qrcode
import qrcode.base
import qrcode.exceptions
import qrcode.util

_FINDER_RIGHT, _FINDER_LEFT = "10111010000", "00001011101"
"""A finder-like pattern with four light modules on one side (rule 3: 40 points each)."""
_DIGITS = bytes.maketrans(b"\x00\x01", b"01")
_MASK_PERIOD = 12
"""Every mask pattern repeats every 12 modules along a row or a column (it depends on k % 2, k % 3, k // 2 % 2
and k // 3 % 2)."""


class _Layout(qrcode.QRCode):  # type: ignore[misc]  # qrcode has no type hints
    """A QRCode that notes which modules its ``map_data`` fills: the data region of its version."""

    def map_data(self, data: Any, mask_pattern: int) -> None:
        if self.version not in _DATA_REGION:
            _DATA_REGION[self.version] = tuple(
                int("".join("0" if m is not None else "1" for m in reversed(row)), 2) for row in self.modules)
        super().map_data(data, mask_pattern)


_DATA_REGION: dict[int, tuple[int, ...]] = {}
"""Per version: for each row, the bits of the modules that carry data (set by ``map_data``, which owns it)."""


def row_bits(row: Sequence[bool] | bytes) -> int:
    """Modules in reading order as an integer, bit ``k`` set when module ``k`` is dark."""
    return int(bytes(row).translate(_DIGITS)[::-1], 2)


@functools.lru_cache(maxsize=16)
def _mask_bits(version: int, pattern: int, transposed: bool) -> tuple[int, ...]:
    """For each row (each column if ``transposed``), the data modules that mask ``pattern`` inverts."""
    n = version * 4 + 17
    invert = qrcode.util.mask_func(pattern)
    region = _DATA_REGION[version]
    lines = []
    for a in range(n):
        cells = (invert(b, a) if transposed else invert(a, b) for b in range(_MASK_PERIOD))
        period = "".join("1" if cell else "0" for cell in cells)
        bits = int((period * (n // _MASK_PERIOD + 1))[:n][::-1], 2)
        if transposed:
            bits &= sum(1 << r for r in range(n) if region[r] >> a & 1)
        else:
            bits &= region[a]
        lines.append(bits)
    return tuple(lines)


@functools.lru_cache(maxsize=16)
def _whole(version: int, pattern: int, transposed: bool) -> int:
    """:func:`_mask_bits` as one integer, line ``k`` at bits ``k * n`` to ``k * n + n - 1``."""
    n = version * 4 + 17
    return sum(bits << (k * n) for k, bits in enumerate(_mask_bits(version, pattern, transposed)))


@functools.lru_cache(maxsize=8)
def _starts(n: int) -> tuple[int, int, int]:
    """Where, in a whole symbol as one integer, a pair, a 2x2 block and an 11-module window may start."""
    def where(last_col: int, last_row: int) -> int:
        line = (1 << (last_col + 1)) - 1
        return sum(line << (r * n) for r in range(last_row + 1))

    return where(n - 2, n - 1), where(n - 2, n - 2), where(n - 11, n - 1)


def _count(symbol: int, pattern: str, starts: int) -> int:
    """How many windows of ``symbol`` (starting at ``starts``) read ``pattern``, module k at bit k."""
    found = starts
    for k, digit in enumerate(pattern):
        shifted = symbol >> k
        found &= shifted if digit == "1" else ~shifted
    return found.bit_count()


def penalty(rows: int, columns: int, n: int) -> int:
    """``qrcode.util.lost_point`` of an ``n`` x ``n`` symbol: module (r, c) at bit ``r * n + c`` of ``rows``
    and at bit ``c * n + r`` of ``columns`` (the same symbol, transposed)."""
    pairs, blocks, windows = _starts(n)
    points = 0
    for lines in (rows, columns):
        # Rule 1: a run of L >= 5 is L - 1 equal neighbours in a row, and 4-wide windows of them, L - 4.
        same = ~(lines ^ (lines >> 1)) & pairs
        runs = same & (same >> 1) & (same >> 2) & (same >> 3)
        points += runs.bit_count() + 2 * (runs & ~(runs << 1)).bit_count()
        # Rule 3: 40 for each finder-like pattern with four light modules on either side.
        points += 40 * (_count(lines, _FINDER_RIGHT, windows) + _count(lines, _FINDER_LEFT, windows))
    # Rule 2: 3 for each 2x2 block of one colour (overlapping blocks each count).
    same_below = ~(rows ^ (rows >> n))
    points += 3 * (same_below & (same_below >> 1) & ~(rows ^ (rows >> 1)) & blocks).bit_count()
    # Rule 4: 10 for each 5 % the dark share is off 50 %, as qrcode computes it.
    percent = float(rows.bit_count()) / (n**2)
    return points + int(abs(percent * 100 - 50) / 5) * 10


def best_mask(code: qrcode.QRCode) -> int:
    """The mask ``code.make()`` would choose (``code`` has its data and version; it is left laid out)."""
    code.makeImpl(True, 0)
    version, n = code.version, code.modules_count
    rows = row_bits(bytes(chain.from_iterable(code.modules))) ^ _whole(version, 0, False)
    columns = row_bits(bytes(chain.from_iterable(zip(*code.modules, strict=True)))) ^ _whole(version, 0, True)
    scores = [penalty(rows ^ _whole(version, pattern, False), columns ^ _whole(version, pattern, True), n)
              for pattern in range(8)]
    return scores.index(min(scores))


_ALNUM_VALUE = {char: value for value, char in enumerate(qrcode.util.ALPHA_NUM)}


def alnum_bits(text: bytes) -> tuple[int, int]:
    """The data bits of an alphanumeric chunk (two characters per 11 bits, a last one in 6), and their
    number: what ``QRData.write`` puts into a ``BitBuffer``, as one integer."""
    values = [_ALNUM_VALUE[char] for char in text]
    stream = 0
    for i in range(0, len(values) - 1, 2):
        stream = (stream << 11) | (values[i] * 45 + values[i + 1])
    if len(values) % 2:
        stream = (stream << 6) | values[-1]
    return stream, 11 * (len(values) // 2) + 6 * (len(values) % 2)


def _one_alnum_chunk(code: qrcode.QRCode) -> bytes | None:
    chunks = code.data_list
    if len(chunks) == 1 and chunks[0].mode == qrcode.util.MODE_ALPHA_NUM:
        return bytes(chunks[0].data)
    return None


def fit_version(code: qrcode.QRCode, data_bits: int, start: int = 1) -> int:
    """``code.best_fit(start)`` for one alphanumeric chunk of ``data_bits`` data bits.

    (Reading ``code.version`` before it is set would run qrcode's own ``best_fit``.)
    """
    version = start
    limits = qrcode.util.BIT_LIMIT_TABLE[code.error_correction]
    while True:
        count_bits = qrcode.util.length_in_bits(qrcode.util.MODE_ALPHA_NUM, version)
        fitted = bisect_left(limits, 4 + count_bits + data_bits, version)
        if fitted == 41:
            raise qrcode.exceptions.DataOverflowError()
        if qrcode.util.length_in_bits(qrcode.util.MODE_ALPHA_NUM, fitted) == count_bits:
            return fitted
        version = fitted


def _stream(code: qrcode.QRCode) -> tuple[int, int]:
    """The bits ``create_data`` puts before the terminator, as (integer, number of bits)."""
    text = _one_alnum_chunk(code)
    if text is not None:
        data, data_bits = alnum_bits(text)
        count_bits = qrcode.util.length_in_bits(qrcode.util.MODE_ALPHA_NUM, code.version)
        stream = (((qrcode.util.MODE_ALPHA_NUM << count_bits) | len(text)) << data_bits) | data
        return stream, 4 + count_bits + data_bits
    buffer = qrcode.util.BitBuffer()
    for chunk in code.data_list:
        buffer.put(chunk.mode, 4)
        buffer.put(len(chunk), qrcode.util.length_in_bits(chunk.mode, code.version))
        chunk.write(buffer)
    bits = len(buffer)
    whole = int.from_bytes(bytes(b & 0xFF for b in buffer.buffer), "big") if buffer.buffer else 0
    return whole >> (8 * len(buffer.buffer) - bits), bits


def codewords(code: qrcode.QRCode) -> list[int]:
    """``qrcode.util.create_data`` for ``code`` (data, padding, then Reed-Solomon error correction,
    interleaved), with the error correction computed by table look-ups instead of polynomial objects."""
    stream, bits = _stream(code)
    blocks = qrcode.base.rs_blocks(code.version, code.error_correction)
    bit_limit = sum(block.data_count * 8 for block in blocks)
    if bits > bit_limit:
        raise qrcode.exceptions.DataOverflowError(f"code length overflow: {bits} > {bit_limit} bits")
    terminator = min(bit_limit - bits, 4)
    stream, bits = stream << terminator, bits + terminator
    filler = -bits % 8
    stream, bits = stream << filler, bits + filler
    payload = list(stream.to_bytes(bits // 8, "big"))
    pads = (qrcode.util.PAD0, qrcode.util.PAD1)
    payload += [pads[i % 2] for i in range((bit_limit - bits) // 8)]
    data_blocks: list[list[int]] = []
    ec_blocks: list[list[int]] = []
    offset = 0
    for block in blocks:
        data_blocks.append(payload[offset:offset + block.data_count])
        offset += block.data_count
        ec_blocks.append(_remainder(data_blocks[-1], block.total_count - block.data_count))
    words = []
    for blocks_of_kind in (data_blocks, ec_blocks):
        for i in range(max(len(b) for b in blocks_of_kind)):
            words += [b[i] for b in blocks_of_kind if i < len(b)]
    return words


@functools.lru_cache(maxsize=8)
def _generator_logs(ec_count: int) -> tuple[int, ...]:
    """The Reed-Solomon generator polynomial of degree ``ec_count``, past its leading 1, as logarithms."""
    poly = [1]
    for i in range(ec_count):  # times (x - a^i)
        root = qrcode.base.gexp(i)
        poly = [a ^ (qrcode.base.gexp(qrcode.base.glog(b) + qrcode.base.glog(root)) if b else 0)
                for a, b in zip([*poly, 0], [0, *poly], strict=True)]
    return tuple(qrcode.base.glog(c) for c in poly[1:])


def _remainder(data: list[int], ec_count: int) -> list[int]:
    """The ``ec_count`` error correction words of ``data`` (the remainder of its division by the generator)."""
    exp, log = qrcode.base.EXP_TABLE, qrcode.base.LOG_TABLE
    generator = _generator_logs(ec_count)
    remainder = [0] * ec_count
    for word in data:
        factor = word ^ remainder[0]
        del remainder[0]
        remainder.append(0)
        if factor:
            factor_log = log[factor]
            for i, coefficient_log in enumerate(generator):
                remainder[i] ^= exp[(factor_log + coefficient_log) % 255]
    return remainder


def make(code: qrcode.QRCode) -> None:
    """``code.make(fit=True)`` with the same result, choosing the mask in a fraction of the time.

    ``code`` must be a :func:`new_code` (its ``map_data`` notes the data region).
    """
    text = _one_alnum_chunk(code)
    if text is None:
        code.best_fit(start=code.version)
    else:
        code.version = fit_version(code, alnum_bits(text)[1])
    code.data_cache = codewords(code)
    mask = best_mask(code)
    code.makeImpl(False, mask)


def new_code(**kwargs: Any) -> qrcode.QRCode:
    """A ``qrcode.QRCode(**kwargs)`` for :func:`make`."""
    return _Layout(**kwargs)
