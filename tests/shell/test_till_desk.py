"""The till as the desk of its sales, against a real register and journal: references, refusals that
change nothing, the replace policy. The link itself is never opened here."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk.config import Settings
from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.core.model import Phase
from kiosk.core.register import Register
from kiosk.errors import SaleRefused
from kiosk.shell.app import timing_from
from kiosk.shell.devices import Devices
from kiosk.shell.ledger import Ledger
from kiosk.shell.till import Till
from kiosk.store.journal import Journal

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


class Counter:
    """A till wired as the loop wires it, without the loop: Record effects go to the journal."""

    def __init__(self, settings: Settings, journal: Journal) -> None:
        self.register = Register(timing_from(settings))
        ledger = Ledger(settings, journal, Devices(settings, journal, lambda message: None), None)

        def apply(event: ev.Event) -> list[fx.Effect]:
            effects = self.register.handle(event, NOW)
            for effect in effects:
                if isinstance(effect, fx.RecordSale | fx.RecordEnded | fx.RecordSession):
                    ledger.record(effect, NOW)
            return effects

        self.journal = journal
        self.desk = Till(settings, journal, self.register, apply, lambda message: None, clock=lambda: NOW,
                         new_reference=lambda: journal.next_reference("K1", NOW.astimezone().date()))


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "journal.sqlite3") as opened:
        yield opened


def counter(journal: Journal, **pos: object) -> Counter:
    settings = Settings()
    pos = {"enabled": True, "port": "loop://", **pos}
    shop = dataclasses.replace(settings.shop, terminal_id="K1")
    return Counter(dataclasses.replace(settings, shop=shop, pos=dataclasses.replace(settings.pos, **pos)), journal)  # type: ignore[arg-type]


def test_a_generated_reference_passes_over_one_the_till_already_used(journal: Journal) -> None:
    c = counter(journal)
    drawn = journal.next_reference("K1", NOW.astimezone().date())  # e.g. K1-20261128-0001-3F9A
    prefix, number, mark = drawn.rsplit("-", 2)
    taken = f"{prefix}-{int(number) + 1:04d}-{mark}"  # the one the counter hands out next
    assert c.desk.start_sale(100, taken) == taken  # ... a till named its sale with it
    c.desk.cancel_sale(taken)
    reference = c.desk.start_sale(700, None)
    assert reference == f"{prefix}-{int(number) + 2:04d}-{mark}"
    assert c.register.open_reference == reference and journal.get(reference) is not None


def test_a_till_reference_used_before_is_refused_and_nothing_changes(journal: Journal) -> None:
    c = counter(journal)
    assert c.desk.start_sale(1250, "A-1") == "A-1"
    c.desk.cancel_sale(None)
    with pytest.raises(SaleRefused) as refused:
        c.desk.start_sale(1250, "A-1")
    assert refused.value.code == "DUPLICATE_REFERENCE"
    assert c.register.open_reference is None


def test_busy_is_refused_by_default_and_the_open_sale_stays(journal: Journal) -> None:
    c = counter(journal)
    c.desk.start_sale(1250, "A")
    with pytest.raises(SaleRefused) as refused:
        c.desk.start_sale(999, "B")
    assert refused.value.code == "BUSY"
    assert c.register.open_reference == "A" and journal.get("B") is None


def test_replace_cancels_the_open_sale_first(journal: Journal) -> None:
    c = counter(journal, busy_policy="replace")
    c.desk.start_sale(1250, "A")
    assert c.desk.start_sale(999, "B") == "B"
    record = journal.get("A")
    assert record is not None and record.phase is Phase.CANCELLED
    assert c.register.open_reference == "B"


def test_replace_never_cancels_for_a_repeated_reference(journal: Journal) -> None:
    c = counter(journal, busy_policy="replace")
    c.desk.start_sale(1250, "A")
    c.desk.cancel_sale("A")
    c.desk.start_sale(500, "B")
    with pytest.raises(SaleRefused) as refused:
        c.desk.start_sale(1250, "A")
    assert refused.value.code == "DUPLICATE_REFERENCE"
    record = journal.get("B")
    assert record is not None and record.phase is Phase.CREATING_SESSION and c.register.open_reference == "B"


def test_cancel_answers_each_case(journal: Journal) -> None:
    c = counter(journal)
    with pytest.raises(SaleRefused, match="NO_SALE"):
        c.desk.cancel_sale(None)
    with pytest.raises(SaleRefused, match="UNKNOWN_REFERENCE"):
        c.desk.cancel_sale("nope")
    c.desk.start_sale(100, "A")
    assert c.desk.cancel_sale(None) == "A"
    with pytest.raises(SaleRefused, match="FINISHED"):
        c.desk.cancel_sale("A")
