"""The invoice QR code: encoded once per invoice, scaled by whole pixels, dark on plain white.

Payload ``LIGHTNING:`` + the invoice in upper case: every character is then in the QR alphanumeric
set, which packs 5.5 bits per character instead of 8 and gives a smaller, easier-to-scan code.
Error correction M, a 4-module quiet zone (part of the surface, so nothing can be drawn on it), and
nearest-neighbour scaling by an integer factor: every module is a crisp square of whole pixels.
"""

from __future__ import annotations

import functools
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import TypeVar

import pygame

from kiosk.errors import InvoiceRejected

log = logging.getLogger(__name__)

K = TypeVar("K")
V = TypeVar("V")

QUIET_ZONE_MODULES = 4
DARK = (0, 0, 0)
LIGHT = (255, 255, 255)


def qr_payload(invoice: str) -> str:
    """The exact text the QR carries for ``invoice`` (a ``lightning:`` prefix is not doubled)."""
    text = invoice.strip()
    if text.lower().startswith("lightning:"):
        text = text[len("lightning:"):]
    return "LIGHTNING:" + text.upper()


@dataclass(frozen=True, slots=True)
class QrMatrix:
    """The modules of one code, quiet zone included; ``rows[y][x]`` is True for dark."""

    rows: tuple[tuple[bool, ...], ...]

    @property
    def size(self) -> int:
        """Modules per side, quiet zone included."""
        return len(self.rows)


@functools.lru_cache(maxsize=8)
def encode(payload: str) -> QrMatrix:
    """Encode ``payload`` at error correction M, in alphanumeric mode when the text allows it.

    Remembered for the last few payloads, so the Mion worker thread can encode a new invoice before
    it reaches the screen and the main loop never waits the few milliseconds (far more on a Pi Zero) it takes.
    Pure and thread-safe: it touches no pygame state.

    ``qrcode`` (and the Pillow it imports) is loaded on the first call, not when the kiosk starts:
    the app warms it up on a thread of its own once the first frame is shown.

    Raises:
        InvoiceRejected: the payload does not fit the largest QR code.
    """
    import qrcode.constants
    import qrcode.exceptions
    import qrcode.util

    from kiosk.display import qr_mask

    code = qr_mask.new_code(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QUIET_ZONE_MODULES)
    try:
        data = qrcode.util.QRData(payload.encode("ascii"), mode=qrcode.util.MODE_ALPHA_NUM)
    except (UnicodeEncodeError, TypeError, ValueError):
        # Not an upper-case invoice after all: let qrcode pick the mode rather than refuse to draw.
        code.add_data(payload)
    else:
        code.add_data(data)
    try:
        qr_mask.make(code)  # what code.make(fit=True) gives, with the mask chosen in a few milliseconds
    except (qrcode.exceptions.DataOverflowError, ValueError) as exc:  # qrcode 8 raises ValueError past v40
        raise InvoiceRejected(f"invoice too long for a QR code ({len(payload)} characters)") from exc
    return QrMatrix(rows=tuple(tuple(bool(m) for m in row) for row in code.get_matrix()))


def warm_up(*, pillow: bool = True) -> None:
    """Load the encoder now (it takes ~15 ms here, far more on a Pi Zero), so that no invoice waits for it.

    ``pillow=False``: load ``qrcode`` without the Pillow it would load for drawers the kiosk does not
    use (4 MB; see :mod:`kiosk.lean`), for a kiosk where nothing else needs Pillow.
    """
    if not pillow:
        from kiosk.lean import QR_OPTIONAL, import_without

        import_without("qrcode", QR_OPTIONAL)
    from kiosk.display import qr_mask  # noqa: F401


def _to_surface(matrix: QrMatrix, module_px: int) -> pygame.Surface:
    n = matrix.size
    # One byte per module (0 light, 1 dark) on a two-colour palette: no per-module Python loop.
    small = pygame.image.frombytes(b"".join(bytes(row) for row in matrix.rows), (n, n), "P")
    small.set_palette([LIGHT, DARK])
    # Nearest-neighbour scaling keeps every module a sharp square of module_px x module_px.
    return pygame.transform.scale(small, (n * module_px, n * module_px))


class QrCache:
    """Encoded matrices and scaled surfaces of the last few invoices (LRU).

    A refresh swaps invoices while the old one may still be on screen, so a few entries are kept.
    """

    def __init__(self, capacity: int = 3) -> None:
        self._capacity = max(2, capacity)
        self._matrices: OrderedDict[str, QrMatrix] = OrderedDict()
        self._surfaces: OrderedDict[tuple[str, int], pygame.Surface] = OrderedDict()
        self.encodes = 0
        """How many times a payload was encoded (tests check the cache works)."""

    def matrix(self, invoice: str) -> QrMatrix:
        """The code for ``invoice``, encoded on first use."""
        payload = qr_payload(invoice)
        found = self._matrices.get(payload)
        if found is None:
            found = encode(payload)
            self.encodes += 1
            log.debug("encoded invoice QR: %d modules", found.size)
            self._matrices[payload] = found
            _trim(self._matrices, self._capacity)
        else:
            self._matrices.move_to_end(payload)
        return found

    def surface(self, invoice: str, module_px: int) -> pygame.Surface:
        """The code for ``invoice`` at ``module_px`` pixels per module, quiet zone included."""
        key = (qr_payload(invoice), module_px)
        found = self._surfaces.get(key)
        if found is None:
            found = _to_surface(self.matrix(invoice), module_px)
            self._surfaces[key] = found
            _trim(self._surfaces, self._capacity)
        else:
            self._surfaces.move_to_end(key)
        return found


def _trim(cache: OrderedDict[K, V], capacity: int) -> None:
    while len(cache) > capacity:
        cache.popitem(last=False)
