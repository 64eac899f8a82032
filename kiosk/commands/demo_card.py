"""The demo's Bolt Card: a card service beside the Mion simulator and a card that the demo taps by key.

The card pays through the simulator's card service (:mod:`kiosk.mion.sim_card`); amounts from
:data:`PIN_FROM_CENTS` up ask for its PIN, :data:`DEMO_PIN`, on the keypad.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Self

from kiosk.config import Settings
from kiosk.inputs.boltcard.build import build_reader
from kiosk.inputs.boltcard.reader import BoltCardReader
from kiosk.inputs.boltcard.source import FakeCardSource
from kiosk.mion.sim_card import CardService
from kiosk.mion.sim_state import msat_for_cents
from kiosk.mion.simulator import MionSimulator

DEMO_PIN = "1234"
PIN_FROM_CENTS = 5_000


class DemoCard:
    """Start with ``with``; :meth:`reader` gives the kiosk its tap-to-pay reader, :meth:`tap` taps the card."""

    def __init__(self, simulator: MionSimulator) -> None:
        self.service = CardService(amount_of=simulator.invoice_amount_msat, pay=simulator.pay_invoice,
                                   pin=DEMO_PIN, pin_limit_msat=msat_for_cents(PIN_FROM_CENTS))
        self.source = FakeCardSource()

    def __enter__(self) -> Self:
        self.service.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.service.stop()

    @staticmethod
    def settings(settings: Settings) -> Settings:
        """The given settings with tap to pay on, reading the demo card."""
        return dataclasses.replace(settings, nfc=dataclasses.replace(settings.nfc, enabled=True, reader="demo"))

    def reader(self, settings: Settings, post: Callable[[Any], None]) -> BoltCardReader:
        """The reader of the demo card (set its ``record`` to journal the taps)."""
        return build_reader(settings.nfc, post, source=self.source, allow_local_http=True)

    def tap(self) -> None:
        """Hold the demo card to the reader (each tap reads a fresh link, as a real card gives)."""
        self.source.tap(self.service.card_uri())
