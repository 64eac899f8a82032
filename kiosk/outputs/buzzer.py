"""An optional piezo buzzer: two short beeps when a payment arrives.

Driven through gpiozero's ``Buzzer``; the beeps run in gpiozero's background thread, so
``beep_paid()`` returns at once. A buzzer that cannot be set up is logged and left silent.
"""

from __future__ import annotations

import logging
from typing import Any

from gpiozero import Buzzer
from gpiozero.exc import GPIOZeroError

from kiosk.outputs.cues import BUZZER_PATTERNS, Cue
from kiosk.outputs.light import default_pin_factory

log = logging.getLogger(__name__)

PAID_BEEP_S = BUZZER_PATTERNS[Cue.PAID][:2]
"""On and off time of each paid beep."""
PAID_BEEPS = BUZZER_PATTERNS[Cue.PAID][2]


class PaidBuzzer:
    """A buzzer on one GPIO pin. ``open()`` claims the pin, ``close()`` releases it.

    Without ``pin_factory`` it uses :func:`kiosk.outputs.light.default_pin_factory` (mock pins on a
    machine without GPIO).
    """

    def __init__(self, pin: str, *, active_high: bool = True, pin_factory: Any = None) -> None:
        self._pin = pin
        self._active_high = active_high
        self._pin_factory = pin_factory
        self._buzzer: Buzzer | None = None

    def open(self) -> None:
        """Claim the pin; a failure is logged and leaves the buzzer silent."""
        factory = self._pin_factory if self._pin_factory is not None else default_pin_factory()
        try:
            self._buzzer = Buzzer(self._pin, active_high=self._active_high, initial_value=False,
                                  pin_factory=factory)
        except (GPIOZeroError, ValueError, OSError) as exc:
            log.error("buzzer on %s cannot be used: %s", self._pin, exc)
            self._buzzer = None

    def close(self) -> None:
        """Silence the buzzer and release the pin."""
        buzzer, self._buzzer = self._buzzer, None
        if buzzer is not None:
            buzzer.off()
            buzzer.close()

    def beep_paid(self) -> None:
        """Two short beeps, in the background."""
        self.play(Cue.PAID)

    def play(self, cue: Cue) -> None:
        """The cue's own pattern (``kiosk.outputs.cues``), in the background."""
        if self._buzzer is None:
            return
        on_s, off_s, count = BUZZER_PATTERNS[cue]
        try:
            self._buzzer.beep(on_s, off_s, n=count)
        except GPIOZeroError as exc:
            log.error("buzzer: cannot beep: %s", exc)
