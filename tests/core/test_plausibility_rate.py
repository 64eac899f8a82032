"""An invoice whose rate is far off the recent one is never shown: journaled, asked for once more, then
the sale ends as an invalid invoice. Rates are msat per cent; the defaults are a band of 10 % around
the last invoice shown within 600 s, and sanity bounds of 1 000 to 1 000 000 msat per cent."""

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
from kiosk.core.view import InvoiceView, MessageKind, MessageView, PreparingView
from kiosk.shell.devices import Devices
from kiosk.shell.ledger import Ledger
from kiosk.store.journal import Journal

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
FIRST = "K1-20261128-0001"
REF = "K1-20261128-0002"


def kinds(effects: list[fx.Effect]) -> list[str]:
    return [type(e).__name__ for e in effects]


def offer(reg: Register, reference: str, msat: int, now: datetime, *, n: int = 1) -> list[fx.Effect]:
    """Mion's attempt for ``reference`` arrives at ``now``."""
    attempt = Attempt(session_id="s-" + reference, invoice=f"lnbcrt{n}", amount_msat=msat,
                      expires_at=now + timedelta(seconds=120))
    return reg.handle(ev.AttemptCreated(reference=reference, attempt=attempt), now)


def charge(reg: Register, reference: str, cents: int, now: datetime) -> None:
    """A sale of ``cents`` with its session: it waits for its invoice."""
    reg.handle(ev.SaleRequested(reference=reference, amount_cents=cents, source=SaleSource.POS), now)
    reg.handle(ev.SessionCreated(reference=reference, session=Session(session_id="s-" + reference)), now)
    assert reg.phase is Phase.CREATING_ATTEMPT


def with_reference(timing: Timing | None = None, *, at: datetime = T0) -> Register:
    """A register whose last shown invoice was 12 000 000 msat for 1 200 cents (10 000 msat per cent)."""
    reg = Register(timing or Timing())
    charge(reg, FIRST, 1200, at)
    assert "RecordAttempt" in kinds(offer(reg, FIRST, 12_000_000, at))
    reg.handle(ev.CancelRequested(), at)
    return reg


def shown(effects: list[fx.Effect]) -> bool:
    return "RecordAttempt" in kinds(effects)


def refusals(effects: list[fx.Effect]) -> list[fx.Effect]:
    return [e for e in effects if type(e).__name__ == "RecordRefusal"]


# --- the band around the recent rate ------------------------------------------------------------------

@pytest.mark.parametrize("msat", [11_000_000, 9_000_000], ids=["plus-10%", "minus-10%"])
def test_an_invoice_exactly_at_the_edge_of_the_band_is_shown(msat: int) -> None:
    reg = with_reference()
    now = T0 + timedelta(seconds=60)
    charge(reg, REF, 1000, now)
    effects = offer(reg, REF, msat, now)
    assert shown(effects) and not refusals(effects)
    assert reg.phase is Phase.AWAITING_PAYMENT and isinstance(reg.view(now), InvoiceView)


@pytest.mark.parametrize("msat", [11_000_001, 8_999_999], ids=["above", "below"])
def test_an_invoice_just_outside_the_band_is_journaled_not_shown_and_asked_for_again(msat: int) -> None:
    reg = with_reference()
    now = T0 + timedelta(seconds=60)
    charge(reg, REF, 1000, now)
    effects = offer(reg, REF, msat, now)
    assert not shown(effects), "never journaled as an attempt, so never announced to the till or recovered"
    assert kinds(effects) == ["RecordRefusal"], "no light, nothing for the screen"
    detail = effects[0].detail  # type: ignore[union-attr]
    assert effects[0].reference == REF and f"{msat} msat for 1000 cents" in detail and "10 %" in detail
    assert reg.phase is Phase.CREATING_ATTEMPT and isinstance(reg.view(now), PreparingView)
    again = reg.handle(ev.Tick(), now + timedelta(seconds=Timing().poll_interval_s))
    assert fx.CreateAttempt(reference=REF, session_id="s-" + REF, amount_cents=1000) in again


def test_a_second_implausible_invoice_in_a_row_ends_the_sale_as_an_invalid_invoice() -> None:
    reg = with_reference()
    now = T0 + timedelta(seconds=60)
    charge(reg, REF, 1000, now)
    offer(reg, REF, 20_000_000, now)
    reg.handle(ev.Tick(), now + timedelta(seconds=1))
    effects = offer(reg, REF, 20_000_000, now + timedelta(seconds=2), n=2)
    assert kinds(effects) == ["RecordRefusal", "RecordEnded", "SetLight"]
    ended = effects[1]
    assert isinstance(ended, fx.RecordEnded) and ended.phase is Phase.ERROR and ended.detail is not None
    assert "rate" in ended.detail, "the till hears why (EVENT ERROR carries the detail)"
    view = reg.view(now + timedelta(seconds=2))
    assert isinstance(view, MessageView) and view.kind is MessageKind.INVOICE_INVALID
    assert REF not in reg.watches, "no invoice was ever shown: nobody can pay it"


def test_a_plausible_invoice_after_a_refused_one_is_shown_and_the_count_starts_again() -> None:
    reg = with_reference()
    now = T0 + timedelta(seconds=60)
    charge(reg, REF, 1000, now)
    assert refusals(offer(reg, REF, 20_000_000, now))
    assert shown(offer(reg, REF, 10_000_000, now + timedelta(seconds=1), n=2))
    # The next refresh is off again: one more chance, not an end.
    later = now + timedelta(seconds=101)
    reg.handle(ev.Tick(), later)
    effects = offer(reg, REF, 20_000_000, later, n=3)
    assert kinds(effects) == ["RecordRefusal"] and reg.phase is Phase.AWAITING_PAYMENT


