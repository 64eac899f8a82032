"""The register's clocks, each pinned on both sides of its boundary.

Every rule here is a sentence a shop would agree to; the times are exact (a microsecond before the
boundary and at it), because a timer that is one second off is a QR shown too long or a screen that
never leaves. Time is fake: every call carries its own ``now``.
"""

from __future__ import annotations

import math
from datetime import datetime

import pytest
from register_helpers import (
    EPS,
    REF,
    T0,
    answer,
    at,
    attempt,
    attempts_asked,
    fail,
    give_session,
    open_sale,
    polls,
    secs,
    start_sale,
    tick,
)

from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.core.events import Key, Request
from kiosk.core.model import Phase
from kiosk.core.register import Register
from kiosk.core.sale import Timing
from kiosk.core.view import AmountEntryView, CheckingView, IdleView, InvoiceView, MessageKind, MessageView

# --- the QR on screen -----------------------------------------------------------------------------------


def test_the_qr_leaves_the_screen_exactly_ten_seconds_before_the_invoice_expires() -> None:
    reg = Register(Timing())  # the shop's defaults: a 10 s margin
    open_sale(reg, T0, lifetime_s=120)
    assert isinstance(reg.view(at(110) - EPS), InvoiceView)
    after = reg.view(at(110))
    assert isinstance(after, CheckingView), "no QR in its last 10 s, and the sale is still open"


def test_the_qr_leaves_the_margin_before_the_session_ends_when_that_comes_first() -> None:
    reg = Register(Timing(session_lifetime_s=100, refresh_margin_s=10))
    open_sale(reg, T0, lifetime_s=120)
    assert isinstance(reg.view(at(90) - EPS), InvoiceView)
    assert isinstance(reg.view(at(90)), CheckingView)


@pytest.mark.parametrize("lifetime_s", [120, 60.3, 10.5])
def test_the_countdown_starts_full_and_counts_whole_seconds_rounded_up(lifetime_s: float) -> None:
    reg = Register(Timing(refresh_margin_s=10))
    open_sale(reg, T0, lifetime_s=lifetime_s)
    on_screen_s = lifetime_s - 10
    view = reg.view(T0)
    assert isinstance(view, InvoiceView)
    assert view.seconds_left == view.lifetime_s == math.ceil(on_screen_s), "the ring starts full"
    last = reg.view(at(on_screen_s) - EPS)
    assert isinstance(last, InvoiceView) and last.seconds_left == 1 and last.lifetime_s == math.ceil(on_screen_s)


def test_the_app_is_woken_exactly_when_the_countdown_shows_the_next_second() -> None:
    reg = Register(Timing(refresh_margin_s=10, poll_interval_s=0.5))
    open_sale(reg, T0, lifetime_s=120.3)  # 110.3 s on screen
    assert polls(tick(reg, at(0.5)))  # and Mion takes its time to answer
    first = reg.view(at(0.5))
    assert isinstance(first, InvoiceView) and first.seconds_left == 110
    assert reg.next_deadline(at(0.5)) == at(1.3)
    before, after = reg.view(at(1.3) - EPS), reg.view(at(1.3))
    assert isinstance(before, InvoiceView) and before.seconds_left == 110
    assert isinstance(after, InvoiceView) and after.seconds_left == 109
    assert reg.next_deadline(at(1.3)) == at(2.3)


def test_a_fresh_invoice_is_asked_for_exactly_ten_seconds_before_the_qr_must_go() -> None:
    for when, wanted in ((at(100) - EPS, False), (at(100), True)):
        reg = Register(Timing())  # margin 10 s and lead 10 s: the 120 s invoice leaves at 110 s
        open_sale(reg, T0, lifetime_s=120)
        assert bool(attempts_asked(tick(reg, when))) is wanted, when - T0


def test_a_fresh_invoice_arriving_in_time_replaces_the_qr_without_a_gap() -> None:
    reg = Register(Timing())
    open_sale(reg, T0, lifetime_s=120)
    assert attempts_asked(tick(reg, at(100)))
    reg.handle(ev.AttemptCreated(reference=REF, attempt=attempt(at(101), n=2)), at(101))
    arrived = reg.view(at(101))
    assert isinstance(arrived, InvoiceView) and arrived.invoice == "lnbcrt2"
    assert arrived.seconds_left == arrived.lifetime_s == 110
    view = reg.view(at(110))
    assert isinstance(view, InvoiceView) and view.invoice == "lnbcrt2"


