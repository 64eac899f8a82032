"""Every screen at every size and orientation: nothing overlaps, leaves the screen or its slot."""

from __future__ import annotations

import itertools

import pygame
import pytest

from kiosk.core.view import Frame, IdleView, InvoiceView, MessageKind, MessageView, ShopStatus
from kiosk.display import screens
from kiosk.display.assets import Assets
from kiosk.display.layout import Box, BoxKind
from kiosk.display.screenshot import SCREEN_NAMES, sample_frame

SIZES = [(480, 320), (800, 480), (1024, 600), (1280, 720), (1920, 1080)]


def _logical(size: tuple[int, int], rotate: int) -> tuple[int, int]:
    return (size[1], size[0]) if rotate in (90, 270) else size


def assert_sound_layout(boxes: list[Box], size: tuple[int, int]) -> None:
    """The layout promises: inside the screen, inside its slot, no text on text, nothing on the QR."""
    screen = pygame.Rect((0, 0), size)
    assert boxes, "nothing drawn"
    for box in boxes:
        assert screen.contains(box.rect), f"{box.name} {box.rect} leaves the screen {size}"
        assert box.slot.contains(box.rect), f"{box.name} {box.rect} leaves its slot {box.slot}"
        assert box.rect.width > 0 and box.rect.height > 0, f"{box.name} is empty"
    for a, b in itertools.combinations(boxes, 2):
        if BoxKind.QR in (a.kind, b.kind) or (a.kind is BoxKind.TEXT and b.kind is BoxKind.TEXT):
            assert not a.rect.colliderect(b.rect), f"{a.name} {a.rect} overlaps {b.name} {b.rect}"
    qr = [b for b in boxes if b.kind is BoxKind.QR]
    for box in boxes:
        if box.kind is not BoxKind.QR:
            for code in qr:
                assert not box.slot.colliderect(code.rect), f"{box.name}'s slot reaches into the QR"


CASES = [(name, size, rotate) for name in SCREEN_NAMES for size in SIZES for rotate in (0, 90)]
CASES += [(name, (800, 480), rotate) for name in ("invoice", "idle-pole", "config-error") for rotate in (180, 270)]


@pytest.mark.parametrize(("name", "size", "rotate"), CASES, ids=lambda v: str(v))
def test_every_screen_lays_out_cleanly(name: str, size: tuple[int, int], rotate: int, assets: Assets) -> None:
    logical = _logical(size, rotate)
    surface = pygame.Surface(logical)
    boxes = screens.render(surface, sample_frame(name), "en", assets=assets)
    assert_sound_layout(boxes, logical)


@pytest.mark.parametrize("lang", ["de", "fi"])
@pytest.mark.parametrize("size", [(480, 320), (320, 480), (1920, 1080)])
def test_longer_languages_still_fit(lang: str, size: tuple[int, int], assets: Assets) -> None:
    for name in SCREEN_NAMES:
        surface = pygame.Surface(size)
        assert_sound_layout(screens.render(surface, sample_frame(name), lang, assets=assets), size)


def test_invoice_qr_is_the_largest_element(assets: Assets) -> None:
    for size in SIZES + [(320, 480), (480, 800)]:
        boxes = screens.render(pygame.Surface(size), sample_frame("invoice"), "en", assets=assets)
        areas = {b.name: b.rect.width * b.rect.height for b in boxes}
        assert max(areas, key=lambda k: areas[k]) == "qr", size


def test_a_long_shop_name_wraps_then_ends_in_an_ellipsis(assets: Assets) -> None:
    name = "Bäckerei Müller & Söhne – Feinkost, Kaffeerösterei und Konditorei am Alten Marktplatz"
    boxes = screens.render(pygame.Surface((480, 320)), Frame(view=IdleView(shop_name=name)), "de", assets=assets)
    shown = next(b for b in boxes if b.name == "shop-name")
    assert shown.text == name, "a name that fits on two readable lines is shown whole"
    assert_sound_layout(boxes, (480, 320))

    longer = " ".join([name] * 3)
    boxes = screens.render(pygame.Surface((480, 320)), Frame(view=IdleView(shop_name=longer)), "de", assets=assets)
    shown = next(b for b in boxes if b.name == "shop-name")
    assert shown.text.endswith("…") and shown.text.startswith("Bäckerei Müller")
    assert shown.rect.height >= 2 * 16, "shrunk below a size readable from a metre"
    assert_sound_layout(boxes, (480, 320))


