"""The display itself: opening it, showing frames cheaply, rotating in software, closing it.

The event loop lives in the app; this class only draws. :meth:`Window.show` compares the new frame
with the last one shown: an identical frame costs nothing; a frame that differs only in its moving
parts (the countdown once a second, a spinner) repaints and pushes just those areas, so the QR is
never redrawn while the customer scans it; anything else is a full redraw.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

import pygame

from kiosk.config import DisplaySettings
from kiosk.core.text import texts
from kiosk.core.view import Frame
from kiosk.display import screens, theme
from kiosk.display.assets import Assets
from kiosk.display.layout import Box
from kiosk.display.rotation import logical_size, rotate_onto
from kiosk.errors import DisplayError

log = logging.getLogger(__name__)

ANIMATION_INTERVAL_S = 0.1
WINDOWED_DEFAULT_SIZE = (800, 480)


INVISIBLE_DRIVERS = ("offscreen", "dummy")
"""SDL drivers that draw into memory only; used on purpose by tests, screenshots and --headless."""


class Window:
    """The customer screen. Open it, :meth:`show` frames, close it.

    Args:
        settings: size, fullscreen and rotation.
        language: en, de or fi; every word and amount on screen follows it.
        logo_path: the shop's logo PNG shown when the idle view names none.
        clock: seconds from a monotonic clock; tests pass their own.
    """

    def __init__(self, settings: DisplaySettings, language: str, *, logo_path: str | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        texts(language)  # refuse an unknown language now, not at the first frame
        theme.apply(settings.theme, settings.large_text)  # before anything is drawn or cached in its colours
        self._settings = settings
        self._language = language
        self._assets = Assets(logo_path=logo_path or None)
        self._clock = clock
        self._display: pygame.Surface | None = None
        self._canvas: pygame.Surface | None = None
        self._last_frame: Frame | None = None
        self._boxes: list[Box] = []
        self._last_draw_s = 0.0
        self.full_draws = 0
        """Full redraws so far (tests and the technician's stats read it)."""
        self.partial_draws = 0
        """Redraws of only the moving parts."""

    def open(self) -> None:
        """Open the display (fullscreen or a window) with the mouse pointer hidden.

        Raises:
            DisplayError: no display could be opened, with the driver and SDL's reason on one line.
        """
        driver = os.environ.get("SDL_VIDEODRIVER", "default")
        try:
            pygame.display.init()
            pygame.font.init()
            self._display = pygame.display.set_mode(self._requested_size(), self._flags())
        except pygame.error as exc:
            pygame.display.quit()
            reason = " ".join(str(exc).split()) or "unknown reason"
            raise DisplayError(f"cannot open the display (SDL video driver {driver}): {reason}") from exc
        actual = pygame.display.get_driver()
        if actual in INVISIBLE_DRIVERS and os.environ.get("SDL_VIDEODRIVER") != actual:
            # SDL found no screen and fell back to drawing into memory: nobody would see the kiosk.
            pygame.display.quit()
            raise DisplayError(f"no screen found (SDL fell back to its {actual} driver)")
        pygame.display.set_caption("Lightning payment")
        pygame.mouse.set_visible(False)
        size = logical_size(self._display.get_size(), self._settings.rotate)
        self._canvas = pygame.Surface(size).convert() if self._settings.rotate else self._display
        self._last_frame = None
        log.info("display open: %dx%d, rotate %d, driver %s", *self._display.get_size(), self._settings.rotate,
                 pygame.display.get_driver())

    def close(self) -> None:
        """Release the display. Safe to call twice."""
        if self._display is not None:
            self._display = None
            self._canvas = None
            self._last_frame = None
            pygame.display.quit()
            log.info("display closed")

    @property
    def surface_size(self) -> tuple[int, int]:
        """The logical size screens are laid out at (portrait when the panel is rotated 90 or 270)."""
        return self._require_canvas().get_size()

    def animation_interval_s(self, frame: Frame) -> float | None:
        """How soon ``frame`` wants to be shown again to keep its animation moving; None if never."""
        return ANIMATION_INTERVAL_S if screens.has_animation(frame) else None

    def show(self, frame: Frame) -> bool:
        """Draw ``frame`` if it differs from the last one or its animation is due; return True if it drew."""
        canvas = self._require_canvas()
        now = self._clock()
        last = self._last_frame
        dirty: list[pygame.Rect] | None
        if last is not None and frame == last:
            interval = self.animation_interval_s(frame)
            if interval is None or now - self._last_draw_s < interval * 0.9:
                return False
            dirty = screens.render_dynamic(canvas, frame, self._language, self._boxes, assets=self._assets,
                                           anim_s=now)
            self.partial_draws += 1
        elif last is not None and screens.same_static(last, frame):
            dirty = screens.render_dynamic(canvas, frame, self._language, self._boxes, assets=self._assets,
                                           anim_s=now)
            self.partial_draws += 1
        else:
            self._boxes = screens.render(canvas, frame, self._language, assets=self._assets, anim_s=now)
            dirty = None
            self.full_draws += 1
        self._present(dirty)
        self._last_frame = frame
        self._last_draw_s = now
        return True

    @property
    def boxes(self) -> list[Box]:
        """What the last full redraw drew, in logical coordinates."""
        return list(self._boxes)

    def save_png(self, path: str | Path) -> None:
        """Write what the display shows now (physical orientation) to a PNG file."""
        if self._display is None:
            raise DisplayError("the display is not open")
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        pygame.image.save(self._display, str(target))

    def _present(self, dirty: list[pygame.Rect] | None) -> None:
        """Push the canvas to the screen: only ``dirty`` areas when given, else everything."""
        display, canvas = self._display, self._canvas
        assert display is not None and canvas is not None
        rotate = self._settings.rotate
        if dirty is None:
            if rotate:
                rotate_onto(canvas, display, rotate)
            pygame.display.flip()
            return
        if rotate:
            dirty = [rotate_onto(canvas, display, rotate, rect) for rect in dirty]
        if dirty:
            pygame.display.update(dirty)

    def _require_canvas(self) -> pygame.Surface:
        if self._canvas is None:
            raise DisplayError("the display is not open")
        return self._canvas

    def _requested_size(self) -> tuple[int, int]:
        width, height = self._settings.width, self._settings.height
        if width and height:
            return (width, height)
        return (0, 0) if self._settings.fullscreen else WINDOWED_DEFAULT_SIZE

    def _flags(self) -> int:
        return pygame.FULLSCREEN if self._settings.fullscreen else 0
