"""Mion's objects as the core sees them, and the amounts the screens show."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kiosk.core.model import FINAL_PHASES, OPEN_PHASES, Attempt, Phase, SessionStatus
from kiosk.core.view import InvoiceView, PaidView

WHEN = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_an_attempt_must_be_for_at_least_one_millisatoshi() -> None:
    assert Attempt(session_id="s", invoice="lnbc", amount_msat=1, expires_at=WHEN).amount_msat == 1
    for msat in (0, -1000):
        with pytest.raises(ValueError, match="amount_msat must be positive"):
            Attempt(session_id="s", invoice="lnbc", amount_msat=msat, expires_at=WHEN)


def test_an_attempt_s_expiry_must_carry_its_time_zone() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Attempt(session_id="s", invoice="lnbc", amount_msat=1000, expires_at=WHEN.replace(tzinfo=None))


@pytest.mark.parametrize(("msat", "sat"), [(1, 1), (999, 1), (1000, 1), (1001, 2), (13_999_999, 14_000),
                                           (25_000_000, 25_000)])
def test_sats_shown_are_whole_sats_rounded_up_never_below_what_the_invoice_asks(msat: int, sat: int) -> None:
    assert Attempt(session_id="s", invoice="lnbc", amount_msat=msat, expires_at=WHEN).amount_sat == sat
    invoice = InvoiceView(amount_cents=1, amount_msat=msat, invoice="lnbc", seconds_left=1, lifetime_s=1)
    assert invoice.amount_sat == sat
    assert PaidView(amount_cents=1, amount_msat=msat).amount_sat == sat


def test_a_payment_found_after_a_restart_may_have_no_sats_to_show() -> None:
    assert PaidView(amount_cents=1200, amount_msat=None, late=True).amount_sat is None


def test_only_paid_at_makes_a_status_paid() -> None:
    assert SessionStatus(session_id="s", status="funded", paid_at=WHEN).is_paid
    assert not SessionStatus(session_id="s", status="paid").is_paid


def test_every_phase_is_open_final_or_neither_and_idle_and_typing_are_neither() -> None:
    assert OPEN_PHASES.isdisjoint(FINAL_PHASES)
    assert {p for p in Phase if p.is_open} == {Phase.CREATING_SESSION, Phase.CREATING_ATTEMPT,
                                               Phase.AWAITING_PAYMENT}
    assert {p for p in Phase if p.is_final} == {Phase.PAID, Phase.EXPIRED, Phase.CANCELLED, Phase.BLOCKED,
                                                Phase.ERROR}