def test_the_reference_follows_every_invoice_shown() -> None:
    reg = with_reference()
    charge(reg, REF, 1000, T0 + timedelta(seconds=10))
    assert shown(offer(reg, REF, 11_000_000, T0 + timedelta(seconds=10)))  # +10 %: now the reference
    reg.handle(ev.CancelRequested(), T0 + timedelta(seconds=11))
    third = "K1-20261128-0003"
    charge(reg, third, 1000, T0 + timedelta(seconds=20))
    assert shown(offer(reg, third, 12_100_000, T0 + timedelta(seconds=20)))  # +10 % of 11 000


# --- how long a rate is remembered, and the first invoice of a run ----------------------------------------

def test_the_reference_counts_for_exactly_rate_memory_s() -> None:
    at_edge = T0 + timedelta(seconds=600)
    reg = with_reference()
    charge(reg, REF, 1000, at_edge)
    assert refusals(offer(reg, REF, 11_000_001, at_edge)), "600 s after: still the reference"

    just_after = at_edge + timedelta(milliseconds=1)
    reg = with_reference()
    charge(reg, REF, 1000, just_after)
    assert shown(offer(reg, REF, 11_000_001, just_after)), "older: only the sanity bounds apply"


@pytest.mark.parametrize("msat, ok", [(1_000_000, True), (999_999, False), (1_000_000_000, True),
                                      (1_000_000_001, False)])
def test_the_first_invoice_of_a_run_meets_the_sanity_bounds(msat: int, ok: bool) -> None:
    reg = Register(Timing())
    charge(reg, REF, 1000, T0)
    effects = offer(reg, REF, msat, T0)
    assert shown(effects) is ok and bool(refusals(effects)) is not ok


def test_the_sanity_bounds_hold_even_next_to_a_recent_rate() -> None:
    timing = Timing(rate_band_pct=100, max_rate_msat_per_cent=15_000)
    reg = with_reference(timing)
    charge(reg, REF, 1000, T0 + timedelta(seconds=1))
    assert refusals(offer(reg, REF, 15_000_001, T0 + timedelta(seconds=1)))


def test_the_band_and_the_memory_are_settings() -> None:
    timing = Timing(rate_band_pct=5, rate_memory_s=60)
    reg = with_reference(timing)
    charge(reg, REF, 1000, T0 + timedelta(seconds=60))
    assert refusals(offer(reg, REF, 10_500_001, T0 + timedelta(seconds=60)))
    reg = with_reference(timing)
    charge(reg, REF, 1000, T0 + timedelta(seconds=61))
    assert shown(offer(reg, REF, 10_500_001, T0 + timedelta(seconds=61)))


# --- a refused refresh of a sale already on screen ---------------------------------------------------------

def test_a_refused_refresh_keeps_the_shown_invoice_and_a_second_ends_the_sale_still_watched() -> None:
    reg = with_reference()
    charge(reg, REF, 1000, T0)
    assert shown(offer(reg, REF, 10_000_000, T0))
    refresh_at = T0 + timedelta(seconds=100)  # 120 s invoice, 10 s margin, 10 s lead
    assert fx.CreateAttempt(reference=REF, session_id="s-" + REF, amount_cents=1000) in reg.handle(ev.Tick(), refresh_at)
    assert kinds(offer(reg, REF, 30_000_000, refresh_at, n=2)) == ["RecordRefusal"]
    view = reg.view(refresh_at)
    assert isinstance(view, InvoiceView) and view.invoice == "lnbcrt1", "the plausible invoice stays"
    reg.handle(ev.Tick(), refresh_at + timedelta(seconds=1))
    effects = offer(reg, REF, 30_000_000, refresh_at + timedelta(seconds=1), n=3)
    assert "RecordEnded" in kinds(effects) and reg.phase is Phase.ERROR
    assert REF in reg.watches, "the invoice shown before may still be paid: it is watched"
    # ... and a payment of it is still caught.
    reg.handle(ev.Tick(), refresh_at + timedelta(seconds=4))
    paid = reg.handle(ev.StatusReceived(reference=REF, status=SessionStatus(
        session_id="s-" + REF, status="funded", paid_at=refresh_at + timedelta(seconds=3))),
        refresh_at + timedelta(seconds=4))
    assert [type(e) for e in paid][:2] == [fx.RecordStatus, fx.RecordPaid] and reg.phase is Phase.PAID


# --- the journal keeps the refusal, and the till hears nothing of it ------------------------------------

def test_a_refusal_is_journaled_on_the_sale_never_as_an_attempt_and_never_sent_to_the_till(tmp_path: Path) -> None:
    settings = Settings()
    settings = dataclasses.replace(settings, pos=dataclasses.replace(settings.pos, enabled=True, port="loop://"))
    with Journal(tmp_path / "journal.sqlite3") as journal:
        ledger = Ledger(settings, journal, Devices(settings, journal, lambda message: None), None)
        reg = with_reference()
        now = T0 + timedelta(seconds=60)
        effects = reg.handle(ev.SaleRequested(reference=REF, amount_cents=1000, source=SaleSource.POS), now)
        effects += reg.handle(ev.SessionCreated(reference=REF, session=Session(session_id="s-" + REF)), now)
        effects += offer(reg, REF, 20_000_000, now)
        for effect in effects:
            if type(effect).__name__.startswith("Record"):
                ledger.record(effect, now)  # type: ignore[arg-type]
        record = journal.get(REF)
        assert record is not None and record.attempts == () and record.phase is Phase.CREATING_ATTEMPT
        assert record.detail is not None and "20000000 msat for 1000 cents" in record.detail
        assert journal.pending_till_messages() == []
