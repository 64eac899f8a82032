"""Late payments and restarts: an ended sale whose invoice was shown is watched until exactly
late_grace_s after its last payable moment, and a restart finishes what was started.

The watch is observed as the kiosk does: by the PollStatus effects a Tick gives and what the
answers lead to.
"""

from __future__ import annotations

from datetime import datetime, timedelta

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
    kinds,
    open_sale,
    polls,
    start_sale,
    tick,
)

from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.core.events import Request
from kiosk.core.model import Attempt, Phase, SaleSource
from kiosk.core.register import Register
from kiosk.core.sale import Timing
from kiosk.core.view import IdleView, InvoiceView, MessageKind, MessageView, PaidView, PreparingView

WATCHING = Timing(late_grace_s=120, poll_interval_s=0.5, message_screen_s=6)
"""Settings of a shop; a watch polls every 2 s, a fixed rule."""

# --- watching a sale that ended on screen ------------------------------------------------------------------


@pytest.mark.parametrize(("invoice_s", "session_s", "cancel_s", "until_s"), [
    (120, 300, 30, 240),   # cancelled while its invoice was payable: 120 s after that invoice expires
    (120, 100, 30, 220),   # the session ended before the invoice: 120 s after the session's end
    (120, 300, 150, 270),  # cancelled after the invoice expired: 120 s after the cancel
])
def test_a_sale_cancelled_after_its_qr_was_shown_is_watched_for_the_grace_after_its_last_payable_moment(
        invoice_s: float, session_s: float, cancel_s: float, until_s: float) -> None:
    timing = Timing(late_grace_s=120, session_lifetime_s=session_s)
    for answered_at, still_watched in ((at(until_s) - EPS, True), (at(until_s), False)):
        reg = Register(timing)
        open_sale(reg, T0, lifetime_s=invoice_s)
        reg.handle(ev.CancelRequested(), at(cancel_s))
        assert polls(tick(reg, at(cancel_s + 2)))
        assert answer(reg, answered_at) == []
        later = answered_at + timedelta(seconds=2)
        assert bool(polls(tick(reg, later))) is still_watched, (until_s, answered_at - T0)
        if not still_watched:
            assert reg.next_deadline(later) is None, "the watch is over: nothing is timed any more"


def test_a_watch_polls_first_watch_poll_s_after_the_end_and_not_while_a_poll_is_out() -> None:
    reg = Register(WATCHING)
    open_sale(reg, T0)
    reg.handle(ev.CancelRequested(), at(30))
    assert reg.next_deadline(at(30)) == at(32), "the watch polls before the message leaves"
    assert polls(tick(reg, at(32) - EPS)) == []
    assert polls(tick(reg, at(32))) == [fx.PollStatus(reference=REF, session_id="s1")]
    assert polls(tick(reg, at(40))) == [], "one poll at a time"
    assert reg.phase is Phase.IDLE
    assert reg.next_deadline(at(40)) is None, "a poll in flight is no reason to wake"
    answer(reg, at(41))
    assert reg.next_deadline(at(41)) == at(43)


def test_a_watch_backs_off_while_mion_fails_and_starts_afresh_after_an_answer() -> None:
    reg = Register(WATCHING)
    open_sale(reg, T0)
    reg.handle(ev.CancelRequested(), at(30))
    now = at(32)
    assert polls(tick(reg, now))
    for wait in (0.5, 1, 2):
        fail(reg, Request.POLL, now)
        assert polls(tick(reg, now + timedelta(seconds=wait) - EPS)) == []
        now += timedelta(seconds=wait)
        assert polls(tick(reg, now))
    answer(reg, now)
    now += timedelta(seconds=2)
    assert polls(tick(reg, now))
    fail(reg, Request.POLL, now)
    assert polls(tick(reg, now + timedelta(seconds=0.5))), "the wait starts again from the poll interval"


def test_a_watch_keeps_polling_past_its_end_while_mion_cannot_answer() -> None:
    reg = Register(WATCHING)
    open_sale(reg, T0)
    reg.handle(ev.CancelRequested(), at(30))  # watched until 240 s
    now = at(32)
    sent = 0
    while now < at(400):
        if polls(tick(reg, now)):
            sent += 1
            fail(reg, Request.POLL, now)
        now += timedelta(seconds=1)
    assert sent > 20 and polls(tick(reg, at(500))), "the truth is not known yet"