@pytest.mark.parametrize(("invoice_s", "asked"), [(290, False), (290 - 1e-6, True)])
def test_no_fresh_invoice_is_asked_for_once_the_session_has_thirty_seconds_or_less_left(
        invoice_s: float, asked: bool) -> None:
    # A 300 s session; the invoice leaves the screen at invoice_s - 10 and its successor is wanted 10 s
    # before that. At 270 s only 30 s of the session are left (margin 10 + min_attempt 20): a new QR
    # could not stay on screen for min_attempt_s, so none is asked for.
    reg = Register(Timing(session_lifetime_s=300, refresh_margin_s=10, refresh_lead_s=10))  # min_attempt_s is fixed
    open_sale(reg, T0, lifetime_s=invoice_s)
    sent = attempts_asked(tick(reg, at(invoice_s - 20)))
    sent += [e for t in range(271, 300) for e in attempts_asked(tick(reg, at(t)))]
    assert len(sent) == (1 if asked else 0)
    assert reg.phase is Phase.AWAITING_PAYMENT, "the sale itself stays open until Mion says it expired"


def test_while_an_invoice_is_being_created_no_second_one_is_asked_for() -> None:
    reg = Register(Timing())
    start_sale(reg, T0)
    assert attempts_asked(give_session(reg, T0))
    assert [e for t in range(1, 40) for e in attempts_asked(tick(reg, at(t)))] == []


# --- requests to Mion, spaced in time ---------------------------------------------------------------------


def test_the_session_is_polled_every_half_second_exactly() -> None:
    reg = Register(Timing(poll_interval_s=0.5))
    open_sale(reg, T0)
    answer(reg, at(0.2))
    assert reg.next_deadline(at(0.2)) == at(0.7)
    assert polls(tick(reg, at(0.7) - EPS)) == []
    assert reg.next_deadline(at(0.7)) == at(0.7), "a request due now is work for now"
    assert polls(tick(reg, at(0.7))) == [fx.PollStatus(reference=REF, session_id="s1")]


def test_failing_polls_are_retried_after_a_doubling_wait_capped_at_the_maximum() -> None:
    reg = Register(Timing(poll_interval_s=0.5, max_backoff_s=8))
    open_sale(reg, T0)
    now = T0
    for wait in (0.5, 1, 2, 4, 8, 8):
        fail(reg, Request.POLL, now)
        assert polls(tick(reg, now + secs(wait) - EPS)) == [], wait
        now += secs(wait)
        assert polls(tick(reg, now)), wait


def test_an_answer_resets_the_wait_after_failures() -> None:
    reg = Register(Timing(poll_interval_s=0.5))
    open_sale(reg, T0)
    fail(reg, Request.POLL, T0)
    assert polls(tick(reg, at(0.5)))
    fail(reg, Request.POLL, at(0.5))
    assert polls(tick(reg, at(1.5)))
    answer(reg, at(1.5))
    assert polls(tick(reg, at(2)))
    fail(reg, Request.POLL, at(2))
    assert polls(tick(reg, at(2.5))), "the wait starts again from the poll interval"


@pytest.mark.parametrize(("retry_after_s", "wait_s"), [(5, 5), (0.1, 0.5), (60, 60), (120, 60), (3600, 60)])
def test_mion_s_retry_after_is_honoured_but_never_beyond_a_minute(retry_after_s: float, wait_s: float) -> None:
    reg = Register(Timing(poll_interval_s=0.5, max_backoff_s=8))
    open_sale(reg, T0)
    fail(reg, Request.POLL, at(1), retry_after_s=retry_after_s)
    assert polls(tick(reg, at(1 + wait_s) - EPS)) == []
    assert polls(tick(reg, at(1 + wait_s)))


def test_an_invoice_whose_creation_failed_is_asked_for_again_after_the_wait() -> None:
    reg = Register(Timing(poll_interval_s=0.5))
    start_sale(reg, T0)
    give_session(reg, T0)
    fail(reg, Request.CREATE_ATTEMPT, at(1))
    assert reg.phase is Phase.CREATING_ATTEMPT, "an unknown outcome before any QR: keep trying"
    assert attempts_asked(tick(reg, at(1.5) - EPS)) == []
    assert attempts_asked(tick(reg, at(1.5))) == [fx.CreateAttempt(reference=REF, session_id="s1",
                                                                    amount_cents=1200)]
    assert attempts_asked(tick(reg, at(2))) == [], "and only once"


