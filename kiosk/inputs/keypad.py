"""Keyboard and numeric keypad (USB, or a GPIO matrix through the kernel) to register keys.

Keys are read by ``event.key`` rather than ``event.unicode``: a keypad's digits then work whatever
the NumLock state, and a GPIO matrix keypad (which the kernel presents as a keyboard) behaves the same.
"""

from __future__ import annotations

import pygame

from kiosk.core.events import Key

_DIGITS = {getattr(pygame, f"K_{d}"): Key(str(d)) for d in range(10)}
_DIGITS.update({getattr(pygame, f"K_KP{d}"): Key(str(d)) for d in range(10)})

KEYMAP: dict[int, Key] = {
    **_DIGITS,
    pygame.K_PERIOD: Key.SEPARATOR,
    pygame.K_COMMA: Key.SEPARATOR,
    pygame.K_KP_PERIOD: Key.SEPARATOR,
    pygame.K_BACKSPACE: Key.BACKSPACE,
    pygame.K_DELETE: Key.BACKSPACE,
    pygame.K_RETURN: Key.ENTER,
    pygame.K_KP_ENTER: Key.ENTER,
    pygame.K_ESCAPE: Key.CANCEL,
    pygame.K_KP_MINUS: Key.CANCEL,
    pygame.K_l: Key.LIGHTNING,
    pygame.K_KP_MULTIPLY: Key.LIGHTNING,
}
"""pygame key code -> register key. Keys not listed are ignored."""


def key_for(event: pygame.event.Event) -> Key | None:
    """The register key for a KEYDOWN event, or None when the key means nothing to the kiosk."""
    if event.type != pygame.KEYDOWN:
        return None
    return KEYMAP.get(event.key)
