"""The PC/SC card source with a stand-in for pyscard: waiting, reading, and the problems it reports."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.config_nfc import NfcSettings
from kiosk.core import events as ev
from kiosk.core.view import InvoiceView
from kiosk.inputs.boltcard.build import build_reader
from kiosk.inputs.boltcard.card_pcsc import PcscCardSource
from kiosk.inputs.boltcard.ndef import uri_record
from kiosk.mion.simulator import MionSimulator
from kiosk.shell.app import KioskApp
from tests.boltcard.test_card_read import LINK, FakeType4Card
from tests.helpers import API_KEY, drive, settings_for


class FakePyscard:
    """Just enough of pyscard: ``readers()``, ``CardRequest(...).waitforcard()`` and a connection."""

    class SmartcardException(Exception):
        pass

    class CardRequestTimeoutException(SmartcardException):
        pass

    def __init__(self) -> None:
        self.readers = ["ACS ACR1252 1S CL Reader [ACR1252 1S CL Reader PICC] 00 00",
                        "ACS ACR1252 1S CL Reader [ACR1252 1S CL Reader SAM] 00 01"]
        self.cards: list[FakeType4Card] = []
        self.requests: list[dict[str, Any]] = []

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        fake = self

        class Connection:
            def __init__(self, card: FakeType4Card) -> None:
                self.card = card
                self.disconnected = False

            def connect(self) -> None:
                pass

            def transmit(self, apdu: list[int]) -> tuple[list[int], int, int]:
                return self.card.transmit(apdu)

            def disconnect(self) -> None:
                self.disconnected = True

        class CardRequest:
            def __init__(self, **kwargs: Any) -> None:
                fake.requests.append(kwargs)

            def waitforcard(self) -> Any:
                if not fake.cards:
                    raise fake.CardRequestTimeoutException()
                return types.SimpleNamespace(connection=Connection(fake.cards.pop(0)))

        modules = {
            "smartcard": types.ModuleType("smartcard"),
            "smartcard.System": types.SimpleNamespace(readers=lambda: list(fake.readers)),
            "smartcard.CardRequest": types.SimpleNamespace(CardRequest=CardRequest),
            "smartcard.Exceptions": types.SimpleNamespace(
                CardRequestTimeoutException=fake.CardRequestTimeoutException,
                SmartcardException=fake.SmartcardException),
        }
        for name, module in modules.items():
            monkeypatch.setitem(sys.modules, name, module)


@pytest.fixture
def pyscard(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePyscard]:
    fake = FakePyscard()
    fake.install(monkeypatch)
    yield fake


def test_a_presented_card_is_read_through_the_picc_slot_waiting_in_pcscd(pyscard: FakePyscard) -> None:
    source = PcscCardSource()
    source.open()
    assert source.wait_tap(0.5) is None  # nothing presented: the wait ends at its timeout
    request = pyscard.requests[-1]
    assert request["timeout"] == 0.5 and request["newcardonly"] is True  # a card left lying counts once
    assert [str(r) for r in request["readers"]] == [pyscard.readers[0]]  # the PICC slot, not the SAM
    pyscard.cards.append(FakeType4Card(uri_record(LINK)))
    assert source.wait_tap(0.5) == LINK and source.problem is None


def test_no_reader_is_a_problem_for_the_indicator(pyscard: FakePyscard) -> None:
    pyscard.readers = []
    source = PcscCardSource()
    source.open()
    assert source.wait_tap(0.5) is None and source.problem == "no reader"


def test_a_missing_pyscard_shows_on_the_indicator_and_the_kiosk_still_sells(
        simulator: MionSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "smartcard", None)  # import fails
    monkeypatch.setitem(sys.modules, "smartcard.System", None)
    holder: list[KioskApp] = []
    reader = build_reader(NfcSettings(enabled=True), lambda m: holder[0].post(m))
    app = KioskApp(settings_for(simulator, tmp_path), api_key=API_KEY, state_dir=tmp_path, readers=[reader])
    holder.append(app)
    with app:
        drive(app, lambda a: a.loop.reader_problems == {"nfc": "pyscard missing"})
        assert app.frame(app.now()).status.reader_problem == "pyscard missing"  # on the shop's indicator
        for key in ("5", "enter"):
            app.feed(ev.KeyPressed(key=ev.Key(key)))
        drive(app, lambda a: isinstance(a.register.view(a.now()), InvoiceView))