def test_a_refused_refresh_leaves_the_shown_invoice_on_screen() -> None:
    reg = Register(Timing())
    open_sale(reg, T0, lifetime_s=120)
    assert attempts_asked(tick(reg, at(100)))
    effects = fail(reg, Request.CREATE_ATTEMPT, at(101), failure=ev.Failure.REJECTED)
    assert effects == [] and reg.phase is Phase.AWAITING_PAYMENT, "the customer may still pay the shown one"
    assert isinstance(reg.view(at(101)), InvoiceView)


def test_a_session_that_seems_missing_is_looked_up_once_more_after_lookup_confirm_s() -> None:
    # The create was sent at T0 and its outcome is unknown: a lookup that finds nothing before 24 s
    # may just be early, so the kiosk looks again at 24 s rather than creating a second session.
    reg = Register(Timing(lookup_confirm_s=24, poll_interval_s=0.5))
    start_sale(reg, T0)
    fail(reg, Request.CREATE_SESSION, T0)
    assert [type(e) for e in tick(reg, at(0.5))] == [fx.FindSession]
    assert reg.handle(ev.SessionLookedUp(reference=REF, session=None), at(1)) == []
    assert reg.next_deadline(at(1)) == at(24)
    assert tick(reg, at(24) - EPS) == []
    assert tick(reg, at(24)) == [fx.FindSession(reference=REF)]


@pytest.mark.parametrize(("answered_at", "creates"), [(at(24) - EPS, False), (at(24), True)])
def test_a_second_session_is_created_only_lookup_confirm_s_after_the_first_was_sent(answered_at: datetime,
                                                                                    creates: bool) -> None:
    reg = Register(Timing(lookup_confirm_s=24))
    start_sale(reg, T0)
    fail(reg, Request.CREATE_SESSION, T0)
    tick(reg, at(0.5))
    effects = reg.handle(ev.SessionLookedUp(reference=REF, session=None), answered_at)
    assert [type(e) for e in effects] == ([fx.CreateSession] if creates else [])


def test_a_lookup_that_fails_keeps_the_sale_open_and_looks_again() -> None:
    reg = Register(Timing(poll_interval_s=0.5))
    start_sale(reg, T0)
    fail(reg, Request.CREATE_SESSION, T0)
    assert tick(reg, at(0.5)) == [fx.FindSession(reference=REF)]
    assert fail(reg, Request.FIND_SESSION, at(1)) == []
    assert reg.phase is Phase.CREATING_SESSION
    assert tick(reg, at(1.5)) == [fx.FindSession(reference=REF)]


def test_a_lookup_mion_refuses_before_any_invoice_ends_the_sale_in_error() -> None:
    reg = Register(Timing())
    start_sale(reg, T0)
    fail(reg, Request.CREATE_SESSION, T0)
    tick(reg, at(0.5))
    effects = fail(reg, Request.FIND_SESSION, at(1), failure=ev.Failure.REJECTED)
    assert reg.phase is Phase.ERROR
    assert fx.RecordEnded(reference=REF, phase=Phase.ERROR, detail="down") in effects


# --- giving up, and ending -------------------------------------------------------------------------------


def test_the_kiosk_gives_up_creating_an_invoice_after_forty_five_seconds() -> None:
    reg = Register(Timing())  # a fixed rule, not a setting
    start_sale(reg, T0)  # Mion never answers the create
    assert reg.next_deadline(T0) == at(45)
    assert tick(reg, at(45) - EPS) == [] and reg.phase is Phase.CREATING_SESSION
    effects = tick(reg, at(45))
    assert reg.phase is Phase.ERROR
    assert effects == [fx.RecordEnded(reference=REF, phase=Phase.ERROR,
                                      detail="could not get an invoice from Mion in time"),
                       fx.SetLight(light=fx.Light.ERROR)]


