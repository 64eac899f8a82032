"""A sale found unfinished after a restart with little of its session left.

One that never showed an invoice cannot have been paid: it gets a fresh invoice only while more than
``refresh_margin_s + min_attempt_s`` (30 s by default) of its session is left, the same rule that
decides every fresh invoice; otherwise it ends at once, or as soon as the time runs out while Mion is
being asked, as expired ("too little time left after the restart"). One whose invoice was shown may
have been paid: Mion's answer decides, and after it ends it is watched for a late payment.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.config import Settings
from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.core.events import Failure, Request
from kiosk.core.model import Attempt, Phase, SaleSource, SessionStatus
from kiosk.core.register import Register
from kiosk.core.sale import Timing
from kiosk.core.view import CheckingView, InvoiceView, MessageKind, MessageView, PreparingView, View
from kiosk.shell.devices import Devices
from kiosk.shell.ledger import Ledger
from kiosk.store.journal import Journal

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
REF = "K1-20261128-0001"
LIFETIME_S = 300.0
THRESHOLD_S = 30.0  # refresh_margin_s + min_attempt_s
TOO_LITTLE = "too little time left after the restart"
REQUESTS = (fx.PollStatus, fx.FindSession, fx.CreateAttempt, fx.CreateSession)


def found(left_s: float, *, session: bool = True, shown: Attempt | None = None) -> ev.RecoveredSale:
    """The sale as the journal held it, ``left_s`` before its session ends at T0."""
    created = T0 - timedelta(seconds=LIFETIME_S - left_s)
    return ev.RecoveredSale(reference=REF, amount_cents=1200, source=SaleSource.POS, created_at=created,
                            session_id="s1" if session else None, last_attempt=shown)


def unpaid(paid_at: datetime | None = None) -> ev.StatusReceived:
    return ev.StatusReceived(reference=REF, status=SessionStatus(session_id="s1", status="open", paid_at=paid_at))


def offer(now: datetime) -> ev.AttemptCreated:
    return ev.AttemptCreated(reference=REF, attempt=Attempt(session_id="s1", invoice="lnbcrt9", amount_msat=12_000_000,
                                                            expires_at=now + timedelta(seconds=120)))


def requests(effects: list[fx.Effect]) -> list[fx.Effect]:
    return [e for e in effects if isinstance(e, REQUESTS)]


# --- never shown: enough time, or not ------------------------------------------------------------------

def test_a_recovered_sale_with_plenty_of_time_gets_a_fresh_invoice_and_shows_it() -> None:
    reg = Register(Timing())
    effects = reg.handle(ev.Recovered(sales=(found(200),)), T0)
    assert fx.PollStatus(reference=REF, session_id="s1") in effects
    effects = reg.handle(unpaid(), T0 + timedelta(seconds=0.2))
    assert fx.CreateAttempt(reference=REF, session_id="s1", amount_cents=1200) in effects
    reg.handle(offer(T0 + timedelta(seconds=1)), T0 + timedelta(seconds=1))
    assert isinstance(reg.view(T0 + timedelta(seconds=1)), InvoiceView)


@pytest.mark.parametrize("session", [True, False], ids=["with-session", "without-session"])
@pytest.mark.parametrize("left_s", [THRESHOLD_S, THRESHOLD_S - 1e-6, 10.0, 0.5])
def test_a_recovered_sale_never_shown_with_too_little_time_ends_at_once(left_s: float, session: bool) -> None:
    reg = Register(Timing())
    effects = reg.handle(ev.Recovered(sales=(found(left_s, session=session),)), T0)
    assert requests(effects) == [], "nobody can have paid it: Mion need not be asked"
    assert [type(e) for e in effects] == [fx.RecordEnded, fx.SetLight]
    ended = effects[0]
    assert isinstance(ended, fx.RecordEnded) and (ended.reference, ended.phase, ended.detail) == \
        (REF, Phase.EXPIRED, TOO_LITTLE)
    view = reg.view(T0)
    assert isinstance(view, MessageView) and view.kind is MessageKind.EXPIRED and view.detail == TOO_LITTLE
    assert REF not in reg.watches


def test_the_unpayable_ending_setting_is_honoured() -> None:
    reg = Register(Timing(recovery_unpayable="cancelled"))
    effects = reg.handle(ev.Recovered(sales=(found(10),)), T0)
    assert [e.phase for e in effects if isinstance(e, fx.RecordEnded)] == [Phase.CANCELLED]


def test_just_over_the_threshold_the_sale_resumes_and_shows_a_fresh_invoice() -> None:
    reg = Register(Timing())
    left = THRESHOLD_S + 1e-6
    effects = reg.handle(ev.Recovered(sales=(found(left),)), T0)
    assert requests(effects) == [fx.PollStatus(reference=REF, session_id="s1")]
    assert fx.CreateAttempt(reference=REF, session_id="s1", amount_cents=1200) in reg.handle(unpaid(), T0)
    reg.handle(offer(T0), T0)
    view = reg.view(T0)
    assert isinstance(view, InvoiceView) and view.seconds_left == 21  # 30 s + 1 µs less the 10 s margin


@pytest.mark.parametrize("session", [True, False], ids=["polling", "looking-up"])
def test_time_running_out_while_mion_does_not_answer_ends_the_sale_at_the_threshold(session: bool) -> None:
    reg = Register(Timing())
    left = 50.0
    effects = reg.handle(ev.Recovered(sales=(found(left, session=session),)), T0)
    request = Request.POLL if session else Request.FIND_SESSION
    threshold = T0 + timedelta(seconds=left - THRESHOLD_S)
    now = T0
    while True:
        for _ in requests(effects):
            reg.handle(ev.RequestFailed(reference=REF, request=request, failure=Failure.UNAVAILABLE,
                                        message="timeout"), now)
        assert reg.phase.is_open and not isinstance(reg.view(now), PreparingView)
        deadline = reg.next_deadline(now)
        assert deadline is not None and deadline <= threshold, "the loop wakes by the threshold"
        if now + timedelta(seconds=0.5) >= threshold:
            break
        now += timedelta(seconds=0.5)
        effects = reg.handle(ev.Tick(), now)
    effects = reg.handle(ev.Tick(), threshold)
    assert [(e.phase, e.detail) for e in effects if isinstance(e, fx.RecordEnded)] == [(Phase.EXPIRED, TOO_LITTLE)]
    assert requests(effects) == []


def test_a_recovered_sale_never_shows_preparing_longer_than_give_up_creating_s() -> None:
    timing = Timing()
    reg = Register(timing)
    pending = reg.handle(ev.Recovered(sales=(found(LIFETIME_S - 1),)), T0)
    preparing_s, step, now = 0.0, 0.5, T0
    for _ in range(400):  # 200 s: Mion answers every poll, but every invoice request fails
        while pending:
            effect = pending.pop(0)
            if isinstance(effect, fx.PollStatus):
                pending += reg.handle(unpaid(), now)
            elif isinstance(effect, fx.CreateAttempt):
                pending += reg.handle(ev.RequestFailed(reference=REF, request=Request.CREATE_ATTEMPT,
                                                       failure=Failure.UNAVAILABLE, message="busy"), now)
        view: View = reg.view(now)
        if isinstance(view, PreparingView):
            preparing_s += step
        if not reg.phase.is_open:
            break
        now += timedelta(seconds=step)
        pending = reg.handle(ev.Tick(), now)
    assert reg.phase is Phase.ERROR
    assert preparing_s <= timing.give_up_creating_s


# --- shown before the restart: Mion decides ------------------------------------------------------------

def shown_before(left_s: float) -> Attempt:
    """An invoice that was on screen and expired a second before the restart."""
    return Attempt(session_id="s1", invoice="lnbcrt1", amount_msat=12_000_000, expires_at=T0 - timedelta(seconds=1))


@pytest.mark.parametrize("left_s", [THRESHOLD_S - 1e-6, 10.0])
def test_a_recovered_sale_whose_invoice_was_shown_is_polled_not_ended_and_never_preparing(left_s: float) -> None:
    reg = Register(Timing())
    effects = reg.handle(ev.Recovered(sales=(found(left_s, shown=shown_before(left_s)),)), T0)
    assert requests(effects) == [fx.PollStatus(reference=REF, session_id="s1")]
    assert reg.phase is Phase.AWAITING_PAYMENT
    view = reg.view(T0)
    assert isinstance(view, MessageView) and view.kind is MessageKind.RECOVERING
    effects = reg.handle(unpaid(), T0 + timedelta(seconds=0.1))
    assert not any(isinstance(e, fx.CreateAttempt) for e in effects), "no time for a fresh invoice"
    assert isinstance(reg.view(T0 + timedelta(seconds=0.1)), CheckingView)
    paid_at = T0 + timedelta(seconds=0.2)
    effects = reg.handle(unpaid(paid_at), paid_at)
    assert [e.late for e in effects if isinstance(e, fx.RecordPaid)] == [True] and reg.phase is Phase.PAID


def test_a_recovered_shown_sale_confirmed_unpaid_after_its_end_expires_and_is_watched() -> None:
    reg = Register(Timing())
    reg.handle(ev.Recovered(sales=(found(10, shown=shown_before(10)),)), T0)
    end = T0 + timedelta(seconds=10)
    effects = reg.handle(unpaid(), end)
    assert [e.phase for e in effects if isinstance(e, fx.RecordEnded)] == [Phase.EXPIRED]
    assert REF in reg.watches


# --- the till hears the ending -------------------------------------------------------------------------

def test_the_till_and_the_journal_hear_why_the_sale_ended(tmp_path: Path) -> None:
    settings = Settings()
    settings = dataclasses.replace(settings, pos=dataclasses.replace(settings.pos, enabled=True, port="loop://"))
    with Journal(tmp_path / "journal.sqlite3") as journal:
        sale = found(12)
        journal.create_sale(reference=REF, amount_cents=1200, source=SaleSource.POS, at=sale.created_at)
        journal.set_session(REF, "s1", sale.created_at)
        ledger = Ledger(settings, journal, Devices(settings, journal, lambda message: None), None)
        for effect in Register(Timing()).handle(ev.Recovered(sales=(sale,)), T0):
            if isinstance(effect, fx.RecordEnded):
                ledger.record(effect, T0)
        record = journal.get(REF)
        assert record is not None and (record.phase, record.detail) == (Phase.EXPIRED, TOO_LITTLE)
        assert [m.line for m in journal.pending_till_messages()] == [f"EVENT EXPIRED ref={REF}"]


def test_the_threshold_follows_the_settings() -> None:
    timing = Timing(refresh_margin_s=5, min_attempt_s=10)
    reg = Register(timing)
    assert reg.handle(ev.Recovered(sales=(found(15),)), T0)[0] == fx.RecordEnded(
        reference=REF, phase=Phase.EXPIRED, detail=TOO_LITTLE)
    reg = Register(timing)
    assert requests(reg.handle(ev.Recovered(sales=(found(15.5),)), T0)) == [fx.PollStatus(reference=REF,
                                                                                          session_id="s1")]
