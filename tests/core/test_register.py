"""The register: its transition table, payment rules and timers, with an injected clock."""

from __future__ import annotations

import copy
import itertools
from datetime import UTC, datetime, timedelta

import pytest
from clocks import FakeClock

from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.core.events import Failure, Key, Request
from kiosk.core.model import Attempt, Phase, SaleSource, Session, SessionStatus
from kiosk.core.register import TRANSITIONS, Register
from kiosk.core.sale import Timing
from kiosk.core.view import CheckingView, EntryError, InvoiceView, MessageKind, MessageView, PaidView
from kiosk.errors import IllegalTransition

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
REF = "K1-20261128-0001"


def attempt(now: datetime, *, lifetime_s: float = 120, msat: int = 13_000_000, n: int = 1, **kw: object) -> Attempt:
    return Attempt(session_id="s1", invoice=f"lnbcrt{n}", amount_msat=msat,
                   expires_at=now + timedelta(seconds=lifetime_s), **kw)  # type: ignore[arg-type]


def status(paid_at: datetime | None = None, state: str = "open") -> SessionStatus:
    return SessionStatus(session_id="s1", status=state, paid_at=paid_at)


def kinds(effects: list[fx.Effect]) -> list[str]:
    return [type(e).__name__ for e in effects]


def open_sale(reg: Register, clock: FakeClock) -> None:
    reg.handle(ev.SaleRequested(reference=REF, amount_cents=1200, source=SaleSource.POS), clock.now)
    reg.handle(ev.SessionCreated(reference=REF, session=Session(session_id="s1")), clock.now)
    reg.handle(ev.AttemptCreated(reference=REF, attempt=attempt(clock.now)), clock.now)


# --- the table -------------------------------------------------------------------------------------------

def _sample_events() -> list[ev.Event]:
    return [
        ev.KeyPressed(key=Key.D1), ev.KeyPressed(key=Key.CANCEL), ev.KeyPressed(key=Key.ENTER),
        ev.SaleRequested(reference="K1-new", amount_cents=500, source=SaleSource.KEYPAD),
        ev.CancelRequested(), ev.SessionCreated(reference=REF, session=Session(session_id="s1")),
        ev.SessionLookedUp(reference=REF, session=None),
        ev.AttemptCreated(reference=REF, attempt=attempt(T0)),
        ev.StatusReceived(reference=REF, status=status()),
        ev.StatusReceived(reference=REF, status=status(paid_at=T0)),
        ev.RequestFailed(reference=REF, request=Request.POLL, failure=Failure.UNAVAILABLE, message="x"),
        ev.RequestFailed(reference=REF, request=Request.CREATE_SESSION, failure=Failure.REJECTED, message="x"),
        ev.PoleUpdated(lines=("TOTAL", "12.00"), total_cents=1200),
        ev.Recovered(sales=()), ev.Tick(),
    ]


def _register_in(phase: Phase) -> Register:
    """A register brought to ``phase`` through real events."""
    clock = FakeClock(T0)
    reg = Register(Timing())
    if phase is Phase.IDLE:
        return reg
    if phase is Phase.ENTERING_AMOUNT:
        reg.handle(ev.KeyPressed(key=Key.D5), clock.now)
        return reg
    reg.handle(ev.SaleRequested(reference=REF, amount_cents=1200, source=SaleSource.POS), clock.now)
    if phase is Phase.CREATING_SESSION:
        return reg
    reg.handle(ev.SessionCreated(reference=REF, session=Session(session_id="s1")), clock.now)
    if phase is Phase.CREATING_ATTEMPT:
        return reg
    if phase is Phase.BLOCKED:
        reg.handle(ev.AttemptCreated(reference=REF, attempt=attempt(clock.now, blocked_by_compliance=True)),
                   clock.now)
        return reg
    if phase is Phase.ERROR:
        reg.handle(ev.RequestFailed(reference=REF, request=Request.CREATE_ATTEMPT, failure=Failure.REJECTED,
                                    message="no"), clock.now)
        return reg
    reg.handle(ev.AttemptCreated(reference=REF, attempt=attempt(clock.now)), clock.now)
    if phase is Phase.AWAITING_PAYMENT:
        return reg
    if phase is Phase.PAID:
        reg.handle(ev.StatusReceived(reference=REF, status=status(paid_at=clock.now)), clock.now)
    elif phase is Phase.CANCELLED:
        reg.handle(ev.CancelRequested(), clock.now)
    elif phase is Phase.EXPIRED:
        later = clock.advance(301)
        reg.handle(ev.StatusReceived(reference=REF, status=status()), later)
    return reg


