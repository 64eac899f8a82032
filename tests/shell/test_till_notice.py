"""The cashier's notice for a payment the till did not book: raised once per payment, even when the
journal cannot note it, and dismissed only by Enter or Cancel on the idle screen."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from kiosk.core import events as ev
from kiosk.core.model import Attempt, Phase, SaleSource
from kiosk.core.view import AmountEntryView, IdleView, PaidView
from kiosk.errors import StoreError
from kiosk.store.journal import Journal
from tests.shell.test_till_desk import NOW, counter

IDLE = IdleView(shop_name="Shop")


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "journal.sqlite3") as opened:
        yield opened


def paid_sale(journal: Journal, reference: str, cents: int) -> None:
    journal.create_sale(reference=reference, amount_cents=cents, source=SaleSource.POS, at=NOW)
    journal.set_session(reference, "ps_1", NOW)
    journal.add_attempt(reference, Attempt(session_id="ps_1", invoice="lnbcrt1", amount_msat=1_000,
                                           expires_at=NOW + timedelta(minutes=2)), NOW)
    journal.set_phase(reference, Phase.AWAITING_PAYMENT, NOW)
    journal.mark_paid(reference, paid_at=NOW, amount_msat=1_000, late=False, at=NOW, print_copies=(), till_line=None)


def test_a_payment_the_till_did_not_book_raises_the_notice_once(journal: Journal) -> None:
    c = counter(journal)
    paid_sale(journal, "A-1", 1250)
    assert c.desk.notice is None
    c.desk.not_booked("A-1", "the till refused the paid status (84 66)")
    c.desk.not_booked("A-1", "the till's link dropped before it booked the payment")  # the same payment again
    assert c.desk.notice is not None
    assert (c.desk.notice.count, c.desk.notice.reference, c.desk.notice.amount_cents) == (1, "A-1", 1250)
    paid_sale(journal, "A-2", 990)
    c.desk.not_booked("A-2", "the till never answered the paid status")
    assert (c.desk.notice.count, c.desk.notice.reference, c.desk.notice.amount_cents) == (2, "A-2", 990)


def test_only_enter_or_cancel_on_the_idle_screen_dismisses_it(journal: Journal) -> None:
    c = counter(journal)
    paid_sale(journal, "A-1", 1250)
    c.desk.not_booked("A-1", "the till never answered the paid status")
    assert not c.desk.acknowledge(ev.Key.ENTER, PaidView(amount_cents=1250, amount_msat=1_000))  # the customer's screen
    assert not c.desk.acknowledge(ev.Key.ENTER, AmountEntryView(typed="1", amount_cents=100, max_amount_cents=9999))
    assert not c.desk.acknowledge(ev.Key.D1, IDLE)  # a digit starts an amount as always
    assert c.desk.notice is not None
    assert c.desk.acknowledge(ev.Key.CANCEL, IDLE)
    assert c.desk.notice is None
    assert not c.desk.acknowledge(ev.Key.ENTER, IDLE)  # nothing to dismiss: the key is the register's


def test_a_journal_that_cannot_note_it_still_shows_it(journal: Journal, monkeypatch: pytest.MonkeyPatch) -> None:
    c = counter(journal)

    def broken(*_args: object) -> bool:
        raise StoreError("disk I/O error")

    monkeypatch.setattr(journal, "note_not_booked", broken)
    monkeypatch.setattr(journal, "get", broken)
    c.desk.not_booked("A-9", "the till never answered the paid status")
    assert c.desk.notice is not None and c.desk.notice.reference == "A-9" and c.desk.notice.amount_cents is None
