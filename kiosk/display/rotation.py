"""Software rotation for panels mounted on their side or upside down.

Screens are drawn on a *logical* surface in the panel's reading orientation, then turned onto the
physical display surface. ``rotate`` is how far the picture is turned clockwise: 90 and 270 make a
landscape panel show a portrait screen. Exact quarter turns move whole pixels, so QR modules stay
perfectly square.
"""

from __future__ import annotations

import pygame

ROTATIONS = (0, 90, 180, 270)


def logical_size(physical: tuple[int, int], rotate: int) -> tuple[int, int]:
    """The size screens are laid out at on a ``physical`` display turned by ``rotate`` degrees."""
    _check(rotate)
    return (physical[1], physical[0]) if rotate in (90, 270) else physical


def map_rect(rect: pygame.Rect, logical: tuple[int, int], rotate: int) -> pygame.Rect:
    """Where ``rect`` of the logical surface lands on the physical one."""
    _check(rotate)
    w, h = logical
    if rotate == 90:
        return pygame.Rect(h - rect.bottom, rect.left, rect.height, rect.width)
    if rotate == 180:
        return pygame.Rect(w - rect.right, h - rect.bottom, rect.width, rect.height)
    if rotate == 270:
        return pygame.Rect(rect.top, w - rect.right, rect.height, rect.width)
    return rect.copy()


def rotate_onto(logical: pygame.Surface, physical: pygame.Surface, rotate: int,
                area: pygame.Rect | None = None) -> pygame.Rect:
    """Copy ``area`` (default: all) of ``logical`` onto ``physical``, turned; return the physical rect."""
    _check(rotate)
    region = logical.get_rect() if area is None else area.clip(logical.get_rect())
    piece = logical.subsurface(region)
    turned = pygame.transform.rotate(piece, -rotate) if rotate else piece
    target = map_rect(region, logical.get_size(), rotate)
    physical.blit(turned, target)
    return target


def _check(rotate: int) -> None:
    if rotate not in ROTATIONS:
        raise ValueError(f"rotate must be 0, 90, 180 or 270, got {rotate}")