@pytest.mark.parametrize("phase", list(Phase))
def test_every_phase_and_event_moves_as_the_table_says_or_raises_and_changes_nothing(phase: Phase) -> None:
    for event in _sample_events():
        reg = _register_in(phase)
        assert reg.phase is phase
        transition = TRANSITIONS.get((phase, type(event)))
        before = copy.deepcopy(reg.__dict__)
        if transition is None:
            with pytest.raises(IllegalTransition):
                reg.handle(event, T0 + timedelta(seconds=1))
            assert reg.__dict__ == before, f"{phase} {event} changed state while refused"
        else:
            try:
                reg.handle(event, T0 + timedelta(seconds=1))
            except IllegalTransition:
                # Allowed by phase, refused by content (e.g. cancelling a sale that is not open):
                assert reg.__dict__ == before
                continue
            assert reg.phase in transition.targets, f"{phase} --{type(event).__name__}--> {reg.phase}"


def test_the_table_covers_every_phase() -> None:
    covered = {phase for phase, _ in TRANSITIONS}
    assert covered == set(Phase)


# --- payment rules -------------------------------------------------------------------------------------

def test_a_keypad_sale_runs_from_typing_to_paid() -> None:
    clock, reg = FakeClock(T0), Register(Timing())
    for key in (Key.D1, Key.D2, Key.SEPARATOR, Key.D5):
        reg.handle(ev.KeyPressed(key=key), clock.now)
    effects = reg.handle(ev.KeyPressed(key=Key.ENTER), clock.now)
    assert effects == [fx.RequestSale(amount_cents=1250, source=SaleSource.KEYPAD)]
    effects = reg.handle(ev.SaleRequested(reference=REF, amount_cents=1250, source=SaleSource.KEYPAD), clock.now)
    assert kinds(effects) == ["RecordSale", "CreateSession"], "the journal comes before the request"
    effects = reg.handle(ev.SessionCreated(reference=REF, session=Session(session_id="s1")), clock.now)
    assert kinds(effects) == ["RecordSession", "CreateAttempt"]
    effects = reg.handle(ev.AttemptCreated(reference=REF, attempt=attempt(clock.now)), clock.now)
    assert kinds(effects)[:2] == ["RecordAttempt", "SetLight"]
    assert isinstance(reg.view(clock.now), InvoiceView)
    effects = reg.handle(ev.StatusReceived(reference=REF, status=status(paid_at=clock.now, state="funded")),
                         clock.advance(1))
    assert kinds(effects) == ["RecordStatus", "RecordPaid", "SetLight"]
    assert reg.phase is Phase.PAID
    view = reg.view(clock.now)
    assert isinstance(view, PaidView) and view.amount_cents == 1250 and not view.late


@pytest.mark.parametrize("state", ["funded", "funding-received", "exchanged", "paid", "PAID", "settled", ""])
def test_no_status_without_paid_at_ends_the_sale_as_paid(state: str) -> None:
    clock, reg = FakeClock(T0), Register(Timing())
    open_sale(reg, clock)
    effects = reg.handle(ev.StatusReceived(reference=REF, status=status(state=state)), clock.advance(1))
    assert reg.phase is Phase.AWAITING_PAYMENT
    assert not any(isinstance(e, fx.RecordPaid) for e in effects)


@pytest.mark.parametrize("failure", list(Failure))
def test_failing_polls_keep_the_sale_open_and_checking(failure: Failure) -> None:
    clock, reg = FakeClock(T0), Register(Timing())
    open_sale(reg, clock)
    for _ in range(20):
        reg.handle(ev.Tick(), clock.advance(1))
        reg.handle(ev.RequestFailed(reference=REF, request=Request.POLL, failure=failure, message="down"), clock.now)
    assert reg.phase is Phase.AWAITING_PAYMENT
    view = reg.view(clock.now)
    assert isinstance(view, InvoiceView | CheckingView)
    assert getattr(view, "checking", True)


