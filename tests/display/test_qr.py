"""The invoice QR: exact payload, scannable at every size and rotation, crisp, untouched."""

from __future__ import annotations

import dataclasses

import pygame
import pytest
import zxingcpp
from PIL import Image

from kiosk.core.view import Frame, InvoiceView
from kiosk.display import screens
from kiosk.display.assets import Assets
from kiosk.display.layout import BoxKind
from kiosk.display.qr import QUIET_ZONE_MODULES, QrCache, encode, qr_payload
from kiosk.display.rotation import logical_size, rotate_onto
from kiosk.display.screenshot import sample_frame, sample_invoice
from kiosk.errors import InvoiceRejected

SIZES = [(480, 320), (800, 480), (1024, 600), (1280, 720), (1920, 1080)]


def to_pil(surface: pygame.Surface) -> Image.Image:
    """The surface as a PIL image, for the QR decoder."""
    return Image.frombytes("RGB", surface.get_size(), pygame.image.tobytes(surface, "RGB"))


def test_payload_is_upper_case_with_the_lightning_scheme() -> None:
    assert qr_payload("lnbcrt1abc") == "LIGHTNING:LNBCRT1ABC"
    assert qr_payload("lightning:lnbc1xyz") == "LIGHTNING:LNBC1XYZ"
    assert qr_payload(" LNBC1XYZ\n") == "LIGHTNING:LNBC1XYZ"


def test_sample_invoice_is_realistic() -> None:
    invoice = sample_invoice()
    assert invoice.startswith("lnbcrt") and 270 <= len(invoice) <= 290


def test_matrix_has_a_white_quiet_zone_of_four_modules() -> None:
    matrix = encode(qr_payload(sample_invoice()))
    n = matrix.size
    for i in range(QUIET_ZONE_MODULES):
        assert not any(matrix.rows[i]) and not any(matrix.rows[n - 1 - i])
        assert not any(row[i] or row[n - 1 - i] for row in matrix.rows)
    assert matrix.rows[QUIET_ZONE_MODULES][QUIET_ZONE_MODULES], "finder pattern starts right after the zone"


def _shown(size: tuple[int, int], rotate: int, frame: Frame, assets: Assets) -> pygame.Surface:
    """What a ``size`` panel turned by ``rotate`` shows."""
    canvas = pygame.Surface(logical_size(size, rotate))
    screens.render(canvas, frame, "en", assets=assets)
    physical = pygame.Surface(size)
    rotate_onto(canvas, physical, rotate)
    return physical


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
@pytest.mark.parametrize("size", SIZES)
def test_qr_decodes_to_exactly_the_payload(size: tuple[int, int], rotate: int, assets: Assets) -> None:
    frame = sample_frame("invoice")
    assert isinstance(frame.view, InvoiceView)
    physical = _shown(size, rotate, frame, assets)
    results = zxingcpp.read_barcodes(to_pil(physical))
    assert [r.text for r in results] == [qr_payload(frame.view.invoice)]


@pytest.mark.parametrize("size", SIZES + [(320, 480), (480, 800)])
@pytest.mark.parametrize("name", ["invoice", "checking"])
def test_qr_is_whole_pixel_modules_with_nothing_drawn_over_it(size: tuple[int, int], name: str,
                                                              assets: Assets) -> None:
    frame = sample_frame(name)
    assert isinstance(frame.view, InvoiceView)
    surface = pygame.Surface(size)
    boxes = screens.render(surface, frame, "en", assets=assets)
    (qr_box,) = [b for b in boxes if b.kind is BoxKind.QR]
    modules = assets.qr.matrix(frame.view.invoice).size
    assert qr_box.rect.width == qr_box.rect.height
    assert qr_box.rect.width % modules == 0, "module size is not a whole number of pixels"
    module_px = qr_box.rect.width // modules
    assert module_px >= 3, "modules too small to scan from a metre"
    on_screen = pygame.image.tobytes(surface.subsurface(qr_box.rect), "RGB")
    assert on_screen == pygame.image.tobytes(assets.qr.surface(frame.view.invoice, module_px), "RGB")
    zone = QUIET_ZONE_MODULES * module_px
    band = surface.subsurface(pygame.Rect(qr_box.rect.left, qr_box.rect.top, qr_box.rect.width, zone))
    assert set(pygame.image.tobytes(band, "RGB")) == {255}, "quiet zone is not plain white"


def test_qr_uses_most_of_the_short_side(assets: Assets) -> None:
    for size in SIZES:
        boxes = screens.render(pygame.Surface(size), sample_frame("invoice"), "en", assets=assets)
        (qr_box,) = [b for b in boxes if b.kind is BoxKind.QR]
        assert qr_box.rect.height >= 0.75 * min(size), size


def test_cache_encodes_each_invoice_once_and_stays_small() -> None:
    cache = QrCache(capacity=3)
    a, b = sample_invoice(1), sample_invoice(2)
    first = cache.surface(a, 4)
    assert cache.surface(a, 4) is first
    cache.surface(a, 5)
    assert cache.encodes == 1
    for seed in range(3, 9):
        cache.surface(sample_invoice(seed), 4)
    cache.surface(b, 4)
    assert len(cache._surfaces) <= 3 and len(cache._matrices) <= 3


def test_refresh_swaps_the_code_but_keeps_the_layout(assets: Assets) -> None:
    frame = sample_frame("invoice")
    assert isinstance(frame.view, InvoiceView)
    fresh = Frame(view=dataclasses.replace(frame.view, invoice=sample_invoice(99), seconds_left=120))
    before = {b.name: b.rect for b in screens.render(pygame.Surface((800, 480)), frame, "en", assets=assets)}
    surface = pygame.Surface((800, 480))
    after = {b.name: b.rect for b in screens.render(surface, fresh, "en", assets=assets)}
    assert before["qr"] == after["qr"] and before["amount"] == after["amount"]
    assert [r.text for r in zxingcpp.read_barcodes(to_pil(surface))] == [qr_payload(sample_invoice(99))]


def test_an_impossibly_long_invoice_is_rejected_not_crashed() -> None:
    with pytest.raises(InvoiceRejected, match="too long"):
        encode(qr_payload("lnbc1" + "q" * 5000))
