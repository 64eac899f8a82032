"""The cashier's keypad through the real loop: key codes, not characters, so NumLock does not matter."""

from __future__ import annotations

from pathlib import Path

import pygame
import pytest

from kiosk.core.events import Key
from kiosk.core.model import Phase
from kiosk.core.view import AmountEntryView
from kiosk.inputs.keypad import key_for
from kiosk.mion.simulator import MionSimulator
from tests.helpers import API_KEY, drive, running_kiosk, settings_for


@pytest.mark.parametrize(("code", "key"), [
    (pygame.K_KP1, Key.D1), (pygame.K_1, Key.D1), (pygame.K_KP0, Key.D0), (pygame.K_KP_PERIOD, Key.SEPARATOR),
    (pygame.K_COMMA, Key.SEPARATOR), (pygame.K_KP_ENTER, Key.ENTER), (pygame.K_RETURN, Key.ENTER),
    (pygame.K_BACKSPACE, Key.BACKSPACE), (pygame.K_ESCAPE, Key.CANCEL), (pygame.K_KP_MULTIPLY, Key.LIGHTNING),
    (pygame.K_a, None), (pygame.K_F1, None),
])
def test_key_codes_map_to_register_keys(code: int, key: Key | None) -> None:
    assert key_for(pygame.event.Event(pygame.KEYDOWN, key=code, mod=0, unicode="")) is key


def test_typing_on_the_numeric_keypad_charges_the_amount(tmp_path: Path) -> None:
    with MionSimulator(api_key=API_KEY, network="regtest") as simulator, \
            running_kiosk(settings_for(simulator, tmp_path), tmp_path) as app:
        def press(code: int) -> None:
            pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=code, mod=0, unicode=""))

        for code in (pygame.K_KP9, pygame.K_KP9, pygame.K_a, pygame.K_KP_PERIOD, pygame.K_KP5):
            press(code)
        drive(app, lambda a: isinstance(a.register.view(a.now()), AmountEntryView)
              and a.register.entry.typed == "99.5", timeout_s=8)
        press(pygame.K_KP_ENTER)
        drive(app, lambda a: a.register.phase is Phase.AWAITING_PAYMENT, timeout_s=5)
        assert app.register.sale is not None and app.register.sale.amount_cents == 9950
        press(pygame.K_ESCAPE)
        drive(app, lambda a: a.register.phase is Phase.CANCELLED, timeout_s=8)