def test_an_unknown_create_outcome_is_looked_up_by_reference_before_creating_again() -> None:
    clock, reg = FakeClock(T0), Register(Timing())
    reg.handle(ev.SaleRequested(reference=REF, amount_cents=1200, source=SaleSource.POS), clock.now)
    reg.handle(ev.RequestFailed(reference=REF, request=Request.CREATE_SESSION, failure=Failure.UNAVAILABLE,
                                message="timeout"), clock.now)
    sent: list[str] = []
    for _ in range(10):
        sent += kinds(reg.handle(ev.Tick(), clock.advance(1)))
    assert "CreateSession" not in sent and sent.count("FindSession") == 1
    effects = reg.handle(ev.SessionLookedUp(reference=REF, session=Session(session_id="s9")), clock.now)
    assert kinds(effects) == ["RecordSession", "CreateAttempt"]
    assert effects[0] == fx.RecordSession(reference=REF, session_id="s9")


def test_a_lookup_that_finds_nothing_creates_the_session_then() -> None:
    clock, reg = FakeClock(T0), Register(Timing())
    reg.handle(ev.SaleRequested(reference=REF, amount_cents=1200, source=SaleSource.POS), clock.now)
    reg.handle(ev.RequestFailed(reference=REF, request=Request.CREATE_SESSION, failure=Failure.UNAVAILABLE,
                                message="drop"), clock.now)
    reg.handle(ev.Tick(), clock.advance(5))
    assert reg.handle(ev.SessionLookedUp(reference=REF, session=None), clock.now) == [], "look once more first"
    sent = [e for _ in range(30) for e in reg.handle(ev.Tick(), clock.advance(1))]
    assert kinds(sent) == ["FindSession"], "the second lookup waits lookup_confirm_s"
    effects = reg.handle(ev.SessionLookedUp(reference=REF, session=None), clock.now)
    assert kinds(effects) == ["CreateSession"]


def test_the_sale_expires_only_when_mion_confirms_after_the_session_end() -> None:
    clock, reg = FakeClock(T0), Register(Timing(session_lifetime_s=300))
    open_sale(reg, clock)
    clock.advance(301)
    for _ in range(5):
        reg.handle(ev.Tick(), clock.advance(1))
        reg.handle(ev.RequestFailed(reference=REF, request=Request.POLL, failure=Failure.UNAVAILABLE,
                                    message="down"), clock.now)
    assert reg.phase is Phase.AWAITING_PAYMENT, "the truth is unknown: not expired"
    effects = reg.handle(ev.StatusReceived(reference=REF, status=status(state="expired")), clock.advance(1))
    assert reg.phase is Phase.EXPIRED
    assert fx.RecordEnded(reference=REF, phase=Phase.EXPIRED, detail=None) in effects


def test_a_payment_after_expiry_is_still_recorded_paid_and_late() -> None:
    clock, reg = FakeClock(T0), Register(Timing(session_lifetime_s=300, late_grace_s=120))
    open_sale(reg, clock)
    reg.handle(ev.StatusReceived(reference=REF, status=status()), clock.advance(305))
    assert reg.phase is Phase.EXPIRED
    polls = [e for _ in range(3) for e in reg.handle(ev.Tick(), clock.advance(2)) if isinstance(e, fx.PollStatus)]
    assert polls, "an ended sale whose invoice was shown is still watched"
    effects = reg.handle(ev.StatusReceived(reference=REF, status=status(paid_at=clock.now)), clock.now)
    paid = [e for e in effects if isinstance(e, fx.RecordPaid)]
    assert len(paid) == 1 and paid[0].late
    assert isinstance(reg.view(clock.now), PaidView)


def test_a_payment_after_cancel_is_caught_by_the_watch() -> None:
    clock, reg = FakeClock(T0), Register(Timing())
    open_sale(reg, clock)
    reg.handle(ev.KeyPressed(key=Key.CANCEL), clock.advance(3))
    assert reg.phase is Phase.CANCELLED
    effects = reg.handle(ev.Tick(), clock.advance(10))  # back to idle, the watch goes on
    assert reg.phase is Phase.IDLE
    assert any(isinstance(e, fx.PollStatus) and e.reference == REF for e in effects)
    effects = reg.handle(ev.StatusReceived(reference=REF, status=status(paid_at=clock.now)), clock.now)
    assert [type(e) for e in effects if isinstance(e, fx.RecordPaid)] == [fx.RecordPaid]


def test_compliance_block_shows_no_qr_and_ends_the_sale() -> None:
    clock, reg = FakeClock(T0), Register(Timing())
    reg.handle(ev.SaleRequested(reference=REF, amount_cents=1200, source=SaleSource.POS), clock.now)
    reg.handle(ev.SessionCreated(reference=REF, session=Session(session_id="s1")), clock.now)
    a = attempt(clock.now, missing_compliance_fields=("name",))
    effects = reg.handle(ev.AttemptCreated(reference=REF, attempt=a), clock.now)
    assert reg.phase is Phase.BLOCKED
    assert not any(isinstance(e, fx.RecordAttempt) for e in effects)
    view = reg.view(clock.now)
    assert isinstance(view, MessageView) and view.kind is MessageKind.BLOCKED


