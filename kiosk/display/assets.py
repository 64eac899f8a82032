"""Everything the screens load or compute once and reuse: fonts, QR surfaces, icons, the logo.

One :class:`Assets` lives as long as the window. Caches are small and bounded, because a Pi Zero
has 512 MB and the kiosk runs for months.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import pygame

from kiosk.display.fonts import FontCache
from kiosk.display.qr import QrCache

log = logging.getLogger(__name__)

_ICON_CAPACITY = 12


class Assets:
    """Caches shared by all screens of one window."""

    def __init__(self, *, logo_path: str | None = None) -> None:
        self.fonts = FontCache()
        self.qr = QrCache(capacity=3)
        self.default_logo_path = logo_path
        self._icons: OrderedDict[tuple[str, int], pygame.Surface] = OrderedDict()
        self._logos: dict[str, pygame.Surface | None] = {}

    def icon(self, kind: str, side: int, make: Callable[[int], pygame.Surface]) -> pygame.Surface:
        """The icon ``kind`` at ``side`` pixels, drawn by ``make(side)`` on first use."""
        key = (kind, side)
        found = self._icons.get(key)
        if found is None:
            found = make(side)
            self._icons[key] = found
            while len(self._icons) > _ICON_CAPACITY:
                self._icons.popitem(last=False)
        else:
            self._icons.move_to_end(key)
        return found

    def logo(self, path: str | None) -> pygame.Surface | None:
        """The shop's logo PNG, or None when unset or unreadable (the shop name is shown instead).

        A broken logo is logged once and never stops the kiosk.
        """
        chosen = path or self.default_logo_path
        if not chosen:
            return None
        if chosen not in self._logos:
            try:
                self._logos[chosen] = pygame.image.load(Path(chosen))
            except (pygame.error, OSError, FileNotFoundError) as exc:
                log.warning("shop logo %s cannot be loaded (%s); showing the shop name instead", chosen, exc)
                self._logos[chosen] = None
        return self._logos[chosen]
