"""The status light next to the till.

Patterns: off while idle, a slow blink while an invoice is on screen, solid for ``paid_on_s`` after a
payment (then off by itself), a fast blink on an error. gpiozero does the timing in its own
background thread, which it stops whenever the next pattern is set, so ``show()`` never blocks.

A machine without GPIO (laptop, CI, demo) gets gpiozero's mock pins automatically and says so once
in the log (:func:`default_pin_factory`, shared with :mod:`kiosk.outputs.buzzer`). A light that cannot
be set up (pin busy, wrong name) is logged and skipped: a missing LED never stops a sale.
"""

from __future__ import annotations

import functools
import logging
import warnings
from typing import Any

from gpiozero import LED, Device
from gpiozero.exc import BadPinFactory, GPIOZeroError, PinFactoryFallback
from gpiozero.pins.mock import MockFactory

from kiosk.config import LightSettings
from kiosk.core.effects import Light

log = logging.getLogger(__name__)

INVOICE_BLINK_S = (0.5, 0.5)
"""On and off time of the slow blink while an invoice is shown."""
ERROR_BLINK_S = (0.1, 0.1)
"""On and off time of the fast blink on an error."""


@functools.cache
def default_pin_factory() -> Any:
    """The machine's GPIO backend, or gpiozero's mock pins where there is none (logged once).

    Respects ``GPIOZERO_PIN_FACTORY``; the choice is made once per process so that every device
    shares it.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PinFactoryFallback)
        try:
            Device.ensure_pin_factory()
            factory = Device.pin_factory
        except (BadPinFactory, ImportError, OSError, RuntimeError) as exc:
            tried = "; ".join(str(w.message) for w in caught if issubclass(w.category, PinFactoryFallback))
            log.warning("no GPIO on this machine (%s%s); the status light and buzzer use mock pins",
                        exc, f"; {tried}" if tried else "")
            return MockFactory()
    for w in caught:
        log.debug("gpio: %s", w.message)
    if isinstance(factory, MockFactory):
        log.info("GPIO: using mock pins (GPIOZERO_PIN_FACTORY=mock)")
    else:
        log.info("GPIO: using %s", type(factory).__name__)
    return factory


class StatusLight:
    """The status LED from ``[light]`` settings (the buzzer is :class:`~kiosk.outputs.buzzer.PaidBuzzer`).

    Call ``open()`` once, ``show()`` from the main thread as the sale moves, ``close()`` at exit.
    """

    def __init__(self, settings: LightSettings, *, pin_factory: Any = None) -> None:
        self._settings = settings
        self._pin_factory = pin_factory
        self._led: LED | None = None
        self._pattern = Light.OFF

    @property
    def pattern(self) -> Light:
        """The pattern last asked for."""
        return self._pattern

    def open(self) -> None:
        """Claim the pin. A failure is logged and leaves the light dark; it never raises."""
        if not self._settings.enabled:
            log.info("status light disabled in settings")
            return
        factory = self._pin_factory if self._pin_factory is not None else default_pin_factory()
        try:
            self._led = LED(self._settings.pin, active_high=self._settings.active_high, initial_value=False,
                            pin_factory=factory)
        except (GPIOZeroError, ValueError, OSError) as exc:
            log.error("status light on %s cannot be used: %s", self._settings.pin, exc)
            self._led = None

    def close(self) -> None:
        """Switch the light off and release the pin."""
        led, self._led = self._led, None
        if led is not None:
            led.off()  # stops a running blink thread; close() alone would leave the level as it was
            led.close()

    def show(self, pattern: Light) -> None:
        """Switch to ``pattern`` at once; PAID turns off by itself after ``paid_on_s``."""
        self._pattern = pattern
        if self._led is not None:
            self._drive(self._led, pattern)

    def _drive(self, led: LED, pattern: Light) -> None:
        try:
            if pattern is Light.OFF:
                led.off()
            elif pattern is Light.INVOICE:
                led.blink(*INVOICE_BLINK_S)
            elif pattern is Light.ERROR:
                led.blink(*ERROR_BLINK_S)
            else:
                # One "blink" of paid_on_s on and no off time: solid, then off, timed by gpiozero's
                # thread, and cancelled cleanly if another pattern comes first.
                led.blink(on_time=self._settings.paid_on_s, off_time=0, n=1)
        except GPIOZeroError as exc:
            log.error("status light: cannot show %s: %s", pattern.value, exc)
