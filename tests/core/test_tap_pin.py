"""The pin: while a card tap may be paying the shown invoice, the register asks for no fresh one."""

from __future__ import annotations

from datetime import timedelta

from clocks import FakeClock

from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.core.register import Register
from kiosk.core.sale import Timing
from kiosk.core.tap import PinRefusal, pin, release
from tests.core.test_register import REF, T0, open_sale

MIN_LEFT_S = 60.0


def pinned_register() -> tuple[Register, FakeClock]:
    reg, clock = Register(Timing()), FakeClock(T0)
    open_sale(reg, clock)  # the invoice lives 120 s: shown until T0 + 110 s, refreshed from T0 + 100 s
    return reg, clock


def try_pin(reg: Register, clock: FakeClock, invoice: str = "lnbcrt1") -> PinRefusal | None:
    return pin(reg.sale, reg.phase, REF, invoice, clock.now, reg.timing, MIN_LEFT_S)


def asks_fresh_invoice(effects: list[fx.Effect]) -> bool:
    return any(isinstance(e, fx.CreateAttempt) for e in effects)


def test_a_tap_pins_only_with_min_left_of_the_shown_invoice() -> None:
    reg, clock = pinned_register()
    clock.advance(50.001)  # 59.999 s left
    assert try_pin(reg, clock) is PinRefusal.TOO_LATE
    assert reg.sale is not None and reg.sale.tap_pinned_until is None
    clock.now = T0 + timedelta(seconds=50)  # 60 s left: just enough
    assert try_pin(reg, clock) is None
    assert reg.sale.tap_pinned_until == T0 + timedelta(seconds=120)


def test_a_pinned_invoice_is_not_swapped_until_it_expires_or_the_tap_releases_it() -> None:
    reg, clock = pinned_register()
    assert try_pin(reg, clock) is None
    clock.advance(100)
    assert not asks_fresh_invoice(reg.handle(ev.Tick(), clock.now))
    clock.advance(19.9)
    assert not asks_fresh_invoice(reg.handle(ev.Tick(), clock.now))
    clock.advance(0.1)  # the pinned invoice has expired: nobody can pay it any more
    assert asks_fresh_invoice(reg.handle(ev.Tick(), clock.now))


def test_a_released_pin_lets_the_refresh_happen_at_once() -> None:
    reg, clock = pinned_register()
    assert try_pin(reg, clock) is None
    clock.advance(101)
    assert not asks_fresh_invoice(reg.handle(ev.Tick(), clock.now))
    release(reg.sale, "another-sale")  # a release for another sale changes nothing
    assert not asks_fresh_invoice(reg.handle(ev.Tick(), clock.now))
    release(reg.sale, REF)
    assert asks_fresh_invoice(reg.handle(ev.Tick(), clock.now))


def test_a_tap_during_an_invoice_refresh_is_refused() -> None:
    reg, clock = pinned_register()
    clock.advance(100)
    assert asks_fresh_invoice(reg.handle(ev.Tick(), clock.now))  # the fresh invoice is on its way
    assert try_pin(reg, clock) is PinRefusal.REFRESHING


def test_a_tap_for_an_invoice_no_longer_shown_is_refused() -> None:
    reg, clock = pinned_register()
    assert try_pin(reg, clock, invoice="lnbcrt-old") is PinRefusal.NO_INVOICE
    assert pin(reg.sale, reg.phase, "other", "lnbcrt1", clock.now, reg.timing, MIN_LEFT_S) is PinRefusal.NO_INVOICE
    reg.handle(ev.CancelRequested(), clock.now)
    assert try_pin(reg, clock) is PinRefusal.NO_INVOICE
