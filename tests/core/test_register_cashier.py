"""What the cashier and the till can do to the register: amounts, keys, cancelling, the pole total."""

from __future__ import annotations

import pytest
from register_helpers import REF, T0, at, fail, give_session, open_sale, start_sale, status, tick

from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.core.events import Key, Request
from kiosk.core.model import Phase, SaleSource
from kiosk.core.register import Register
from kiosk.core.sale import Timing
from kiosk.core.view import AmountEntryView, EntryError, IdleView, InvoiceView, PreparingView
from kiosk.errors import IllegalTransition

MAX = 10_000


def press(reg: Register, *keys: Key) -> list[fx.Effect]:
    out: list[fx.Effect] = []
    for key in keys:
        out = reg.handle(ev.KeyPressed(key=key), T0)
    return out


def type_amount(reg: Register, text: str) -> list[fx.Effect]:
    keys = [Key.SEPARATOR if c in ".," else Key(c) for c in text]
    return press(reg, *keys, Key.ENTER)


# --- amounts ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("amount_cents", "allowed"), [(0, False), (1, True), (MAX, True), (MAX + 1, False),
                                                        (-5, False)])
def test_a_sale_is_accepted_from_one_cent_up_to_the_maximum(amount_cents: int, allowed: bool) -> None:
    reg = Register(Timing(max_amount_cents=MAX))
    if allowed:
        effects = start_sale(reg, T0, amount_cents=amount_cents)
        assert effects[0] == fx.RecordSale(reference=REF, amount_cents=amount_cents, source=SaleSource.POS)
        assert reg.phase is Phase.CREATING_SESSION
    else:
        with pytest.raises(IllegalTransition, match=rf"amount {amount_cents}\b.* outside 1\b.*\b{MAX}\b"):
            start_sale(reg, T0, amount_cents=amount_cents)
        assert reg.phase is Phase.IDLE and reg.open_reference is None


@pytest.mark.parametrize(("typed", "charged", "error"), [
    ("100", MAX, None), ("100.00", MAX, None), ("100.01", None, EntryError.TOO_LARGE),
    ("0.01", 1, None), ("0", None, EntryError.ZERO), ("0.00", None, EntryError.ZERO), (".", None, EntryError.ZERO),
])
def test_the_keypad_charges_from_one_cent_up_to_the_maximum(typed: str, charged: int | None,
                                                            error: EntryError | None) -> None:
    reg = Register(Timing(max_amount_cents=MAX))
    effects = type_amount(reg, typed)
    if charged is not None:
        assert effects == [fx.RequestSale(amount_cents=charged, source=SaleSource.KEYPAD)]
    else:
        assert effects == []
        view = reg.view(T0)
        assert isinstance(view, AmountEntryView) and view.error is error and view.max_amount_cents == MAX


def test_a_refused_amount_can_be_corrected_and_charged() -> None:
    reg = Register(Timing(max_amount_cents=MAX))
    assert type_amount(reg, "1000") == []
    assert press(reg, Key.BACKSPACE, Key.ENTER) == [fx.RequestSale(amount_cents=MAX, source=SaleSource.KEYPAD)]


def test_backspace_takes_back_one_character_and_an_empty_entry_returns_to_idle() -> None:
    reg = Register(Timing())
    press(reg, Key.D1, Key.D2, Key.SEPARATOR, Key.D5, Key.BACKSPACE)
    assert reg.view(T0) == AmountEntryView(typed="12.", amount_cents=1200, max_amount_cents=100_000)
    press(reg, Key.BACKSPACE, Key.BACKSPACE)
    assert reg.view(T0) == AmountEntryView(typed="1", amount_cents=100, max_amount_cents=100_000)
    press(reg, Key.BACKSPACE)
    assert reg.phase is Phase.IDLE and isinstance(reg.view(T0), IdleView)


@pytest.mark.parametrize("key", [Key.ENTER, Key.BACKSPACE, Key.LIGHTNING, Key.CANCEL])
def test_keys_that_mean_nothing_on_the_idle_screen_change_nothing(key: Key) -> None:
    reg = Register(Timing())
    assert press(reg, key) == []
    assert reg.phase is Phase.IDLE


def test_cancel_while_typing_drops_the_amount() -> None:
    reg = Register(Timing())
    press(reg, Key.D4, Key.D2, Key.CANCEL)
    assert reg.phase is Phase.IDLE
    press(reg, Key.D7)
    assert reg.view(T0) == AmountEntryView(typed="7", amount_cents=700, max_amount_cents=100_000)