def test_status_indicator_names_each_problem_and_demo(assets: Assets) -> None:
    status = ShopStatus(mion_reachable=False, till_connected=False, printer_problem="paper out", demo=True)
    frame = Frame(view=sample_frame("invoice").view, status=status)
    for size in [(800, 480), (320, 480)]:
        boxes = {b.name: b for b in screens.render(pygame.Surface(size), frame, "en", assets=assets)}
        assert boxes["status-demo"].text == "DEMO"
        assert "Mion" in boxes["status"].text and "Till" in boxes["status"].text
        assert_sound_layout(list(boxes.values()), size)


def test_no_status_line_when_all_is_well(assets: Assets) -> None:
    boxes = screens.render(pygame.Surface((800, 480)), sample_frame("idle"), "en", assets=assets)
    assert not [b for b in boxes if b.name.startswith("status")]


def test_config_error_shows_the_technicians_detail(assets: Assets) -> None:
    boxes = screens.render(pygame.Surface((800, 480)), sample_frame("config-error"), "en", assets=assets)
    detail = next(b for b in boxes if b.name == "detail")
    assert "max_amount_cents" in detail.text


def test_paid_screen_is_green_and_says_paid(assets: Assets) -> None:
    surface = pygame.Surface((800, 480))
    boxes = screens.render(surface, sample_frame("paid"), "de", assets=assets)
    assert surface.get_at((2, 2))[:3] == (21, 128, 61)
    assert any(b.text == "Bezahlt" for b in boxes)
    late = screens.render(surface, sample_frame("paid-late"), "en", assets=assets)
    assert any(b.text == "Payment received" for b in late)


def test_spinner_moves_with_elapsed_time(assets: Assets) -> None:
    frame = sample_frame("preparing")
    pictures = set()
    for elapsed in (0.0, 0.3, 0.6):
        surface = pygame.Surface((480, 320))
        view = frame.view
        assert not isinstance(view, InvoiceView)
        screens.render(surface, Frame(view=type(view)(amount_cents=1250, elapsed_s=elapsed)),  # type: ignore[call-arg]
                       "en", assets=assets)
        pictures.add(pygame.image.tobytes(surface, "RGB"))
    assert len(pictures) == 3, "the progress animation shows a frozen frame"


def test_messages_differ_per_kind(assets: Assets) -> None:
    titles = set()
    for kind in MessageKind:
        boxes = screens.render(pygame.Surface((800, 480)), Frame(view=MessageView(kind=kind)), "en", assets=assets)
        titles.add(next(b.text for b in boxes if b.name == "body"))
    assert len(titles) == len(MessageKind)


def test_unprintable_pole_bytes_are_not_drawn(assets: Assets) -> None:
    frame = Frame(view=IdleView(shop_name="Shop", pole_lines=("A\x1b[2JB\x07", "TOTAL\t9.99")))
    boxes = screens.render(pygame.Surface((800, 480)), frame, "en", assets=assets)
    pole = next(b for b in boxes if b.name == "pole")
    assert "\x1b" not in pole.text and "\x07" not in pole.text


def test_dimmed_idle_is_darker_but_still_shows_the_same_things(assets: Assets) -> None:
    bright, dimmed = pygame.Surface((800, 480)), pygame.Surface((800, 480))
    a = screens.render(bright, Frame(view=IdleView(shop_name="Café Aurora")), "en", assets=assets)
    b = screens.render(dimmed, Frame(view=IdleView(shop_name="Café Aurora", dimmed=True)), "en", assets=assets)
    assert [x.text for x in a] == [x.text for x in b]
    assert max(pygame.image.tobytes(dimmed, "RGB")) < max(pygame.image.tobytes(bright, "RGB"))


def test_the_readme_names_every_screen_the_screenshot_command_renders() -> None:
    from pathlib import Path

    from kiosk.display.screenshot import SCREEN_NAMES

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    listed = readme.split("(screens: ", 1)[1].split(")", 1)[0]
    assert [name.strip() for name in listed.replace("\n", " ").split(",")] == list(SCREEN_NAMES)
