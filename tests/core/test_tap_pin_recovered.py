"""After a restart, a sale whose invoice a card service was handed keeps that invoice until the pin ends.

The pin comes in with the ``Recovered`` event (the shell reads it from the journal's card taps); the
register asks for no fresh invoice before it ends, and does right after.
"""

from __future__ import annotations

from datetime import timedelta

from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.core.model import Attempt, Phase, SaleSource, SessionStatus
from kiosk.core.register import Register
from kiosk.core.sale import Timing
from tests.core.test_recovery_time import T0

REF = "K1-20261128-0007"
INVOICE = "lnbcrt-handed"
EXPIRES = T0 + timedelta(seconds=100)
"""The handed invoice can be paid until then: the pin's end."""


def recovered(pinned_until: object) -> ev.Recovered:
    shown = Attempt(session_id="s1", invoice=INVOICE, amount_msat=7_500_000, expires_at=EXPIRES)
    return ev.Recovered(sales=(ev.RecoveredSale(
        reference=REF, amount_cents=750, source=SaleSource.POS, created_at=T0 - timedelta(seconds=60),
        session_id="s1", last_attempt=shown, tap_pinned_until=pinned_until),))  # type: ignore[arg-type]


def unpaid() -> ev.StatusReceived:
    return ev.StatusReceived(reference=REF, status=SessionStatus(session_id="s1", status="open", paid_at=None))


def fresh_invoice_asked(effects: list[fx.Effect]) -> bool:
    return any(isinstance(e, fx.CreateAttempt) for e in effects)


def test_a_recovered_pin_holds_the_handed_invoice_until_it_ends_and_not_a_second_longer() -> None:
    reg = Register(Timing())
    reg.handle(recovered(EXPIRES), T0)
    assert reg.sale is not None and reg.sale.tap_pinned_until == EXPIRES
    assert not fresh_invoice_asked(reg.handle(unpaid(), T0 + timedelta(seconds=0.1)))
    # unpinned, it would refresh here (see below); pinned, the handed invoice stays
    assert not fresh_invoice_asked(reg.handle(ev.Tick(), EXPIRES - timedelta(seconds=1)))
    assert reg.sale.attempt is not None and reg.sale.attempt.invoice == INVOICE
    assert fresh_invoice_asked(reg.handle(ev.Tick(), EXPIRES + timedelta(seconds=1)))


def test_without_a_pin_the_recovered_sale_refreshes_its_invoice_as_usual() -> None:
    reg = Register(Timing())
    reg.handle(recovered(None), T0)
    assert not fresh_invoice_asked(reg.handle(unpaid(), T0 + timedelta(seconds=0.1)))
    assert fresh_invoice_asked(reg.handle(ev.Tick(), EXPIRES - timedelta(seconds=1)))


def test_a_recovered_pin_still_lets_mion_decide_paid() -> None:
    reg = Register(Timing())
    reg.handle(recovered(EXPIRES), T0)
    paid_at = T0 + timedelta(seconds=5)
    status = SessionStatus(session_id="s1", status="paid", paid_at=paid_at)
    effects = reg.handle(ev.StatusReceived(reference=REF, status=status), paid_at)
    assert any(isinstance(e, fx.RecordPaid) for e in effects) and reg.phase is Phase.PAID