def test_a_digit_on_a_final_screen_starts_a_new_amount() -> None:
    reg = Register(Timing())
    start_sale(reg, T0)
    reg.handle(ev.CancelRequested(), T0)
    press(reg, Key.D3)
    assert reg.view(T0) == AmountEntryView(typed="3", amount_cents=300, max_amount_cents=100_000)


# --- keys during a sale ----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [Key.D1, Key.D0, Key.SEPARATOR, Key.BACKSPACE, Key.ENTER, Key.LIGHTNING])
def test_keys_other_than_cancel_do_nothing_while_a_sale_is_open(key: Key) -> None:
    reg = Register(Timing())
    open_sale(reg, T0)
    assert press(reg, key) == []
    assert reg.phase is Phase.AWAITING_PAYMENT and reg.open_reference == REF


def test_the_cancel_key_cancels_the_open_sale() -> None:
    reg = Register(Timing())
    open_sale(reg, T0)
    effects = press(reg, Key.CANCEL)
    assert effects == [fx.RecordEnded(reference=REF, phase=Phase.CANCELLED), fx.SetLight(light=fx.Light.OFF)]
    assert reg.phase is Phase.CANCELLED


def test_the_till_can_cancel_the_open_sale_by_its_reference_only() -> None:
    reg = Register(Timing())
    open_sale(reg, T0)
    with pytest.raises(IllegalTransition, match="sale K1-other is not the open sale"):
        reg.handle(ev.CancelRequested(reference="K1-other"), T0)
    assert reg.phase is Phase.AWAITING_PAYMENT
    reg.handle(ev.CancelRequested(reference=REF), T0)
    assert reg.phase is Phase.CANCELLED


def test_open_reference_names_only_a_sale_in_progress() -> None:
    reg = Register(Timing())
    assert reg.open_reference is None
    start_sale(reg, T0)
    assert reg.open_reference == REF
    give_session(reg, T0)
    assert reg.open_reference == REF
    reg.handle(ev.StatusReceived(reference=REF, status=status(paid_at=T0)), T0)
    assert reg.phase is Phase.PAID and reg.open_reference is None


# --- the pole total --------------------------------------------------------------------------------------


def test_the_lightning_key_charges_the_pole_total_once() -> None:
    reg = Register(Timing())
    reg.handle(ev.PoleUpdated(lines=("TOTAL", "12.00"), total_cents=1200), T0)
    assert reg.view(T0) == IdleView(shop_name="", pole_lines=("TOTAL", "12.00"), pending_total_cents=1200)
    assert press(reg, Key.LIGHTNING) == [fx.RequestSale(amount_cents=1200, source=SaleSource.POLE)]
    start_sale(reg, T0, source=SaleSource.POLE)
    reg.handle(ev.CancelRequested(), T0)
    tick(reg, at(10))
    assert reg.view(at(10)) == IdleView(shop_name="", pole_lines=("TOTAL", "12.00"), pending_total_cents=None)
    assert press(reg, Key.LIGHTNING) == [], "the total was charged already"


def test_a_sale_from_elsewhere_leaves_the_pole_total_waiting() -> None:
    reg = Register(Timing())
    reg.handle(ev.PoleUpdated(lines=("TOTAL", "12.00"), total_cents=1200), T0)
    start_sale(reg, T0, source=SaleSource.POS)
    reg.handle(ev.CancelRequested(), T0)
    tick(reg, at(10))
    assert press(reg, Key.LIGHTNING) == [fx.RequestSale(amount_cents=1200, source=SaleSource.POLE)]


def test_the_lightning_key_does_nothing_while_an_amount_is_typed() -> None:
    reg = Register(Timing())
    reg.handle(ev.PoleUpdated(lines=("TOTAL", "12.00"), total_cents=1200), T0)
    press(reg, Key.D5)
    assert press(reg, Key.LIGHTNING) == []
    assert reg.phase is Phase.ENTERING_AMOUNT


# --- what the screen says while Mion is slow --------------------------------------------------------------


def test_the_invoice_says_checking_after_a_single_failed_poll_and_not_before() -> None:
    reg = Register(Timing())
    open_sale(reg, T0)
    view = reg.view(T0)
    assert isinstance(view, InvoiceView) and not view.checking
    tick(reg, at(0.5))
    fail(reg, Request.POLL, at(1))
    view = reg.view(at(1))
    assert isinstance(view, InvoiceView) and view.checking


def test_a_new_sale_shows_that_its_invoice_is_being_prepared() -> None:
    reg = Register(Timing())
    start_sale(reg, T0)
    assert reg.view(at(2)) == PreparingView(amount_cents=1200, elapsed_s=2.0)
    give_session(reg, at(3))
    fail(reg, Request.CREATE_ATTEMPT, at(4))
    assert reg.view(at(5)) == PreparingView(amount_cents=1200, elapsed_s=5.0)
