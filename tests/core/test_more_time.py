""""More time": Enter on the invoice screen asks the same session for a fresh invoice, within its life."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.core.events import Key, Request
from kiosk.core.model import Attempt, Phase, SaleSource, Session
from kiosk.core.more_time import HINT_BELOW_S
from kiosk.core.register import Register
from kiosk.core.sale import Timing
from kiosk.core.view import InvoiceView

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
REF = "K1-20261128-0001"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def attempt(now: datetime, n: int = 1, lifetime_s: float = 120) -> Attempt:
    return Attempt(session_id="s1", invoice=f"lnbcrt{n}", amount_msat=13_000_000,
                   expires_at=now + timedelta(seconds=lifetime_s))


def showing(timing: Timing | None = None) -> Register:
    reg = Register(timing or Timing())
    reg.handle(ev.SaleRequested(reference=REF, amount_cents=1200, source=SaleSource.POS), T0)
    reg.handle(ev.SessionCreated(reference=REF, session=Session(session_id="s1")), T0)
    reg.handle(ev.AttemptCreated(reference=REF, attempt=attempt(T0)), T0)
    assert reg.phase is Phase.AWAITING_PAYMENT
    return reg


def enter(reg: Register, now: datetime) -> list[fx.Effect]:
    return reg.handle(ev.KeyPressed(key=Key.ENTER), now)


def test_enter_on_the_qr_gives_a_fresh_invoice_with_a_full_countdown() -> None:
    reg = showing()
    assert enter(reg, at(60)) == [fx.CreateAttempt(reference=REF, session_id="s1", amount_cents=1200)]
    assert enter(reg, at(61)) == []  # one is already on its way
    reg.handle(ev.AttemptCreated(reference=REF, attempt=attempt(at(62), n=2)), at(62))
    view = reg.view(at(62))
    assert isinstance(view, InvoiceView) and view.invoice == "lnbcrt2"
    assert view.seconds_left == view.lifetime_s  # the countdown starts again, full


def test_a_fresh_invoice_is_not_renewed_again_before_min_attempt_s() -> None:
    timing = Timing()
    reg = showing(timing)
    assert enter(reg, at(timing.min_attempt_s - 0.001)) == []
    assert [type(e) for e in enter(reg, at(timing.min_attempt_s))] == [fx.CreateAttempt]


def test_more_time_is_refused_when_the_session_has_too_little_life_left() -> None:
    timing = Timing(session_lifetime_s=300)
    reg = showing(timing)
    sale = reg.sale
    assert sale is not None
    reg.handle(ev.AttemptCreated(reference=REF, attempt=attempt(at(200), n=2)), at(200))
    last = sale.last_invoice_at(timing)  # session end - (refresh_margin_s + min_attempt_s)
    sale.in_flight.discard(Request.CREATE_ATTEMPT)
    assert enter(reg, last) == []
    assert sale.attempt is not None and sale.attempt.invoice == "lnbcrt2"
    assert [type(e) for e in enter(reg, last - timedelta(microseconds=1))] == [fx.CreateAttempt]


def test_more_time_off_leaves_enter_without_effect() -> None:
    reg = showing(Timing(more_time=False))
    assert enter(reg, at(60)) == []


def test_the_screen_offers_more_time_only_late_in_the_countdown() -> None:
    reg = showing()
    early = reg.view(at(10))
    assert isinstance(early, InvoiceView) and not early.more_time_hint
    sale = reg.sale
    assert sale is not None
    shown_until = sale.shown_until(Timing())
    assert shown_until is not None
    late = reg.view(shown_until - timedelta(seconds=HINT_BELOW_S - 1))
    assert isinstance(late, InvoiceView) and late.more_time_hint
    edge = reg.view(shown_until - timedelta(seconds=HINT_BELOW_S))
    assert isinstance(edge, InvoiceView) and not edge.more_time_hint


def test_no_more_time_while_a_card_tap_may_be_paying_the_invoice_on_screen() -> None:
    reg = showing()
    sale = reg.sale
    assert sale is not None
    sale.tap_pinned_until = at(70)
    assert enter(reg, at(69.9)) == []
    assert [type(e) for e in enter(reg, at(70))] == [fx.CreateAttempt]
