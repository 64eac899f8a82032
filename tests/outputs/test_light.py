"""Status light and buzzer: pin states under gpiozero's mock pins."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from clocks import wait_until
from gpiozero import Device
from gpiozero.pins.mock import MockFactory

from kiosk.config import LightSettings
from kiosk.outputs import light as light_module
from kiosk.outputs.buzzer import PAID_BEEP_S, PaidBuzzer
from kiosk.outputs.light import (
    ERROR_BLINK_S,
    INVOICE_BLINK_S,
    Light,
    StatusLight,
)


@pytest.fixture
def factory() -> Iterator[MockFactory]:
    mock = MockFactory()
    yield mock
    mock.reset()


def open_light(factory: MockFactory, **settings: object) -> StatusLight:
    light = StatusLight(LightSettings(**settings), pin_factory=factory)  # type: ignore[arg-type]
    light.open()
    return light


def states(factory: MockFactory, pin: int) -> list[bool]:
    return [bool(s.state) for s in factory.pin(pin).states]



class Timed:
    """A light driven the way the loop drives it: ``tick`` on every wake-up, on a clock the test moves."""

    def __init__(self, light: StatusLight) -> None:
        self.light = light
        self.now = 100.0

    def show(self, pattern: Light) -> None:
        self.light.show(pattern, self.now)

    def run(self, seconds: float, step_s: float = 0.01) -> None:
        """Wake every ``step_s`` (a loop that is awake anyway) for ``seconds``."""
        end = self.now + seconds
        while self.now < end - 1e-9:
            self.now = round(self.now + step_s, 6)
            self.light.tick(self.now)

    def sleep_as_the_loop_would(self, seconds: float) -> list[float]:
        """Wake only when the light asks to (no other reason to wake); the wake-up times."""
        wakes: list[float] = []
        end = self.now + seconds
        while (change := self.light.next_change()) is not None and change[0] <= end:
            self.now = change[0]
            wakes.append(self.now)
            self.light.tick(self.now)
        self.now = end
        return wakes


def levels(factory: MockFactory, pin: int) -> list[bool]:
    return states(factory, pin)


def test_idle_light_is_off_and_off_pattern_keeps_it_off(factory: MockFactory) -> None:
    light = Timed(open_light(factory, pin="GPIO17"))
    light.show(Light.OFF)
    light.run(3.0)
    assert not factory.pin(17).state
    assert light.light.next_change() is None  # nothing to wake the loop for
    light.light.close()


def test_invoice_blinks_slowly_a_second_on_a_second_off(factory: MockFactory) -> None:
    light = Timed(open_light(factory, pin="GPIO17"))
    factory.pin(17).clear_states()
    light.show(Light.INVOICE)
    assert factory.pin(17).state  # on at once
    wakes = light.sleep_as_the_loop_would(4.0)
    assert wakes == pytest.approx([101.0, 102.0, 103.0, 104.0])
    assert levels(factory, 17) == [False, True, False, True, False, True]
    light.light.close()


def test_a_blink_change_rides_on_a_wake_up_within_its_slack_and_is_timed_from_it(factory: MockFactory) -> None:
    light = Timed(open_light(factory, pin="GPIO17"))
    light.show(Light.INVOICE)
    edge, slack = light.light.next_change()  # type: ignore[misc]
    assert (edge, slack) == pytest.approx((101.0, 0.5))
    light.light.tick(edge - slack - 0.001)  # a poll just outside the slack: no change yet
    assert factory.pin(17).state
    light.light.tick(edge - slack + 0.001)  # a poll inside it: the light goes off now ...
    assert not factory.pin(17).state
    next_edge, _ = light.light.next_change()  # type: ignore[misc]
    assert next_edge == pytest.approx(edge - slack + 0.001 + INVOICE_BLINK_S[1])  # ... and times its off phase from then


def test_the_slow_blink_falls_in_step_with_the_countdowns_frames(factory: MockFactory) -> None:
    light = Timed(open_light(factory, pin="GPIO17"))
    light.show(Light.INVOICE)  # shown 0.36 s before a frame; frames then come every second
    frames = [100.36 + n for n in range(6)]
    changes = []
    for frame in frames:
        before = factory.pin(17).state
        light.light.tick(frame)
        if factory.pin(17).state != before:
            changes.append(frame)
        change = light.light.next_change()
        assert change is not None and frame + 1.0 <= change[0] + change[1]  # the next frame will do
    assert changes == frames[1:]  # after the first second, every frame changes it: no wake-up of its own


def test_error_blinks_fast(factory: MockFactory) -> None:
    light = Timed(open_light(factory, pin="GPIO17"))
    factory.pin(17).clear_states()
    light.show(Light.ERROR)
    wakes = light.sleep_as_the_loop_would(2 * sum(ERROR_BLINK_S) + 0.01)
    assert levels(factory, 17) == [False, True, False, True, False, True]
    assert wakes == pytest.approx([100.1, 100.2, 100.3, 100.4])
    light.light.close()


def test_paid_is_solid_then_off_by_itself(factory: MockFactory) -> None:
    light = Timed(open_light(factory, pin="GPIO17", paid_on_s=5.0))
    factory.pin(17).clear_states()
    light.show(Light.PAID)
    light.run(4.49)  # the loop wakes often meanwhile: still solid, one change
    assert levels(factory, 17) == [False, True]
    light.run(0.02)  # 4.51 s: within the slack (0.5 s) of 5 s, it may go off now
    assert levels(factory, 17) == [False, True, False]
    light.run(3.0)
    assert levels(factory, 17) == [False, True, False]  # and it stays off
    assert light.light.next_change() is None
    light.light.close()


def test_next_pattern_cancels_the_paid_timer(factory: MockFactory) -> None:
    light = Timed(open_light(factory, pin="GPIO17", paid_on_s=0.15))
    light.show(Light.PAID)
    light.show(Light.OFF)
    factory.pin(17).clear_states()
    light.run(1.0)
    assert levels(factory, 17) == [False]  # the cancelled paid timer changes nothing later
    light.light.close()


def test_active_low_inverts_every_level(factory: MockFactory) -> None:
    light = Timed(open_light(factory, pin="GPIO17", active_high=False, paid_on_s=0.1))
    assert factory.pin(17).state  # off = high
    light.show(Light.PAID)
    assert not factory.pin(17).state  # lit = low
    light.run(0.2)
    assert factory.pin(17).state
    light.light.close()


def test_buzzer_beeps_twice_on_paid(factory: MockFactory) -> None:
    buzzer = PaidBuzzer("GPIO18", pin_factory=factory)
    buzzer.open()
    factory.pin(18).clear_states()
    buzzer.beep_paid()
    assert wait_until(lambda: len(factory.pin(18).states) == 5, 2.0)
    assert states(factory, 18) == [False, True, False, True, False]
    assert factory.pin(18).states[2].timestamp == pytest.approx(PAID_BEEP_S[0], abs=0.05)
    buzzer.close()
    assert not factory.pin(18).state


def test_active_low_buzzer_is_silent_high(factory: MockFactory) -> None:
    buzzer = PaidBuzzer("GPIO18", active_high=False, pin_factory=factory)
    buzzer.open()
    assert factory.pin(18).state
    buzzer.close()


def test_disabled_light_claims_no_pin(factory: MockFactory) -> None:
    light = open_light(factory, enabled=False, pin="GPIO17")
    light.show(Light.PAID, 0.0)
    assert 17 not in factory.pins
    assert light.pattern is Light.PAID
    light.close()


def test_busy_pins_are_logged_and_nothing_raises(factory: MockFactory, caplog: pytest.LogCaptureFixture) -> None:
    light = open_light(factory, pin="GPIO17")
    second = open_light(factory, pin="GPIO17")  # the same pin twice
    buzzer = PaidBuzzer("GPIO17", pin_factory=factory)
    buzzer.open()
    assert "status light on GPIO17 cannot be used" in caplog.text
    assert "buzzer on GPIO17 cannot be used" in caplog.text
    second.show(Light.PAID, 0.0)
    buzzer.beep_paid()
    assert not factory.pin(17).state  # the first light still owns the pin, untouched
    light.show(Light.PAID, 0.0)
    assert factory.pin(17).state
    for device in (buzzer, second, light):
        device.close()


def test_close_releases_pins_and_switches_off(factory: MockFactory) -> None:
    light = open_light(factory, pin="GPIO17")
    light.show(Light.ERROR, 0.0)
    light.close()
    assert not factory.pin(17).state
    again = open_light(factory, pin="GPIO17")  # the pin is free again
    again.close()


def test_machine_without_gpio_falls_back_to_mock_pins_and_says_so(monkeypatch: pytest.MonkeyPatch,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.delenv("GPIOZERO_PIN_FACTORY", raising=False)
    monkeypatch.setattr(Device, "pin_factory", None)
    pytest.importorskip("gpiozero.pins.mock")
    try:
        import lgpio  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("this machine has lgpio: it is a Pi, not a machine without GPIO")
    light_module.default_pin_factory.cache_clear()
    try:
        with caplog.at_level(logging.INFO, logger="kiosk.outputs.light"):
            factory = light_module.default_pin_factory()
            assert light_module.default_pin_factory() is factory  # chosen once
    finally:
        light_module.default_pin_factory.cache_clear()
    assert isinstance(factory, MockFactory)
    assert [r.message for r in caplog.records].count(caplog.records[0].message) == 1
    assert "use mock pins" in caplog.records[0].message
