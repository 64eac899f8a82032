"""Who may start a sale, and what happens to one still open: rules the register alone decides."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.core.model import Attempt, Phase, SaleSource, Session
from kiosk.core.register import Register
from kiosk.core.sale import Timing
from kiosk.errors import SaleRefused

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def showing_invoice(reg: Register, reference: str = "A") -> None:
    reg.handle(ev.SaleRequested(reference=reference, amount_cents=500, source=SaleSource.POS), T0)
    reg.handle(ev.SessionCreated(reference=reference, session=Session(session_id="s-" + reference)), T0)
    reg.handle(ev.AttemptCreated(reference=reference, attempt=Attempt(
        session_id="s-" + reference, invoice="lnbcrt1", amount_msat=5_000_000,
        expires_at=T0 + timedelta(seconds=120))), T0)
    assert reg.phase is Phase.AWAITING_PAYMENT


@pytest.mark.parametrize("amount", [0, -1, 10_001])
def test_an_amount_outside_the_range_is_refused_and_changes_nothing(amount: int) -> None:
    reg = Register(Timing(max_amount_cents=10_000))
    before = copy.deepcopy(reg.__dict__)
    with pytest.raises(SaleRefused) as refused:
        reg.handle(ev.SaleRequested(reference="A", amount_cents=amount, source=SaleSource.POS), T0)
    assert refused.value.code == "AMOUNT_RANGE" and "1 to 10000 cents" in refused.value.reason
    assert reg.__dict__ == before


@pytest.mark.parametrize("amount", [1, 10_000])
def test_the_range_includes_one_cent_and_the_maximum(amount: int) -> None:
    reg = Register(Timing(max_amount_cents=10_000))
    effects = reg.handle(ev.SaleRequested(reference="A", amount_cents=amount, source=SaleSource.POS), T0)
    assert reg.phase is Phase.CREATING_SESSION and isinstance(effects[0], fx.RecordSale)


def test_a_sale_asked_for_while_one_is_open_is_refused_by_default_and_changes_nothing() -> None:
    reg = Register(Timing())
    showing_invoice(reg)
    before = copy.deepcopy(reg.__dict__)
    with pytest.raises(SaleRefused) as refused:
        reg.handle(ev.SaleRequested(reference="B", amount_cents=100, source=SaleSource.POS), T0)
    assert refused.value.code == "BUSY" and "A" in refused.value.reason
    assert reg.__dict__ == before


def test_with_the_replace_policy_the_open_sale_is_cancelled_first_and_still_watched() -> None:
    reg = Register(Timing(busy_policy="replace"))
    showing_invoice(reg)
    effects = reg.handle(ev.SaleRequested(reference="B", amount_cents=100, source=SaleSource.POS), T0)
    assert [type(e) for e in effects] == [fx.RecordEnded, fx.SetLight, fx.RecordSale, fx.CreateSession]
    ended = effects[0]
    assert isinstance(ended, fx.RecordEnded) and ended.reference == "A" and ended.phase is Phase.CANCELLED
    assert effects[1] == fx.SetLight(light=fx.Light.OFF)  # the invoice blink stops
    assert reg.open_reference == "B" and reg.phase is Phase.CREATING_SESSION
    assert "A" in reg.watches  # its invoice was shown: a late payment is still caught


def test_replace_policy_still_refuses_a_wrong_amount_without_cancelling() -> None:
    reg = Register(Timing(busy_policy="replace", max_amount_cents=1000))
    showing_invoice(reg)
    with pytest.raises(SaleRefused):
        reg.handle(ev.SaleRequested(reference="B", amount_cents=1001, source=SaleSource.POS), T0)
    assert reg.open_reference == "A"


def pole(total: int | None) -> ev.PoleUpdated:
    return ev.PoleUpdated(lines=("TOTAL", "12.50"), total_cents=total)


def test_a_settled_pole_total_waits_for_the_lightning_key_by_default() -> None:
    reg = Register(Timing())
    assert reg.handle(pole(1250), T0) == []
    assert reg.handle(ev.KeyPressed(key=ev.Key.LIGHTNING), T0) == [
        fx.RequestSale(amount_cents=1250, source=SaleSource.POLE)]


def test_with_auto_start_a_settled_pole_total_asks_for_a_sale_by_itself() -> None:
    reg = Register(Timing(pole_auto_start=True))
    assert reg.handle(pole(1250), T0) == [fx.RequestSale(amount_cents=1250, source=SaleSource.POLE)]


@pytest.mark.parametrize("total", [None, 0, 100_001])
def test_auto_start_ignores_a_missing_or_out_of_range_total(total: int | None) -> None:
    reg = Register(Timing(pole_auto_start=True, max_amount_cents=100_000))
    assert reg.handle(pole(total), T0) == []


def test_auto_start_never_replaces_an_open_sale() -> None:
    reg = Register(Timing(pole_auto_start=True, busy_policy="replace"))
    showing_invoice(reg)
    assert reg.handle(pole(1250), T0) == []
    assert reg.open_reference == "A"