def test_a_payment_arriving_while_watched_is_recorded_late_and_shown() -> None:
    reg = Register(WATCHING)
    open_sale(reg, T0)
    reg.handle(ev.CancelRequested(), at(30))
    assert polls(tick(reg, at(36)))  # the message has gone; the watch polls
    effects = answer(reg, at(37), paid_at=at(36.5))
    assert kinds(effects) == ["RecordStatus", "RecordPaid", "SetLight"]
    assert effects[1] == fx.RecordPaid(reference=REF, session_id="s1", paid_at=at(36.5), amount_msat=13_000_000,
                                       late=True)
    assert reg.view(at(37)) == PaidView(amount_cents=1200, amount_msat=13_000_000, late=True)
    assert polls(tick(reg, at(60))) == [], "paid: nothing left to watch"


def test_a_late_payment_never_takes_the_screen_from_the_next_customer() -> None:
    reg = Register(WATCHING)
    open_sale(reg, T0)
    reg.handle(ev.CancelRequested(), at(30))
    assert polls(tick(reg, at(36)))
    open_sale(reg, at(36), reference="K1-next", session_id="s2")
    effects = answer(reg, at(37), paid_at=at(36.5))
    assert [e.reference for e in effects if isinstance(e, fx.RecordPaid)] == [REF]
    assert fx.SetLight(light=fx.Light.PAID) not in effects
    assert reg.phase is Phase.AWAITING_PAYMENT and reg.open_reference == "K1-next"
    view = reg.view(at(37))
    assert isinstance(view, InvoiceView) and view.reference == "K1-next"


def test_a_sale_that_ended_before_any_qr_was_shown_is_not_watched() -> None:
    reg = Register(WATCHING)
    start_sale(reg, T0)
    give_session(reg, T0)  # the invoice is still being created
    reg.handle(ev.CancelRequested(), at(1))
    assert [e for t in range(2, 200, 2) for e in polls(tick(reg, at(t)))] == []
    assert reg.next_deadline(at(200)) is None


def test_a_watch_of_a_sale_that_ended_on_screen_runs_out_without_a_second_ending() -> None:
    reg = Register(WATCHING)
    open_sale(reg, T0)
    reg.handle(ev.CancelRequested(), at(30))
    tick(reg, at(238))
    assert answer(reg, at(240)) == [], "its ending was journaled when it was cancelled"


# --- restarts --------------------------------------------------------------------------------------------


def found(reference: str, created_s: float, *, session_id: str | None = None, last_attempt: Attempt | None = None,
          ended: bool = False) -> ev.RecoveredSale:
    return ev.RecoveredSale(reference=reference, amount_cents=100, source=SaleSource.POS, created_at=at(created_s),
                            session_id=session_id, last_attempt=last_attempt, ended=ended)


def recover(reg: Register, now: datetime, *sales: ev.RecoveredSale) -> list[fx.Effect]:
    return reg.handle(ev.Recovered(sales=sales), now)


def test_recovery_resumes_the_newest_unfinished_sale_and_watches_the_older_ones() -> None:
    reg = Register(Timing())
    effects = recover(reg, T0, found("A", -180, session_id="sA"), found("B", -30, session_id="sB"),
                      found("C", -60, session_id="sC"))
    assert reg.open_reference == "B"
    assert effects == [fx.PollStatus(reference="B", session_id="sB")], "Mion is asked before anything is shown"
    view = reg.view(T0)
    assert isinstance(view, MessageView) and view.kind is MessageKind.RECOVERING
    assert {e.reference for e in tick(reg, at(2)) if isinstance(e, fx.PollStatus)} == {"A", "C"}


def test_a_recovered_sale_without_an_invoice_asks_for_one_only_after_mion_says_it_is_unpaid() -> None:
    reg = Register(Timing())
    assert recover(reg, T0, found(REF, -30, session_id="s1")) == [fx.PollStatus(reference=REF, session_id="s1")]
    assert reg.phase is Phase.CREATING_ATTEMPT
    assert attempts_asked(tick(reg, at(0.5))) == []
    effects = answer(reg, at(1))
    assert attempts_asked(effects) == [fx.CreateAttempt(reference=REF, session_id="s1", amount_cents=100)]


