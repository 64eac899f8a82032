"""The tip step: the customer picks a tip between the amount and the invoice; the total shown is charged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.core.events import Key
from kiosk.core.model import Phase, SaleSource, Session
from kiosk.core.register import Register
from kiosk.core.sale import Timing
from kiosk.core.tip_step import ABANDONED, TipRules, tip_for
from kiosk.core.view import EntryError, IdleView, MessageKind, MessageView, TipCustomView, TipView
from kiosk.errors import SaleRefused

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
REF = "K1-20261128-0001"


def tipping(**timing: object) -> Register:
    return Register(Timing(**timing), tips=TipRules(presets_pct=(5, 10, 15)))  # type: ignore[arg-type]


def ask(reg: Register, amount_cents: int = 1250, source: SaleSource = SaleSource.POS, ref: str = REF,
        at: datetime = T0) -> list[fx.Effect]:
    return reg.handle(ev.SaleRequested(reference=ref, amount_cents=amount_cents, source=source), at)


def press(reg: Register, key: Key, at: datetime = T0) -> list[fx.Effect]:
    return reg.handle(ev.KeyPressed(key=key), at)


@pytest.mark.parametrize(("amount", "pct", "tip"), [
    (1250, 5, 63),     # 62.5 -> 63: half rounds up
    (1250, 10, 125),
    (1250, 15, 188),   # 187.5 -> 188
    (1230, 5, 62),     # 61.5 -> 62
    (1229, 5, 61),     # 61.45 -> 61
    (1, 10, 0),        # 0.1 cent -> 0
    (5, 10, 1),        # 0.5 cent -> 1
    (100_000, 15, 15_000),
])
def test_a_tip_is_whole_cents_rounded_half_up(amount: int, pct: int, tip: int) -> None:
    assert tip_for(amount, pct) == tip


def test_a_new_sale_waits_for_the_tip_and_nothing_is_journaled_or_asked_of_mion() -> None:
    reg = tipping()
    assert ask(reg) == []
    view = reg.view(T0)
    assert isinstance(view, TipView) and view.amount_cents == 1250
    assert [(o.key, o.pct, o.tip_cents, o.total_cents) for o in view.options] == [
        ("1", 5, 63, 1313), ("2", 10, 125, 1375), ("3", 15, 188, 1438), ("0", 0, 0, 1250)]
    assert reg.open_reference == REF  # the till's OK SALE names it; STATUS and CANCEL find it


@pytest.mark.parametrize("key", [Key.D1, Key.D2, Key.D3, Key.D0])
def test_the_total_charged_is_exactly_the_total_the_customer_saw(key: Key) -> None:
    reg = tipping()
    ask(reg)
    view = reg.view(T0)
    assert isinstance(view, TipView)
    shown = next(o for o in view.options if o.key == key.value)
    out = press(reg, key)
    record, create = out[0], out[1]
    assert isinstance(record, fx.RecordSale) and isinstance(create, fx.CreateSession)
    assert record.amount_cents == create.amount_cents == shown.total_cents
    assert record.tip_cents == shown.tip_cents
    assert reg.phase is Phase.CREATING_SESSION
    reg.handle(ev.SessionCreated(reference=REF, session=Session(session_id="s1")), T0)
    assert reg.sale is not None and reg.sale.amount_cents == shown.total_cents  # one session, for the total


def test_a_custom_tip_is_typed_confirmed_and_charged_with_the_amount() -> None:
    reg = tipping()
    ask(reg)
    press(reg, Key.SEPARATOR)
    for key in (Key.D2, Key.SEPARATOR, Key.D5):
        press(reg, key)
    view = reg.view(T0)
    assert isinstance(view, TipCustomView) and view.tip_cents == 250 and view.max_tip_cents == 1250
    out = press(reg, Key.ENTER)
    assert isinstance(out[0], fx.RecordSale) and (out[0].amount_cents, out[0].tip_cents) == (1500, 250)


def test_a_custom_tip_above_the_amount_is_refused_and_nothing_starts() -> None:
    reg = tipping()
    ask(reg, amount_cents=1000)
    press(reg, Key.SEPARATOR)
    for key in (Key.D1, Key.D0, Key.SEPARATOR, Key.D0, Key.D1):  # 10.01 on 10.00: one cent too much
        press(reg, key)
    assert press(reg, Key.ENTER) == []
    view = reg.view(T0)
    assert isinstance(view, TipCustomView) and view.error is EntryError.TOO_LARGE
    press(reg, Key.BACKSPACE)
    press(reg, Key.D0)  # 10.00: exactly the amount is allowed
    out = press(reg, Key.ENTER)
    assert isinstance(out[0], fx.RecordSale) and (out[0].amount_cents, out[0].tip_cents) == (2000, 1000)


def test_cancel_on_the_custom_screen_goes_back_to_the_presets() -> None:
    reg = tipping()
    ask(reg)
    press(reg, Key.SEPARATOR)
    press(reg, Key.D1)
    assert press(reg, Key.CANCEL) == []
    assert isinstance(reg.view(T0), TipView)


def test_a_preset_whose_total_would_pass_the_limit_is_not_offered_and_its_key_does_nothing() -> None:
    reg = tipping(max_amount_cents=1100)
    ask(reg, amount_cents=1000)
    view = reg.view(T0)
    assert isinstance(view, TipView) and [o.key for o in view.options] == ["1", "2", "0"]  # 15 % -> 11.50: too much
    assert press(reg, Key.D3) == []
    out = press(reg, Key.D2)  # 10 % -> exactly 11.00: allowed
    assert isinstance(out[0], fx.RecordSale) and out[0].amount_cents == 1100


def test_cancel_at_the_tip_step_journals_a_cancelled_sale_and_asks_mion_nothing() -> None:
    reg = tipping()
    ask(reg)
    out = press(reg, Key.CANCEL)
    assert out == [fx.RecordSale(reference=REF, amount_cents=1250, source=SaleSource.POS),
                   fx.RecordEnded(reference=REF, phase=Phase.CANCELLED, detail=ABANDONED)]
    view = reg.view(T0)
    assert isinstance(view, MessageView) and view.kind is MessageKind.CANCELLED
    assert reg.open_reference is None


def test_the_till_cancels_a_sale_waiting_for_its_tip() -> None:
    reg = tipping()
    ask(reg)
    out = reg.handle(ev.CancelRequested(reference=REF), T0)
    assert [type(e) for e in out] == [fx.RecordSale, fx.RecordEnded]


def test_the_tip_step_times_out_at_its_limit_and_not_a_second_before() -> None:
    reg = Register(Timing(), tips=TipRules(choose_timeout_s=60))
    ask(reg)
    press(reg, Key.D9, T0 + timedelta(seconds=30))  # any key counts as the customer being there
    assert reg.next_deadline(T0 + timedelta(seconds=31)) == T0 + timedelta(seconds=90)
    assert reg.handle(ev.Tick(), T0 + timedelta(seconds=89.9)) == []
    assert isinstance(reg.view(T0 + timedelta(seconds=89.9)), TipView)
    out = reg.handle(ev.Tick(), T0 + timedelta(seconds=90))
    assert [type(e) for e in out] == [fx.RecordSale, fx.RecordEnded]
    assert reg.phase is Phase.CANCELLED


def test_a_second_sale_while_one_waits_for_its_tip_is_refused_and_changes_nothing() -> None:
    reg = tipping()
    ask(reg)
    with pytest.raises(SaleRefused) as refused:
        ask(reg, ref="K1-other")
    assert refused.value.code == "BUSY"
    assert reg.open_reference == REF


def test_with_replace_a_newer_sale_cancels_the_waiting_one() -> None:
    reg = tipping(busy_policy="replace")
    ask(reg)
    out = ask(reg, ref="K1-other", amount_cents=500)
    assert out == [fx.RecordSale(reference=REF, amount_cents=1250, source=SaleSource.POS),
                   fx.RecordEnded(reference=REF, phase=Phase.CANCELLED, detail=ABANDONED)]
    view = reg.view(T0)
    assert isinstance(view, TipView) and view.amount_cents == 500


def test_an_amount_out_of_range_is_refused_before_the_tip_step() -> None:
    reg = tipping(max_amount_cents=1000)
    with pytest.raises(SaleRefused) as refused:
        ask(reg, amount_cents=1001)
    assert refused.value.code == "AMOUNT_RANGE"
    assert isinstance(reg.view(T0), IdleView)


def test_the_keypad_sale_goes_through_the_tip_step() -> None:
    reg = tipping()
    for key in (Key.D2, Key.D0, Key.ENTER):
        out = press(reg, key)
    assert out == [fx.RequestSale(amount_cents=2000, source=SaleSource.KEYPAD)]
    ask(reg, amount_cents=2000, source=SaleSource.KEYPAD)
    assert isinstance(reg.view(T0), TipView)
    out = press(reg, Key.D2)
    assert isinstance(out[0], fx.RecordSale) and (out[0].amount_cents, out[0].tip_cents) == (2200, 200)


def test_a_pole_total_goes_through_the_tip_step_too() -> None:
    reg = Register(Timing(pole_auto_start=True), tips=TipRules())
    out = reg.handle(ev.PoleUpdated(lines=("", "TOTAL 10.00"), total_cents=1000), T0)
    assert out == [fx.RequestSale(amount_cents=1000, source=SaleSource.POLE)]
    ask(reg, amount_cents=1000, source=SaleSource.POLE)
    out = press(reg, Key.D0)
    assert isinstance(out[0], fx.RecordSale) and (out[0].amount_cents, out[0].tip_cents) == (1000, 0)


def test_with_tips_off_a_sale_starts_at_once() -> None:
    reg = Register(Timing())
    out = ask(reg)
    assert isinstance(out[0], fx.RecordSale) and out[0].tip_cents == 0 and reg.phase is Phase.CREATING_SESSION


def test_a_pole_display_repeating_its_total_leaves_the_tip_step_alone_and_a_new_total_replaces_it() -> None:
    reg = Register(Timing(pole_auto_start=True), tips=TipRules())
    lines = ("", "TOTAL 10.00")
    reg.handle(ev.PoleUpdated(lines=lines, total_cents=1000), T0)
    ask(reg, amount_cents=1000, source=SaleSource.POLE)
    assert reg.handle(ev.PoleUpdated(lines=lines, total_cents=1000), T0) == []  # refreshed: no second sale
    assert isinstance(reg.view(T0), TipView)
    out = reg.handle(ev.PoleUpdated(lines=("", "TOTAL 12.00"), total_cents=1200), T0)
    assert out == [fx.RecordSale(reference=REF, amount_cents=1000, source=SaleSource.POLE),
                   fx.RecordEnded(reference=REF, phase=Phase.CANCELLED, detail=ABANDONED),
                   fx.RequestSale(amount_cents=1200, source=SaleSource.POLE)]


def test_a_sale_recovered_after_a_restart_shows_its_tip_again() -> None:
    reg = Register(Timing(), tips=TipRules())
    found = ev.RecoveredSale(reference=REF, amount_cents=1375, tip_cents=125, source=SaleSource.POS, created_at=T0,
                             session_id="s1", last_attempt=None)
    reg.handle(ev.Recovered(sales=(found,)), T0 + timedelta(seconds=1))
    assert reg.sale is not None and (reg.sale.amount_cents, reg.sale.tip_cents) == (1375, 125)


def test_a_pole_display_cleared_while_the_customer_chooses_keeps_the_waiting_sale() -> None:
    reg = Register(Timing(pole_auto_start=True), tips=TipRules())
    reg.handle(ev.PoleUpdated(lines=("", "TOTAL 10.00"), total_cents=1000), T0)
    ask(reg, amount_cents=1000, source=SaleSource.POLE)
    assert reg.handle(ev.PoleUpdated(lines=("", ""), total_cents=None), T0) == []
    assert isinstance(reg.view(T0), TipView) and reg.open_reference == REF


def test_a_negative_amount_or_percentage_has_no_tip_and_zero_is_allowed() -> None:
    assert tip_for(0, 0) == 0 and tip_for(0, 15) == 0 and tip_for(1250, 0) == 0
    for amount, pct in ((-1, 10), (1250, -1)):
        with pytest.raises(ValueError, match="must not be negative"):
            tip_for(amount, pct)


def test_the_presets_by_default_are_five_ten_and_fifteen_percent_on_keys_one_to_three() -> None:
    reg = Register(Timing(), tips=TipRules())
    ask(reg)
    view = reg.view(T0)
    assert isinstance(view, TipView)
    assert [(o.key, o.pct) for o in view.options] == [("1", 5), ("2", 10), ("3", 15), ("0", 0)]


def test_a_typed_tip_keeps_the_total_within_the_largest_amount_to_the_cent() -> None:
    reg = tipping(max_amount_cents=100_000)
    ask(reg, amount_cents=99_990)  # 10 cents of room: a tip of 0.10 is the most
    press(reg, Key.SEPARATOR)
    for key in (Key.D0, Key.SEPARATOR, Key.D1, Key.D1):  # 0.11: one cent too much
        press(reg, key)
    assert press(reg, Key.ENTER) == []
    view = reg.view(T0)
    assert isinstance(view, TipCustomView) and view.max_tip_cents == 10 and view.error is EntryError.TOO_LARGE
    press(reg, Key.BACKSPACE)
    press(reg, Key.D0)  # 0.10
    out = press(reg, Key.ENTER)
    assert isinstance(out[0], fx.RecordSale) and (out[0].amount_cents, out[0].tip_cents) == (100_000, 10)


@pytest.mark.parametrize(("custom", "amount", "opens"), [(True, 1250, True), (False, 1250, False),
                                                          (True, 100_000, False)])
def test_the_separator_opens_a_typed_tip_only_when_allowed_and_there_is_room(custom: bool, amount: int,
                                                                             opens: bool) -> None:
    reg = Register(Timing(max_amount_cents=100_000), tips=TipRules(custom=custom))
    ask(reg, amount_cents=amount)
    press(reg, Key.SEPARATOR)
    assert isinstance(reg.view(T0), TipCustomView) is opens


def test_a_sale_asked_for_while_an_invoice_is_open_is_refused_with_tips_on_too() -> None:
    reg = tipping()
    ask(reg)
    out = press(reg, Key.D2)  # 10 %: the sale opens and asks Mion for a session
    assert any(isinstance(e, fx.CreateSession) for e in out)
    reg.handle(ev.SessionCreated(reference=REF, session=Session(session_id="s1")), T0)
    with pytest.raises(SaleRefused) as refused:
        ask(reg, ref="K1-other")
    assert refused.value.code == "BUSY" and reg.open_reference == REF
