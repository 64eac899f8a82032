"""The card-tap rows in the journal: the pin journaled before a callback, settled by the tap's outcome,
read back for recovery and by ``kiosk show --json`` (never a URL, card secret or PIN)."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.core.model import SaleSource
from kiosk.core.tap_view import TapStage
from kiosk.errors import StoreError
from kiosk.inputs.boltcard.reader import TapRecord
from kiosk.mion.simulator import MionSimulator
from kiosk.store.journal import Journal
from kiosk.store.taps import SENT, TapRow, pins_of, record_tap, taps_of
from tests.boltcard.tap_helpers import tap_kiosk
from tests.clocks import T0
from tests.helpers import drive

REF = "K1-20261128-0001-3F9A"
PIN_END = T0 + timedelta(seconds=120)


def tap(outcome: str, *, at_s: float = 0, reason: str | None = None, until: object = None,
        settles: bool = False) -> TapRow:
    return TapRow(reference=REF, at=T0 + timedelta(seconds=at_s), outcome=outcome, host="card.example",
                  reason=reason, amount_msat=7_500_000, pinned_until=until, settles=settles)  # type: ignore[arg-type]


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    j = Journal(tmp_path / "journal.sqlite3")
    j.open()
    j.create_sale(reference=REF, amount_cents=750, source=SaleSource.KEYPAD, at=T0)
    return j


def test_a_sent_tap_holds_its_pin_until_its_outcome_settles_the_same_row(journal: Journal) -> None:
    record_tap(journal, tap(SENT, until=PIN_END))
    assert pins_of(journal, [REF, "K1-OTHER"]) == {REF: PIN_END}  # killed now: recovery keeps the pin
    record_tap(journal, tap("initiated", at_s=2, until=PIN_END, settles=True))  # the service may still pay
    assert [(r.outcome, r.pinned_until, r.at) for r in taps_of(journal, REF)] == [("initiated", PIN_END, T0)]
    record_tap(journal, tap(SENT, at_s=5, until=PIN_END))  # another tap, refused for sure: its pin goes
    record_tap(journal, tap("failed", at_s=6, reason="service: Card is disabled.", settles=True))
    assert [r.outcome for r in taps_of(journal, REF)] == ["initiated", "failed"]
    assert pins_of(journal, [REF]) == {REF: PIN_END}  # the first tap's pin still stands


def test_a_tap_that_never_reached_the_callback_leaves_an_open_sent_row_alone(journal: Journal) -> None:
    record_tap(journal, tap(SENT, until=PIN_END))  # then the kiosk was killed
    record_tap(journal, tap("failed", at_s=30, reason="the card could not be read"))  # after the restart
    assert [(r.outcome, r.pinned_until) for r in taps_of(journal, REF)] == [(SENT, PIN_END), ("failed", None)]
    assert pins_of(journal, [REF]) == {REF: PIN_END}


def test_a_journal_from_before_the_pin_column_is_read_and_then_extended(journal: Journal, tmp_path: Path) -> None:
    assert pins_of(journal, [REF]) == {} and taps_of(journal, REF) == []  # no tap yet: no table
    journal.close()
    with sqlite3.connect(tmp_path / "journal.sqlite3") as conn:
        conn.execute("CREATE TABLE card_tap (reference TEXT NOT NULL, at_us INTEGER NOT NULL, outcome TEXT NOT NULL,"
                     " host TEXT NOT NULL, reason TEXT, amount_msat INTEGER NOT NULL)")
        conn.execute("INSERT INTO card_tap VALUES (?, 1, 'initiated', 'old.example', NULL, 1000)", (REF,))
    conn.close()
    journal.open()
    assert pins_of(journal, [REF]) == {}
    assert [(r.host, r.pinned_until) for r in taps_of(journal, REF)] == [("old.example", None)]
    record_tap(journal, tap(SENT, until=PIN_END))
    assert pins_of(journal, [REF]) == {REF: PIN_END} and len(taps_of(journal, REF)) == 2
    journal.close()


def test_kiosk_show_json_lists_the_taps(journal: Journal, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    record_tap(journal, tap(SENT, until=PIN_END))
    record_tap(journal, tap("failed", at_s=1, reason="service: Invalid PIN", settles=True))
    journal.close()
    assert main(["--state-dir", str(tmp_path), "show", REF, "--json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out)["taps"] == [{"at": T0.isoformat(), "outcome": "failed", "host": "card.example",
                                        "reason": "service: Invalid PIN", "amount_msat": 7_500_000,
                                        "pinned_until": None}]


def test_a_tap_that_cannot_be_journaled_as_sent_is_not_sent(simulator: MionSimulator, tmp_path: Path) -> None:
    with tap_kiosk(simulator, tmp_path) as rig:
        journaling = rig.reader.record
        assert journaling is not None

        def full_disk(tap: TapRecord) -> None:
            if tap.outcome == SENT:
                raise StoreError("cannot record a card tap: disk I/O error")
            journaling(tap)

        rig.reader.record = full_disk
        rig.charge("42")
        rig.tap()
        sale = rig.app.register.sale
        assert sale is not None
        drive(rig.app, lambda a: rig.stage() is TapStage.FAILED and sale.tap_pinned_until is None)  # released
        assert "/card" in rig.service.calls and "/callback" not in rig.service.calls
        assert [(t.outcome, t.pinned_until) for t in taps_of(rig.app.journal, sale.reference)] == [("failed", None)]