def test_a_recovered_sale_whose_invoice_still_has_time_shows_it_again_at_once() -> None:
    reg = Register(Timing(refresh_margin_s=10))
    shown = attempt(at(-30), lifetime_s=120)  # on screen until 80 s
    recover(reg, T0, found(REF, -31, session_id="s1", last_attempt=shown))
    assert reg.phase is Phase.AWAITING_PAYMENT
    view = reg.view(T0)
    assert isinstance(view, InvoiceView) and view.invoice == shown.invoice and view.seconds_left == 80
    assert isinstance(reg.view(at(80)), MessageView), "then it is being checked again"


def test_a_recovered_sale_whose_invoice_expired_asks_for_a_new_one_only_after_mion_says_it_is_unpaid() -> None:
    reg = Register(Timing())
    shown = attempt(at(-125), lifetime_s=120)
    effects = recover(reg, T0, found(REF, -130, session_id="s1", last_attempt=shown))
    assert effects == [fx.PollStatus(reference=REF, session_id="s1")]
    assert not attempts_asked(tick(reg, at(0.1)))  # still no answer: still no new invoice
    assert attempts_asked(answer(reg, at(0.2)))  # Mion says unpaid: now a fresh invoice is asked for


def test_a_recovered_sale_past_its_session_end_is_asked_about_not_ended_blindly() -> None:
    reg = Register(Timing(session_lifetime_s=300))
    shown = attempt(at(-390))  # its invoice was on screen before the restart: it may have been paid
    effects = recover(reg, T0, found(REF, -400, session_id="s1", last_attempt=shown))
    assert effects == [fx.PollStatus(reference=REF, session_id="s1")]
    assert reg.open_reference == REF
    effects = answer(reg, at(1))
    assert fx.RecordEnded(reference=REF, phase=Phase.EXPIRED, detail=None) in effects
    assert reg.phase is Phase.EXPIRED


@pytest.mark.parametrize(("setting", "phase", "kind"), [
    ("expired", Phase.EXPIRED, MessageKind.EXPIRED), ("cancelled", Phase.CANCELLED, MessageKind.CANCELLED)])
def test_a_recovered_sale_that_can_no_longer_be_paid_ends_as_the_setting_says(setting: str, phase: Phase,
                                                                             kind: MessageKind) -> None:
    reg = Register(Timing(session_lifetime_s=300, recovery_unpayable=setting))
    recover(reg, T0, found(REF, -400, session_id="s1", last_attempt=attempt(at(-390))))
    effects = answer(reg, at(1))
    assert fx.RecordEnded(reference=REF, phase=phase, detail=None) in effects
    view = reg.view(at(1))
    assert isinstance(view, MessageView) and view.kind is kind


def test_the_recovery_setting_never_changes_how_an_ordinary_sale_ends() -> None:
    reg = Register(Timing(session_lifetime_s=300, recovery_unpayable="cancelled"))
    open_sale(reg, T0)
    answer(reg, at(300))
    assert reg.phase is Phase.EXPIRED


@pytest.mark.parametrize(("setting", "phase", "kind"), [
    ("expired", Phase.EXPIRED, MessageKind.EXPIRED), ("cancelled", Phase.CANCELLED, MessageKind.CANCELLED)])
def test_a_recovered_sale_without_session_whose_time_is_over_ends_at_once(setting: str, phase: Phase,
                                                                          kind: MessageKind) -> None:
    reg = Register(Timing(session_lifetime_s=300, recovery_unpayable=setting))
    effects = recover(reg, T0, found(REF, -300))  # no session: no invoice was ever shown
    assert effects == [fx.RecordEnded(reference=REF, phase=phase, detail="too little time left after the restart"),
                       fx.SetLight(light=fx.Light.OFF)]
    view = reg.view(T0)
    assert isinstance(view, MessageView) and view.kind is kind


def test_a_recovered_sale_without_session_but_with_time_left_for_an_invoice_is_looked_up() -> None:
    reg = Register(Timing(session_lifetime_s=300))  # an invoice needs margin 10 s + 20 s: 30 s
    effects = recover(reg, T0, found(REF, -270 + 1e-6))
    assert effects == [fx.FindSession(reference=REF)]
    assert reg.phase is Phase.CREATING_SESSION
    assert isinstance(reg.view(T0), MessageView)


