"""Status light and buzzer: pin states under gpiozero's mock pins."""

from __future__ import annotations

import logging
import time
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



def test_idle_light_is_off_and_off_pattern_keeps_it_off(factory: MockFactory) -> None:
    light = open_light(factory, pin="GPIO17")
    light.show(Light.OFF)
    assert not factory.pin(17).state
    assert states(factory, 17) == [False]
    light.close()


def test_invoice_blinks_slowly(factory: MockFactory) -> None:
    light = open_light(factory, pin="GPIO17")
    factory.pin(17).clear_states()
    light.show(Light.INVOICE)
    time.sleep(INVOICE_BLINK_S[0] + INVOICE_BLINK_S[1] + 0.1)
    light.close()
    # mock pin times are the intervals since the previous change
    factory.pin(17).assert_states_and_times([(0.0, False), (0.0, True), (INVOICE_BLINK_S[0], False),
                                             (INVOICE_BLINK_S[1], True)])
    assert len(factory.pin(17).states) >= 4


def test_error_blinks_fast(factory: MockFactory) -> None:
    light = open_light(factory, pin="GPIO17")
    factory.pin(17).clear_states()
    light.show(Light.ERROR)
    time.sleep(2 * sum(ERROR_BLINK_S) + 0.05)
    light.close()
    assert states(factory, 17)[:5] == [False, True, False, True, False]
    pin_states = factory.pin(17).states
    assert pin_states[2].timestamp == pytest.approx(ERROR_BLINK_S[0], abs=0.05)  # time since the previous change


def test_paid_is_solid_then_off_by_itself(factory: MockFactory) -> None:
    light = open_light(factory, pin="GPIO17", paid_on_s=0.2)
    factory.pin(17).clear_states()
    light.show(Light.PAID)
    assert factory.pin(17).state
    assert wait_until(lambda: len(factory.pin(17).states) == 3, 2.0)
    factory.pin(17).assert_states_and_times([(0.0, False), (0.0, True), (0.2, False)])
    time.sleep(0.1)
    assert states(factory, 17) == [False, True, False]  # and it stays off
    light.close()


def test_next_pattern_cancels_the_paid_timer(factory: MockFactory) -> None:
    light = open_light(factory, pin="GPIO17", paid_on_s=0.15)
    light.show(Light.PAID)
    light.show(Light.OFF)
    factory.pin(17).clear_states()
    time.sleep(0.25)
    assert states(factory, 17) == [False]  # the cancelled paid timer changes nothing later
    light.close()


def test_active_low_inverts_every_level(factory: MockFactory) -> None:
    light = open_light(factory, pin="GPIO17", active_high=False, paid_on_s=0.1)
    assert factory.pin(17).state  # off = high
    light.show(Light.PAID)
    assert not factory.pin(17).state  # lit = low
    assert wait_until(lambda: bool(factory.pin(17).state), 2.0)
    light.close()


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
    light.show(Light.PAID)
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
    second.show(Light.PAID)
    buzzer.beep_paid()
    assert not factory.pin(17).state  # the first light still owns the pin, untouched
    light.show(Light.PAID)
    assert factory.pin(17).state
    for device in (buzzer, second, light):
        device.close()


def test_close_releases_pins_and_switches_off(factory: MockFactory) -> None:
    light = open_light(factory, pin="GPIO17")
    light.show(Light.ERROR)
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
