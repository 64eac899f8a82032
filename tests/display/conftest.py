"""Display tests: pygame with the dummy video driver, fonts initialised once."""

from __future__ import annotations

from collections.abc import Iterator

import pygame
import pytest

from kiosk.display.assets import Assets


@pytest.fixture(scope="session", autouse=True)
def _pygame_fonts() -> Iterator[None]:
    pygame.font.init()
    yield
    pygame.font.quit()


@pytest.fixture(scope="session")
def assets() -> Assets:
    """One cache for the whole run, as one window would keep it."""
    return Assets()