def test_the_sale_expires_only_on_an_answer_at_or_after_the_session_end() -> None:
    reg = Register(Timing(session_lifetime_s=300))
    open_sale(reg, T0)
    answer(reg, at(300) - EPS)
    assert reg.phase is Phase.AWAITING_PAYMENT
    for t in (300, 301, 330):
        tick(reg, at(t))
        fail(reg, Request.POLL, at(t))
    assert reg.phase is Phase.AWAITING_PAYMENT, "Mion did not answer: the truth is unknown"
    effects = answer(reg, at(331))
    assert reg.phase is Phase.EXPIRED
    assert fx.RecordEnded(reference=REF, phase=Phase.EXPIRED, detail=None) in effects


def test_the_sale_expires_on_an_answer_exactly_at_the_session_end() -> None:
    reg = Register(Timing(session_lifetime_s=300))
    open_sale(reg, T0)
    answer(reg, at(300))
    assert reg.phase is Phase.EXPIRED
    view = reg.view(at(300))
    assert isinstance(view, MessageView) and view.kind is MessageKind.EXPIRED


def test_mion_s_session_end_is_the_one_that_counts() -> None:
    reg = Register(Timing(session_lifetime_s=300))
    open_sale(reg, T0)
    answer(reg, at(300), expires_at=at(360))
    assert reg.phase is Phase.AWAITING_PAYMENT, "Mion says the session runs until 360 s"
    answer(reg, at(360) - EPS)
    assert reg.phase is Phase.AWAITING_PAYMENT
    answer(reg, at(360))
    assert reg.phase is Phase.EXPIRED


@pytest.mark.parametrize(("paid_s", "late"), [(120 - 1e-6, False), (120, True)])
def test_a_payment_is_late_from_the_moment_the_invoice_expired(paid_s: float, late: bool) -> None:
    reg = Register(Timing())
    open_sale(reg, T0, lifetime_s=120)
    effects = answer(reg, at(paid_s), paid_at=at(paid_s))
    assert [e.late for e in effects if isinstance(e, fx.RecordPaid)] == [late]
    view = reg.view(at(paid_s))
    assert getattr(view, "late", None) is late


def test_a_payment_is_late_from_the_session_end_when_that_comes_first() -> None:
    reg = Register(Timing(session_lifetime_s=100))
    open_sale(reg, T0, lifetime_s=120)
    effects = answer(reg, at(100), paid_at=at(100))
    assert [e.late for e in effects if isinstance(e, fx.RecordPaid)] == [True]


# --- screens that leave by themselves -------------------------------------------------------------------


def test_the_paid_screen_stays_exactly_paid_screen_s() -> None:
    reg = Register(Timing(paid_screen_s=5, message_screen_s=7))
    open_sale(reg, T0)
    answer(reg, at(10), paid_at=at(10))
    assert reg.next_deadline(at(10)) == at(15)
    assert tick(reg, at(15) - EPS) == [] and reg.phase is Phase.PAID
    assert tick(reg, at(15)) == [], "the paid light turns itself off"
    assert reg.phase is Phase.IDLE and isinstance(reg.view(at(15)), IdleView)


def test_an_ending_message_stays_exactly_message_screen_s() -> None:
    reg = Register(Timing(paid_screen_s=5, message_screen_s=7))
    start_sale(reg, T0)
    reg.handle(ev.CancelRequested(), at(10))
    assert reg.next_deadline(at(10)) == at(17)
    tick(reg, at(17) - EPS)
    assert reg.phase is Phase.CANCELLED
    tick(reg, at(17))
    assert reg.phase is Phase.IDLE


def test_leaving_an_error_screen_turns_the_error_light_off() -> None:
    reg = Register(Timing(message_screen_s=6))
    start_sale(reg, T0)
    effects = fail(reg, Request.CREATE_SESSION, T0, failure=ev.Failure.REJECTED)
    assert fx.SetLight(light=fx.Light.ERROR) in effects
    assert tick(reg, at(6)) == [fx.SetLight(light=fx.Light.OFF)]
    assert reg.phase is Phase.IDLE


# --- the keypad's clock ----------------------------------------------------------------------------------