def test_an_invalid_invoice_is_never_shown() -> None:
    clock, reg = FakeClock(T0), Register(Timing())
    reg.handle(ev.SaleRequested(reference=REF, amount_cents=1200, source=SaleSource.POS), clock.now)
    reg.handle(ev.SessionCreated(reference=REF, session=Session(session_id="s1")), clock.now)
    reg.handle(ev.RequestFailed(reference=REF, request=Request.CREATE_ATTEMPT, failure=Failure.INVOICE_INVALID,
                                message="invoice is for testnet"), clock.now)
    view = reg.view(clock.now)
    assert isinstance(view, MessageView) and view.kind is MessageKind.INVOICE_INVALID


def test_answers_for_an_earlier_sale_never_touch_the_next_one() -> None:
    clock, reg = FakeClock(T0), Register(Timing())
    reg.handle(ev.SaleRequested(reference="old", amount_cents=100, source=SaleSource.POS), clock.now)
    reg.handle(ev.CancelRequested(), clock.now)
    reg.handle(ev.Tick(), clock.advance(10))
    reg.handle(ev.SaleRequested(reference=REF, amount_cents=1200, source=SaleSource.POS), clock.now)
    effects = reg.handle(ev.SessionCreated(reference="old", session=Session(session_id="s-old")), clock.now)
    assert effects == [] and reg.sale is not None and reg.sale.session_id is None


# --- refresh --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("latency_s", [0.0, 0.4, 3.0])
def test_over_ten_minutes_the_shown_invoice_never_has_less_than_the_margin_left(latency_s: float) -> None:
    timing = Timing(session_lifetime_s=600, refresh_margin_s=10, refresh_lead_s=10)
    clock, reg = FakeClock(T0), Register(timing)
    open_sale(reg, clock)
    pending: list[tuple[datetime, ev.Event]] = []
    numbers = itertools.count(2)
    shown = set()
    step = 0.1
    while clock.now < T0 + timedelta(seconds=590):
        now = clock.advance(step)
        due = [e for at, e in pending if at <= now]
        pending = [(at, e) for at, e in pending if at > now]
        effects: list[fx.Effect] = []
        for event in due:
            effects += reg.handle(event, now)
        effects += reg.handle(ev.Tick(), now)
        deadline = reg.next_deadline(now)
        assert deadline is None or deadline > now, "after a Tick nothing may be due at once (busy loop)"
        for effect in effects:
            if isinstance(effect, fx.CreateAttempt):
                answer = ev.AttemptCreated(reference=REF, attempt=attempt(now + timedelta(seconds=latency_s),
                                                                          n=next(numbers)))
                pending.append((now + timedelta(seconds=latency_s), answer))
            elif isinstance(effect, fx.PollStatus):
                pending.append((now + timedelta(seconds=0.05), ev.StatusReceived(reference=REF, status=status())))
        view = reg.view(now)
        if isinstance(view, InvoiceView):
            shown.add(view.invoice)
            assert reg.sale is not None and reg.sale.attempt is not None
            assert reg.sale.attempt.expires_at - now >= timedelta(seconds=10)
        else:
            # With a prompt Mion the customer never sees a gap.
            assert latency_s > 1 or now > T0 + timedelta(seconds=600 - 40), (now - T0, view)
    assert len(shown) >= 5, "the invoice was refreshed in the same session"
    assert reg.sale is not None and reg.sale.session_id == "s1"


def test_no_new_attempt_is_asked_for_when_the_session_is_about_to_end() -> None:
    timing = Timing(session_lifetime_s=150, refresh_margin_s=10, refresh_lead_s=10, min_attempt_s=20)
    clock, reg = FakeClock(T0), Register(timing)
    open_sale(reg, clock)
    created = []
    for _ in range(160):
        created += [e for e in reg.handle(ev.Tick(), clock.advance(1)) if isinstance(e, fx.CreateAttempt)]
    # 120 s attempt: refresh due at 100 s, but then the session has 50 s left (> 30): one refresh;
    # the next would be due at 200 s, past the session's end, so none.
    assert len(created) == 1


