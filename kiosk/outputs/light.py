"""The status light next to the till.

Patterns: off while idle, a slow blink while an invoice is on screen, solid for ``paid_on_s`` after a
payment (then off by itself), a fast blink on an error.

The main loop times the light: ``show(pattern, now)`` sets the level at once, ``next_change()`` says
when the level changes next (the loop sleeps no longer than that) and ``tick(now)`` sets the level
the pattern has at ``now``. The slow blink changes with the countdown's frame each second, when the
loop wakes anyway, so a blinking light costs no wake-up of its own (gpiozero's ``blink`` would run a
thread that wakes at every change). Setting a pin is a few microseconds, so ``show`` and ``tick`` never block.

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

INVOICE_BLINK_S = (1.0, 1.0)
"""On and off time of the slow blink while an invoice is shown: a second each, so that the light
changes with the countdown's frame, when the loop is awake anyway."""
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
        self._level = False
        self._changed_at = 0.0

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
            led.off()  # close() alone would leave the level as it was
            led.close()

    def show(self, pattern: Light, now: float) -> None:
        """Switch to ``pattern`` at once (``now``: the loop's clock in seconds); PAID ends by itself."""
        self._pattern = pattern
        self._set(pattern is not Light.OFF, now)

    def next_change(self) -> tuple[float, float] | None:
        """When the level should change next, and by how much the change may come early or late.

        The loop sleeps until then, unless it wakes within that slack anyway (for a poll or a frame):
        then :meth:`tick` changes the level on that wake-up, and the next phase is timed from it.
        None: the level stays as it is.
        """
        if self._led is None:
            return None
        phase = phase_s(self._pattern, self._level, self._settings.paid_on_s)
        if phase is None:
            return None
        return self._changed_at + phase, min(MAX_SLACK_S, SLACK_SHARE * phase)

    def tick(self, now: float) -> None:
        """Change the level if its phase is over at ``now`` (or will be within the slack)."""
        change = self.next_change()
        if change is not None and now >= change[0] - change[1]:
            self._set(not self._level if self._pattern is not Light.PAID else False, now)

    def _set(self, level: bool, now: float) -> None:
        self._level = level
        self._changed_at = now
        if self._led is None:
            return
        try:
            self._led.value = level
        except GPIOZeroError as exc:
            log.error("status light: cannot show %s: %s", self._pattern.value, exc)


MAX_SLACK_S = 0.5
SLACK_SHARE = 0.5
"""A level change may come up to this share of its phase (at most ``MAX_SLACK_S``) early or late, so
that it rides on the loop's next wake-up for a frame instead of one of its own: the slow blink then
falls in step with the countdown's frames after its first change."""


def phase_s(pattern: Light, level: bool, paid_on_s: float) -> float | None:
    """How long ``pattern`` keeps the light at ``level`` (None: for good)."""
    if pattern is Light.OFF:
        return None
    if pattern is Light.PAID:
        return paid_on_s if level else None
    on_s, off_s = INVOICE_BLINK_S if pattern is Light.INVOICE else ERROR_BLINK_S
    return on_s if level else off_s