def test_a_typed_amount_is_dropped_exactly_sixty_seconds_after_the_last_key() -> None:
    reg = Register(Timing())  # a fixed rule, not a setting
    reg.handle(ev.KeyPressed(key=Key.D5), T0)
    reg.handle(ev.KeyPressed(key=Key.D2), at(30))
    assert reg.next_deadline(at(30)) == at(90)
    tick(reg, at(90) - EPS)
    view = reg.view(at(90) - EPS)
    assert isinstance(view, AmountEntryView) and view.typed == "52"
    tick(reg, at(90))
    assert reg.phase is Phase.IDLE and isinstance(reg.view(at(90)), IdleView)
    assert reg.next_deadline(at(90)) is None, "nothing is timed on a plain idle screen"


def test_the_typing_timeout_never_ends_a_sale_that_was_charged() -> None:
    reg = Register(Timing(entry_timeout_s=60, poll_interval_s=0.5))
    for key in (Key.D1, Key.D2, Key.ENTER):
        reg.handle(ev.KeyPressed(key=key), T0)
    open_sale(reg, T0)
    answer(reg, at(60))
    assert reg.next_deadline(at(60)) == at(60.5)
    assert polls(tick(reg, at(60.5)))
    assert reg.phase is Phase.AWAITING_PAYMENT


# --- dimming ---------------------------------------------------------------------------------------------


def _idle_after_a_sale(reg: Register) -> None:
    """A sale cancelled at T0 before any invoice; its message leaves at 6 s: idle from then on."""
    start_sale(reg, T0)
    reg.handle(ev.CancelRequested(), T0)
    tick(reg, at(6))
    assert reg.phase is Phase.IDLE


def test_the_idle_screen_dims_exactly_dim_after_s_after_the_last_sale() -> None:
    reg = Register(Timing(dim_after_s=30, message_screen_s=6))
    _idle_after_a_sale(reg)
    assert reg.next_deadline(at(6)) == at(36)
    assert reg.view(at(36) - EPS) == IdleView(shop_name="", dimmed=False)
    assert reg.view(at(36)) == IdleView(shop_name="", dimmed=True)
    assert reg.next_deadline(at(36)) is None


def test_with_dimming_off_the_idle_screen_never_dims() -> None:
    reg = Register(Timing(dim_after_s=0, message_screen_s=6))
    _idle_after_a_sale(reg)
    assert reg.view(at(86_400)) == IdleView(shop_name="", dimmed=False)
    assert reg.next_deadline(at(6)) is None


def test_dimming_does_not_disturb_the_timers_of_the_next_sale() -> None:
    reg = Register(Timing(dim_after_s=30, message_screen_s=6, give_up_creating_s=45))
    _idle_after_a_sale(reg)
    start_sale(reg, at(100), reference="K1-next")
    assert reg.next_deadline(at(100)) == at(145)


def test_the_idle_screen_dims_after_start_up_too() -> None:
    reg = Register(Timing(dim_after_s=30))
    reg.handle(ev.Recovered(sales=()), T0)
    assert reg.next_deadline(T0) == at(30)
    tick(reg, at(30))
    assert reg.view(at(30)) == IdleView(shop_name="", dimmed=True)


def test_with_nothing_to_recover_the_first_tick_starts_the_idle_time() -> None:
    reg = Register(Timing(dim_after_s=30))
    tick(reg, T0)
    assert reg.next_deadline(T0) == at(30)
    assert reg.view(at(30) - EPS) == IdleView(shop_name="", dimmed=False)
    tick(reg, at(30))
    assert reg.view(at(30)) == IdleView(shop_name="", dimmed=True)


# --- next_deadline: no busy loop, no missed work -----------------------------------------------------------


def test_with_the_qr_gone_and_mion_silent_the_app_is_not_woken_every_second() -> None:
    reg = Register(Timing())
    open_sale(reg, T0, lifetime_s=120)
    assert polls(tick(reg, at(0.5)))  # Mion never answers it
    assert attempts_asked(tick(reg, at(100)))  # and so does the refresh
    deadline = reg.next_deadline(at(110))
    assert deadline is not None and deadline > at(111)


def test_a_poll_in_flight_is_not_work_to_wake_for() -> None:
    reg = Register(Timing())
    open_sale(reg, T0, lifetime_s=120)
    assert polls(tick(reg, at(0.5)))  # in flight until the end
    assert attempts_asked(tick(reg, at(100)))
    reg.handle(ev.AttemptCreated(reference=REF, attempt=attempt(at(100.5), n=2)), at(100.5))
    deadline = reg.next_deadline(at(100.5))
    assert deadline is not None and deadline > at(100.5)
