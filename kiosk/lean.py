"""Importing a library without the optional parts of it the kiosk never uses.

Two of the kiosk's libraries load a large optional companion at import time and go on without it
when it is not installed:

- ``requests`` loads ``charset_normalizer`` (4.2 MB of RSS here) to guess the character set of a
  text answer. The kiosk never asks: it reads Mion's answers as bytes and decodes them as UTF-8
  JSON itself (``kiosk.mion.wire.read_body``).
- ``pygame`` loads its mixer and music modules, which load SDL_mixer and its codec libraries (2.5 MB).
  Only a kiosk that plays its chime uses them, and ``kiosk.outputs.sound`` imports the mixer itself
  then. ``kiosk.display`` loads pygame this way, before any other module of the kiosk imports it.
- ``qrcode`` loads Pillow (4.1 MB) for image drawers the kiosk never uses: it takes the module
  matrix and draws it with pygame (``kiosk.display.qr``). A kiosk with a receipt printer loads
  Pillow anyway (python-escpos needs it), so only a kiosk without one leaves it out.

``import_without`` imports a module as if those companions were not installed: each is set to
``None`` in ``sys.modules`` for the duration of the import (Python's documented way to make an
import fail), then removed again, so that a later import of the companion itself works as usual.
A companion already imported is left alone. Nothing else in the kiosk's process imports these
companions, so the short window cannot fail another thread's import; ``tests/test_lean.py`` checks
both libraries still work without them and how much memory it saves.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from types import ModuleType

# requests warns when it finds no character detection library; here that is on purpose.
warnings.filterwarnings("ignore", message="Unable to find acceptable character detection dependency")

HTTP_OPTIONAL = ("chardet", "charset_normalizer")
"""What ``requests`` may go without: the kiosk never asks it to guess a character set."""
PYGAME_OPTIONAL = ("pygame.mixer", "pygame.mixer_music")
"""What ``pygame`` may go without until a chime is played (pygame then calls its mixer missing)."""
QR_OPTIONAL = ("PIL",)
"""What ``qrcode`` may go without when nothing else needs Pillow (no receipt printer)."""


def import_pygame() -> ModuleType:
    """``pygame`` without its mixer (see the module)."""
    return import_without("pygame", PYGAME_OPTIONAL)


def import_without(name: str, optional: tuple[str, ...]) -> ModuleType:
    """Import ``name`` (or return it if already imported) as if ``optional`` were not installed."""
    if name in sys.modules:
        return sys.modules[name]
    blocked = [companion for companion in optional if companion not in sys.modules]
    for companion in blocked:
        sys.modules[companion] = None  # type: ignore[assignment]  # makes "import companion" fail
    try:
        return importlib.import_module(name)
    finally:
        for companion in blocked:
            if companion in sys.modules and sys.modules[companion] is None:
                del sys.modules[companion]


M_ARENA_MAX = -8
"""glibc's ``mallopt`` parameter for the most malloc arenas a process may have."""


def one_malloc_arena() -> bool:
    """Have glibc keep one malloc arena for all threads, as ``MALLOC_ARENA_MAX=1`` would; False elsewhere.

    By default glibc gives each thread that allocates an arena of its own, and each keeps memory the
    others cannot reuse (1.2 MB of RSS with the kiosk's threads, measured with
    ``benchmarks/pi_budget.py``). Python threads rarely allocate at the same moment (they take turns
    holding the interpreter), so one arena costs no waiting. Call it before the threads start.
    """
    import ctypes

    try:
        return bool(ctypes.CDLL(None).mallopt(M_ARENA_MAX, 1))  # the process's own symbols: its C library
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
