"""A payment reader's problem on the shop's status indicator, drawn like the printer's."""

from __future__ import annotations

import dataclasses

import pygame
import pytest

from kiosk.core.view import ShopStatus
from kiosk.display import screens
from kiosk.display.assets import Assets
from kiosk.display.screenshot import sample_frame
from tests.display.test_screens import assert_sound_layout


@pytest.mark.parametrize("size", [(800, 480), (320, 480)])
def test_a_reader_problem_is_drawn_in_the_status_line_and_nowhere_else(size: tuple[int, int], assets: Assets) -> None:
    frame = sample_frame("invoice")
    quiet = pygame.Surface(size)
    screens.render(quiet, frame, "de", assets=assets)
    shown = pygame.Surface(size)
    status = ShopStatus(mion_reachable=True, reader_problem="no reader")
    boxes = screens.render(shown, dataclasses.replace(frame, status=status), "de", assets=assets)
    assert_sound_layout(boxes, size)
    line = next(b for b in boxes if b.name == "status")
    assert line.text == "● Kartenleser: no reader"
    changed = [(x, y) for x in range(size[0]) for y in range(size[1]) if quiet.get_at((x, y)) != shown.get_at((x, y))]
    assert changed, "the problem is not on the screen"
    assert all(line.rect.collidepoint(p) for p in changed), "the problem line disturbs the rest of the screen"


def test_the_printers_and_the_readers_problems_are_both_named(assets: Assets) -> None:
    status = ShopStatus(printer_problem="paper out", reader_problem="pyscard missing")
    boxes = screens.render(pygame.Surface((800, 480)), dataclasses.replace(sample_frame("idle"), status=status), "en",
                           assets=assets)
    assert next(b for b in boxes if b.name == "status").text == "● Printer: paper out · Card reader: pyscard missing"
