"""The window under SDL's dummy driver: cheap redraws, partial updates, rotation, errors."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pygame
import pytest
from clocks import FakeMonotonic

from kiosk.config import DisplaySettings
from kiosk.core.view import Frame, InvoiceView, PreparingView, ShopStatus
from kiosk.display.screenshot import sample_frame
from kiosk.display.window import Window
from kiosk.errors import DisplayError


@pytest.fixture
def clock(fake_monotonic: FakeMonotonic) -> FakeMonotonic:
    return fake_monotonic


def _window(clock: FakeMonotonic, *, rotate: int = 0, size: tuple[int, int] = (800, 480),
            lang: str = "en") -> Window:
    settings = DisplaySettings(fullscreen=False, width=size[0], height=size[1], rotate=rotate)
    return Window(settings, lang, clock=clock)


@pytest.fixture
def window(clock: FakeMonotonic) -> Iterator[Window]:
    w = _window(clock)
    w.open()
    yield w
    w.close()


def _screen() -> pygame.Surface:
    surface = pygame.display.get_surface()
    assert surface is not None, "the display is not open"
    return surface


def _tick(frame: Frame, seconds_left: int) -> Frame:
    assert isinstance(frame.view, InvoiceView)
    return dataclasses.replace(frame, view=dataclasses.replace(frame.view, seconds_left=seconds_left))


def test_unchanged_frame_is_not_redrawn(window: Window, clock: FakeMonotonic) -> None:
    frame = sample_frame("invoice")
    assert window.show(frame) is True
    clock.now += 5
    assert window.show(frame) is False
    assert window.show(sample_frame("invoice")) is False, "an equal frame is unchanged too"
    assert (window.full_draws, window.partial_draws) == (1, 0)


def test_countdown_tick_repaints_only_the_ring(window: Window, clock: FakeMonotonic) -> None:
    frame = sample_frame("invoice")
    window.show(frame)
    screen = _screen()
    qr = next(b.rect for b in window.boxes if b.name == "qr")
    qr_before = pygame.image.tobytes(screen.subsurface(qr), "RGB")
    clock.now += 1
    assert window.show(_tick(frame, 96)) is True
    assert (window.full_draws, window.partial_draws) == (1, 1)
    assert pygame.image.tobytes(screen.subsurface(qr), "RGB") == qr_before


def test_other_changes_redraw_everything(window: Window) -> None:
    window.show(sample_frame("invoice"))
    window.show(sample_frame("paid"))
    status = dataclasses.replace(sample_frame("paid"), status=ShopStatus(demo=True))
    window.show(status)
    assert window.full_draws == 3


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_partial_update_matches_a_full_redraw(rotate: int, clock: FakeMonotonic, tmp_path: Path) -> None:
    frame = sample_frame("invoice")
    ticked = _tick(frame, 42)
    w = _window(clock, rotate=rotate)
    w.open()
    try:
        w.show(frame)
        w.show(ticked)
        assert w.partial_draws == 1
        partial = pygame.image.tobytes(_screen(), "RGB")
        w.show(sample_frame("idle"))
        w.show(ticked)
        assert w.full_draws == 3
        full = pygame.image.tobytes(_screen(), "RGB")
    finally:
        w.close()
    assert partial == full


def test_rotation_gives_a_portrait_surface(clock: FakeMonotonic) -> None:
    w = _window(clock, rotate=90)
    w.open()
    try:
        assert w.surface_size == (480, 800)
        assert _screen().get_size() == (800, 480)
    finally:
        w.close()


def test_animation_redraws_when_due_and_not_before(window: Window, clock: FakeMonotonic) -> None:
    frame = sample_frame("checking")
    assert window.animation_interval_s(frame) == pytest.approx(0.1)
    assert window.animation_interval_s(sample_frame("invoice")) is None
    window.show(frame)
    clock.now += 0.02
    assert window.show(frame) is False
    clock.now += 0.1
    assert window.show(frame) is True
    assert window.full_draws == 1 and window.partial_draws == 1


def test_preparing_animation_follows_elapsed_time(window: Window) -> None:
    window.show(Frame(view=PreparingView(amount_cents=500, elapsed_s=0.0)))
    assert window.show(Frame(view=PreparingView(amount_cents=500, elapsed_s=0.1))) is True
    assert window.partial_draws == 1
    assert window.show(Frame(view=PreparingView(amount_cents=700, elapsed_s=0.2))) is True
    assert window.full_draws == 2, "a new amount is a new picture"


def test_save_png_writes_the_screen(window: Window, tmp_path: Path) -> None:
    window.show(sample_frame("paid"))
    out = tmp_path / "shots" / "paid.png"
    window.save_png(out)
    image = pygame.image.load(out)
    assert image.get_size() == (800, 480)
    assert image.get_at((3, 3))[:3] == (21, 128, 61)


def test_no_display_gives_a_one_line_display_error(clock: FakeMonotonic, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDL_VIDEODRIVER", "no-such-driver")
    w = _window(clock)
    with pytest.raises(DisplayError) as info:
        w.open()
    assert "no-such-driver" in str(info.value) and "\n" not in str(info.value)


def test_using_a_closed_window_is_a_display_error(clock: FakeMonotonic) -> None:
    w = _window(clock)
    with pytest.raises(DisplayError):
        w.show(sample_frame("idle"))
    w.close()  # closing an unopened window is harmless


def test_unknown_language_is_refused_at_construction(clock: FakeMonotonic) -> None:
    with pytest.raises(ValueError, match="'xx'"):
        Window(DisplaySettings(), "xx", clock=clock)


def test_missing_logo_falls_back_to_the_shop_name(clock: FakeMonotonic, tmp_path: Path) -> None:
    w = Window(DisplaySettings(fullscreen=False, width=800, height=480), "en", clock=clock,
               logo_path=str(tmp_path / "missing.png"))
    w.open()
    try:
        w.show(sample_frame("idle"))
        assert any(b.name == "shop-name" for b in w.boxes)
    finally:
        w.close()


def test_logo_png_replaces_the_shop_name(clock: FakeMonotonic, tmp_path: Path) -> None:
    logo = pygame.Surface((300, 100))
    logo.fill((200, 30, 30))
    path = tmp_path / "logo.png"
    pygame.image.save(logo, str(path))
    w = Window(DisplaySettings(fullscreen=False, width=480, height=320), "en", clock=clock, logo_path=str(path))
    w.open()
    try:
        w.show(sample_frame("idle"))
        box = next(b for b in w.boxes if b.name == "logo")
        assert box.slot.contains(box.rect)
        red, green, blue = _screen().get_at(box.rect.center)[:3]
        assert red > 190 and green < 40 and blue < 40, "the logo's own colour is on screen"
    finally:
        w.close()
