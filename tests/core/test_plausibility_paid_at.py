"""A ``paidAt`` outside the session's life is not a payment: from the sale's creation minus 300 s to now
plus 300 s (``Timing.paid_at_slack_s``), edges included. Outside it the kiosk keeps checking, journals
the doubt once per distinct ``paidAt``, hides the QR code, and never says "nothing was charged"."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.config import Settings
from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.core.model import Attempt, Phase, SaleSource, Session, SessionStatus
from kiosk.core.register import Register
from kiosk.core.sale import Timing
from kiosk.core.text import LANGUAGES, texts
from kiosk.core.view import CheckingView, InvoiceView, MessageKind, MessageView
from kiosk.shell.devices import Devices
from kiosk.shell.ledger import Ledger
from kiosk.store.journal import Journal

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
REF = "K1-20261128-0001"
SLACK = timedelta(seconds=300)
TINY = timedelta(microseconds=1)
NOW = T0 + timedelta(seconds=10)


def kinds(effects: list[fx.Effect]) -> list[str]:
    return [type(e).__name__ for e in effects]


def status(paid_at: datetime | None, *, session_id: str = "s1", state: str = "funded") -> ev.StatusReceived:
    return ev.StatusReceived(reference=REF, status=SessionStatus(session_id=session_id, status=state,
                                                                 paid_at=paid_at))


def awaiting(opened_at: datetime = T0) -> Register:
    """A sale opened at ``opened_at`` whose 120 s invoice is on screen."""
    reg = Register(Timing())
    reg.handle(ev.SaleRequested(reference=REF, amount_cents=1200, source=SaleSource.POS), opened_at)
    reg.handle(ev.SessionCreated(reference=REF, session=Session(session_id="s1")), opened_at)
    reg.handle(ev.AttemptCreated(reference=REF, attempt=Attempt(
        session_id="s1", invoice="lnbcrt1", amount_msat=12_000_000,
        expires_at=opened_at + timedelta(seconds=120))), opened_at)
    assert reg.phase is Phase.AWAITING_PAYMENT
    return reg


# --- the open sale -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("paid_at", [T0 - SLACK, NOW + SLACK], ids=["creation-minus-slack", "now-plus-slack"])
def test_a_paid_at_exactly_at_the_edge_of_the_session_life_is_a_payment(paid_at: datetime) -> None:
    reg = awaiting()
    effects = reg.handle(status(paid_at), NOW)
    assert [e.paid_at for e in effects if isinstance(e, fx.RecordPaid)] == [paid_at]
    assert reg.phase is Phase.PAID


@pytest.mark.parametrize("paid_at", [T0 - SLACK - TINY, NOW + SLACK + TINY], ids=["before", "after"])
def test_a_paid_at_just_outside_the_session_life_is_not_a_payment(paid_at: datetime) -> None:
    reg = awaiting()
    effects = reg.handle(status(paid_at), NOW)
    assert kinds(effects) == ["RecordStatus", "RecordRefusal"], "journaled as Mion said it, with the doubt"
    refusal = effects[1]
    assert refusal.reference == REF and "paidAt" in refusal.detail  # type: ignore[union-attr]
    assert reg.phase is Phase.AWAITING_PAYMENT
    assert isinstance(reg.view(NOW), CheckingView), "no QR code while Mion's answer does not add up"
    later = NOW + timedelta(seconds=Timing().poll_interval_s)
    assert fx.PollStatus(reference=REF, session_id="s1") in reg.handle(ev.Tick(), later), "it keeps checking"


def test_the_same_doubtful_paid_at_is_journaled_once_and_a_sound_one_then_pays() -> None:
    reg = awaiting()
    odd = T0 - timedelta(days=400)
    assert "RecordRefusal" in kinds(reg.handle(status(odd), NOW))
    assert kinds(reg.handle(status(odd), NOW + timedelta(seconds=1))) == ["RecordStatus"]
    assert "RecordRefusal" in kinds(reg.handle(status(odd + timedelta(seconds=1)), NOW + timedelta(seconds=2)))
    reg.handle(status(None, state="open"), NOW + timedelta(seconds=3))
    assert isinstance(reg.view(NOW + timedelta(seconds=3)), InvoiceView), "the doubt is gone: the QR is back"
    effects = reg.handle(status(NOW + timedelta(seconds=4)), NOW + timedelta(seconds=4))
    assert "RecordPaid" in kinds(effects) and reg.phase is Phase.PAID


def test_a_doubt_still_standing_when_the_session_ends_is_an_unconfirmed_error_and_watched() -> None:
    reg = awaiting()
    end = T0 + timedelta(seconds=300)
    effects = reg.handle(status(datetime(1970, 1, 1, tzinfo=UTC)), end)
    assert kinds(effects) == ["RecordStatus", "RecordRefusal", "RecordEnded", "SetLight"]
    ended = effects[2]
    assert isinstance(ended, fx.RecordEnded) and ended.phase is Phase.ERROR, "never 'expired, nothing charged'"
    assert ended.detail is not None and "paidAt" in ended.detail
    view = reg.view(end)
    assert isinstance(view, MessageView) and view.kind is MessageKind.UNCONFIRMED
    assert REF in reg.watches


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_unconfirmed_screen_has_words_in_every_language(lang: str) -> None:
    title, sentence = texts(lang).messages[MessageKind.UNCONFIRMED]
    assert title and sentence and title != texts(lang).messages[MessageKind.EXPIRED][0]


def test_a_recovered_sale_counts_its_life_from_its_creation_not_from_the_restart() -> None:
    created = T0 - timedelta(seconds=200)
    found = ev.RecoveredSale(reference=REF, amount_cents=1200, source=SaleSource.POS, created_at=created,
                             session_id="s1", last_attempt=None)
    reg = Register(Timing())
    reg.handle(ev.Recovered(sales=(found,)), T0)
    assert "RecordPaid" not in kinds(reg.handle(status(created - SLACK - TINY), T0))
    assert "RecordPaid" in kinds(reg.handle(status(created - SLACK), T0 + timedelta(seconds=1)))


# --- the late-payment watch ----------------------------------------------------------------------------

def watched(opened_at: datetime = T0) -> tuple[Register, datetime]:
    """The sale above, cancelled 5 s after it opened and watched; returns it and its first poll time."""
    reg = awaiting(opened_at)
    reg.handle(ev.CancelRequested(), opened_at + timedelta(seconds=5))
    poll_at = opened_at + timedelta(seconds=5 + Timing().watch_poll_s)
    assert fx.PollStatus(reference=REF, session_id="s1") in reg.handle(ev.Tick(), poll_at)
    return reg, poll_at


@pytest.mark.parametrize("edge", ["creation", "now"])
def test_a_watched_sale_takes_a_paid_at_exactly_at_the_edges(edge: str) -> None:
    reg, poll_at = watched()
    paid_at = T0 - SLACK if edge == "creation" else poll_at + SLACK
    effects = reg.handle(status(paid_at), poll_at)
    assert [e.paid_at for e in effects if isinstance(e, fx.RecordPaid)] == [paid_at]


@pytest.mark.parametrize("edge", ["creation", "now"])
def test_a_watched_sale_refuses_a_paid_at_just_outside_and_keeps_watching(edge: str) -> None:
    reg, poll_at = watched()
    paid_at = T0 - SLACK - TINY if edge == "creation" else poll_at + SLACK + TINY
    effects = reg.handle(status(paid_at), poll_at)
    assert kinds(effects) == ["RecordStatus", "RecordRefusal"]
    assert REF in reg.watches and reg.phase is Phase.CANCELLED
    next_poll = poll_at + timedelta(seconds=Timing().watch_poll_s)
    assert fx.PollStatus(reference=REF, session_id="s1") in reg.handle(ev.Tick(), next_poll)
    effects = reg.handle(status(next_poll), next_poll)
    assert [e.late for e in effects if isinstance(e, fx.RecordPaid)] == [True]


def test_a_watched_sale_journals_the_same_doubt_once() -> None:
    reg, poll_at = watched()
    odd = datetime(1970, 1, 1, tzinfo=UTC)
    assert kinds(reg.handle(status(odd), poll_at)) == ["RecordStatus", "RecordRefusal"]
    next_poll = poll_at + timedelta(seconds=Timing().watch_poll_s)
    reg.handle(ev.Tick(), next_poll)
    assert kinds(reg.handle(status(odd), next_poll)) == []
    assert REF in reg.watches


def test_an_ended_sale_watched_after_a_restart_counts_from_its_journaled_creation() -> None:
    created = T0 - timedelta(seconds=70)
    shown = Attempt(session_id="s1", invoice="lnbcrt1", amount_msat=12_000_000,
                    expires_at=created + timedelta(seconds=120))
    ended = ev.RecoveredSale(reference=REF, amount_cents=1200, source=SaleSource.POS, created_at=created,
                             session_id="s1", last_attempt=shown, ended=True)
    reg = Register(Timing())
    reg.handle(ev.Recovered(sales=(ended,)), T0)
    reg.handle(ev.Tick(), T0)
    assert "RecordPaid" not in kinds(reg.handle(status(created - SLACK - TINY), T0))
    reg.handle(ev.Tick(), T0 + timedelta(seconds=2))
    assert "RecordPaid" in kinds(reg.handle(status(created - SLACK), T0 + timedelta(seconds=2)))


# --- the journal ---------------------------------------------------------------------------------------

def test_the_journal_keeps_mions_words_and_the_doubt_and_the_till_hears_nothing(tmp_path: Path) -> None:
    settings = Settings()
    settings = dataclasses.replace(settings, pos=dataclasses.replace(settings.pos, enabled=True, port="loop://"))
    with Journal(tmp_path / "journal.sqlite3") as journal:
        ledger = Ledger(settings, journal, Devices(settings, journal, lambda message: None), None)
        journal.create_sale(reference=REF, amount_cents=1200, source=SaleSource.POS, at=T0)
        journal.set_session(REF, "s1", T0)
        reg = awaiting()
        odd = T0 - timedelta(days=1)
        for effect in reg.handle(status(odd), NOW):
            assert isinstance(effect, fx.RecordStatus | fx.RecordRefusal)
            ledger.record(effect, NOW)
        record = journal.get(REF)
        assert record is not None and record.phase is Phase.CREATING_ATTEMPT and record.paid_at is None
        assert [s.paid_at for s in record.statuses] == [odd], "what Mion said, verbatim"
        assert record.detail is not None and "not taken as paid" in record.detail
        assert journal.pending_till_messages() == []


def test_a_refusal_for_an_ended_sale_keeps_the_reason_it_ended(tmp_path: Path) -> None:
    settings = Settings()
    with Journal(tmp_path / "journal.sqlite3") as journal:
        ledger = Ledger(settings, journal, Devices(settings, journal, lambda message: None), None)
        journal.create_sale(reference=REF, amount_cents=100, source=SaleSource.POS, at=T0)
        ledger.record(fx.RecordRefusal(reference=REF, detail="first"), T0)
        record = journal.get(REF)
        assert record is not None and (record.phase, record.detail) == (Phase.CREATING_SESSION, "first")
        journal.end_sale(REF, Phase.EXPIRED, T0, detail="Mion status expired")
        ledger.record(fx.RecordRefusal(reference=REF, detail="second"), T0)
        record = journal.get(REF)
        assert record is not None and (record.phase, record.detail) == (Phase.EXPIRED, "Mion status expired")