def test_the_poll_interval_is_honoured() -> None:
    clock, reg = FakeClock(T0), Register(Timing(poll_interval_s=0.5))
    open_sale(reg, clock)
    polls = 0
    for _ in range(100):  # 10 s in 0.1 s steps, answering each poll at once
        for effect in reg.handle(ev.Tick(), clock.advance(0.1)):
            if isinstance(effect, fx.PollStatus):
                polls += 1
                reg.handle(ev.StatusReceived(reference=REF, status=status()), clock.now)
    assert 18 <= polls <= 21


def test_poll_backoff_honours_retry_after() -> None:
    clock, reg = FakeClock(T0), Register(Timing(poll_interval_s=0.5, max_backoff_s=8))
    open_sale(reg, clock)
    reg.handle(ev.Tick(), clock.advance(0.5))
    reg.handle(ev.RequestFailed(reference=REF, request=Request.POLL, failure=Failure.UNAVAILABLE, message="429",
                                retry_after_s=5), clock.now)
    sent_at = []
    for _ in range(80):
        if any(isinstance(e, fx.PollStatus) for e in reg.handle(ev.Tick(), clock.advance(0.1))):
            sent_at.append((clock.now - T0).total_seconds())
            break
    assert sent_at and sent_at[0] >= 5.5 - 1e-6


def test_the_keypad_refuses_zero_and_too_much() -> None:
    clock, reg = FakeClock(T0), Register(Timing(max_amount_cents=10_000))
    reg.handle(ev.KeyPressed(key=Key.D0), clock.now)
    assert reg.handle(ev.KeyPressed(key=Key.ENTER), clock.now) == []
    assert getattr(reg.view(clock.now), "error", None) is EntryError.ZERO
    for key in (Key.D1, Key.D0, Key.D0, Key.D1):
        reg.handle(ev.KeyPressed(key=key), clock.now)
    assert reg.handle(ev.KeyPressed(key=Key.ENTER), clock.now) == []
    assert getattr(reg.view(clock.now), "error", None) is EntryError.TOO_LARGE


def test_recovery_resumes_the_newest_and_watches_the_rest() -> None:
    clock, reg = FakeClock(T0), Register(Timing())
    old = ev.RecoveredSale(reference="A", amount_cents=100, source=SaleSource.POS, created_at=T0 - timedelta(minutes=3),
                           session_id="sA", last_attempt=None)
    new = ev.RecoveredSale(reference="B", amount_cents=200, source=SaleSource.KEYPAD, created_at=T0 - timedelta(seconds=30),
                           session_id="sB", last_attempt=None)
    effects = reg.handle(ev.Recovered(sales=(old, new)), clock.now)
    assert reg.open_reference == "B"
    assert fx.PollStatus(reference="B", session_id="sB") in effects
    assert fx.PollStatus(reference="A", session_id="sA") in reg.handle(ev.Tick(), clock.advance(2)), "A is watched"
    view = reg.view(clock.now)
    assert isinstance(view, MessageView) and view.kind is MessageKind.RECOVERING


def test_a_recovered_sale_without_session_past_its_time_ends_without_asking_mion() -> None:
    clock, reg = FakeClock(T0), Register(Timing(session_lifetime_s=300))
    stale = ev.RecoveredSale(reference="C", amount_cents=100, source=SaleSource.POS,
                             created_at=T0 - timedelta(minutes=10), session_id=None, last_attempt=None)
    effects = reg.handle(ev.Recovered(sales=(stale,)), clock.now)
    assert reg.phase is Phase.EXPIRED
    assert [type(e) for e in effects if not isinstance(e, fx.SetLight)] == [fx.RecordEnded]


def test_an_ended_sale_within_its_grace_is_watched_after_a_restart() -> None:
    clock, reg = FakeClock(T0), Register(Timing(late_grace_s=120))
    shown = attempt(T0 - timedelta(seconds=60))
    ended = ev.RecoveredSale(reference="D", amount_cents=100, source=SaleSource.POS,
                             created_at=T0 - timedelta(seconds=70), session_id="sD", last_attempt=shown, ended=True)
    effects = reg.handle(ev.Recovered(sales=(ended,)), clock.now)
    assert reg.phase is Phase.IDLE, "an ended sale never comes back on screen"
    effects = reg.handle(ev.Tick(), clock.advance(0.1))
    assert fx.PollStatus(reference="D", session_id="sD") in effects
    effects = reg.handle(ev.StatusReceived(reference="D", status=SessionStatus(session_id="sD", status="funded",
                                                                               paid_at=clock.now)), clock.now)
    assert [e.late for e in effects if isinstance(e, fx.RecordPaid)] == [True]