def test_older_unfinished_sales_without_a_session_are_ended_at_once() -> None:
    reg = Register(Timing(recovery_unpayable="cancelled"))
    effects = recover(reg, T0, found("old", -60), found(REF, -10, session_id="s1"))
    assert fx.RecordEnded(reference="old", phase=Phase.CANCELLED,
                          detail="no invoice was shown before the restart") in effects
    assert reg.open_reference == REF


def _watched_older_sale(reg: Register) -> None:
    """An older unfinished sale with a session, found at T0: its session ends at 200 s, watched to 320 s."""
    recover(reg, T0, found("A", -100, session_id="sA"), found(REF, -10, session_id="s1"))
    assert polls(tick(reg, at(318)), "A")


def test_an_older_recovered_sale_is_ended_when_its_watch_runs_out_and_mion_confirms() -> None:
    reg = Register(Timing(session_lifetime_s=300, late_grace_s=120))
    _watched_older_sale(reg)
    assert answer(reg, at(320) - EPS, reference="A", session_id="sA") == []
    assert polls(tick(reg, at(322)), "A")
    effects = answer(reg, at(322), reference="A", session_id="sA")
    assert kinds(effects) == ["RecordStatus", "RecordEnded"]
    assert effects[1] == fx.RecordEnded(reference="A", phase=Phase.EXPIRED,
                                        detail="Mion status open after the session ended")
    assert polls(tick(reg, at(400)), "A") == []


@pytest.mark.parametrize(("mion_end_s", "ended"), [(320, True), (320 + 1e-6, False)])
def test_an_older_recovered_sale_is_not_ended_before_mion_s_own_session_end(mion_end_s: float, ended: bool) -> None:
    reg = Register(Timing(session_lifetime_s=300, late_grace_s=120))
    _watched_older_sale(reg)
    effects = answer(reg, at(320), reference="A", session_id="sA", expires_at=at(mion_end_s))
    assert (kinds(effects) == ["RecordStatus", "RecordEnded"]) is ended
    if not ended:
        assert effects == []
        assert polls(tick(reg, at(322)), "A"), "watched until Mion's end"
        effects = answer(reg, at(322), reference="A", session_id="sA", expires_at=at(mion_end_s))
        assert kinds(effects) == ["RecordStatus", "RecordEnded"]


def test_an_older_recovered_sale_paid_meanwhile_is_recorded_paid() -> None:
    reg = Register(Timing())
    _watched_older_sale(reg)
    effects = answer(reg, at(319), reference="A", session_id="sA", paid_at=at(100))
    assert [(e.reference, e.late) for e in effects if isinstance(e, fx.RecordPaid)] == [("A", True)]


@pytest.mark.parametrize(("restart_s", "watched"), [(100 - 1e-6, True), (100, False)])
def test_an_ended_sale_is_watched_after_a_restart_only_for_what_is_left_of_its_grace(restart_s: float,
                                                                                     watched: bool) -> None:
    # Shown from -100 s, its invoice expired at -20 s: the grace runs until 100 s.
    reg = Register(Timing(late_grace_s=120, session_lifetime_s=300))
    ended = found("D", -100, session_id="sD", last_attempt=attempt(at(-100), lifetime_s=80, session_id="sD"),
                  ended=True)
    assert recover(reg, at(restart_s), ended) == []
    assert reg.phase is Phase.IDLE and isinstance(reg.view(at(restart_s)), IdleView)
    assert bool(polls(tick(reg, at(restart_s)), "D")) is watched


def test_an_ended_sale_that_never_showed_an_invoice_is_not_watched_after_a_restart() -> None:
    reg = Register(Timing())
    recover(reg, T0, found("E", -10, session_id="sE", ended=True), found("F", -10, ended=True))
    assert tick(reg, at(1)) == [] and reg.next_deadline(at(1)) is None


def test_a_recovered_sale_whose_invoice_creation_failed_is_retried_like_any_other() -> None:
    reg = Register(Timing(poll_interval_s=0.5))
    recover(reg, T0, found(REF, -10, session_id="s1"))
    answer(reg, at(1))
    fail(reg, Request.CREATE_ATTEMPT, at(2))
    assert attempts_asked(tick(reg, at(2.5)))
    assert isinstance(reg.view(at(2.5)), PreparingView)
