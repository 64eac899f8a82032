"""The fast mask choice picks exactly qrcode's mask and gives exactly qrcode's symbol."""

from __future__ import annotations

import random
import string

import pytest
import qrcode
import qrcode.constants
import qrcode.exceptions
import qrcode.util

from kiosk.display import qr_mask
from kiosk.display.qr import encode, qr_payload

BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def random_invoice(rng: random.Random, length: int) -> str:
    """An invoice-shaped text: a BOLT 11 prefix, then bech32 characters."""
    prefix = rng.choice(("lnbc", "lnbcrt", "lntb")) + str(rng.randint(1, 99999)) + rng.choice("munp") + "1"
    return prefix + "".join(rng.choice(BECH32) for _ in range(max(0, length - len(prefix))))


def reference(payload: str, *, alphanumeric: bool = True) -> qrcode.QRCode:
    """qrcode's own symbol for ``payload``, as the kiosk asked for it before (make(fit=True))."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(qrcode.util.QRData(payload.encode("ascii"), mode=qrcode.util.MODE_ALPHA_NUM)
                  if alphanumeric else payload)
    code.make(fit=True)
    return code


@pytest.mark.parametrize("seed", range(6))
def test_the_chosen_mask_and_the_symbol_are_qrcodes_for_random_invoices(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(25):
        payload = qr_payload(random_invoice(rng, rng.choice((60, 150, 250, 270, 280, 290, 320, 400, 600, 900))))
        expected = reference(payload)
        expected_matrix = expected.get_matrix()
        fast = qr_mask.new_code(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
        fast.add_data(qrcode.util.QRData(payload.encode("ascii"), mode=qrcode.util.MODE_ALPHA_NUM))
        qr_mask.make(fast)
        assert fast.version == expected.version
        assert fast.get_matrix() == expected_matrix, payload
        assert [list(row) for row in encode(payload).rows] == expected_matrix
        assert qr_mask.best_mask(fast) == expected.best_mask_pattern(), payload  # both lay out test symbols


def test_every_mask_is_chosen_somewhere_and_scores_match_qrcodes_lost_point() -> None:
    rng = random.Random(99)
    chosen = set()
    for _ in range(40):
        payload = qr_payload(random_invoice(rng, rng.randint(20, 400)))
        code = reference(payload)
        n = code.modules_count
        for pattern in range(8):
            code.makeImpl(True, pattern)
            rows = qr_mask.row_bits(bytes(b for row in code.modules for b in row))
            columns = qr_mask.row_bits(bytes(row[c] for c in range(n) for row in code.modules))
            assert qr_mask.penalty(rows, columns, n) == qrcode.util.lost_point(code.modules)
        chosen.add(code.best_mask_pattern())
    assert len(chosen) >= 4, "the sample should exercise several masks"


def test_text_outside_the_alphanumeric_set_still_matches_qrcode() -> None:
    rng = random.Random(3)
    for _ in range(10):
        payload = "".join(rng.choice(string.ascii_letters + string.digits + "?&=") for _ in range(rng.randint(5, 300)))
        assert [list(row) for row in encode(payload).rows] == reference(payload, alphanumeric=False).get_matrix()


@pytest.mark.parametrize("error_correction", [qrcode.constants.ERROR_CORRECT_L, qrcode.constants.ERROR_CORRECT_M,
                                              qrcode.constants.ERROR_CORRECT_Q, qrcode.constants.ERROR_CORRECT_H])
def test_the_codewords_are_qrcodes_at_every_level_and_many_versions(error_correction: int) -> None:
    rng = random.Random(error_correction)
    for _ in range(30):
        payload = qr_payload(random_invoice(rng, rng.randint(1, 1200)))
        code = qrcode.QRCode(error_correction=error_correction)
        code.add_data(qrcode.util.QRData(payload.encode("ascii"), mode=qrcode.util.MODE_ALPHA_NUM))
        code.best_fit()
        assert qr_mask.codewords(code) == qrcode.util.create_data(code.version, code.error_correction,
                                                                  code.data_list)


def _qrcode_version(length: int) -> int:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(qrcode.util.QRData(b"A" * length, mode=qrcode.util.MODE_ALPHA_NUM))
    try:
        return int(code.best_fit())
    except (ValueError, qrcode.exceptions.DataOverflowError):  # qrcode 8 raises ValueError past v40
        return 41


def test_the_version_and_bit_stream_match_qrcode_at_every_version_boundary() -> None:
    """Around each payload length where qrcode moves to the next version (versions 1 to 30, so also
    where the character count grows from 9 to 11 to 13 bits), the fast bit stream gives qrcode's
    version; for every short payload (every way the last byte can end) and each version's longest,
    qrcode's codewords too."""
    rng = random.Random(7)
    alphabet = qrcode.util.ALPHA_NUM.decode()
    last = []  # the longest payload of each version
    low = 1
    for version in range(1, 31):
        high = low
        while _qrcode_version(high * 2) <= version:
            high *= 2
        lo, hi = high, high * 2
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if _qrcode_version(mid) <= version else (lo, mid)
        last.append(lo)
        low = lo + 1
    for length in sorted({n + d for n in last for d in (-2, -1, 0, 1, 2)} | set(range(1, 121))):
        payload = "".join(rng.choice(alphabet) for _ in range(length))
        fast = qr_mask.new_code(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
        fast.add_data(qrcode.util.QRData(payload.encode("ascii"), mode=qrcode.util.MODE_ALPHA_NUM))
        fast.version = qr_mask.fit_version(fast, qr_mask.alnum_bits(payload.encode("ascii"))[1])
        assert fast.version == _qrcode_version(length), length
        if length <= 120 or length in last:
            assert qr_mask.codewords(fast) == qrcode.util.create_data(fast.version, fast.error_correction,
                                                                      fast.data_list), length
