"""A kiosk with a Bolt Card reader fed by a fake card source, and the simulator's card service."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kiosk.config_nfc import NfcSettings
from kiosk.core import events as ev
from kiosk.core.tap_view import TapStage
from kiosk.core.view import InvoiceView
from kiosk.inputs.boltcard.build import build_reader, journaling
from kiosk.inputs.boltcard.reader import BoltCardReader, TapRecord
from kiosk.inputs.boltcard.source import FakeCardSource
from kiosk.mion.sim_card import CardService
from kiosk.mion.simulator import MionSimulator
from kiosk.shell.app import KioskApp
from tests.helpers import API_KEY, drive, settings_for


@dataclasses.dataclass
class Rig:
    app: KioskApp
    reader: BoltCardReader
    source: FakeCardSource
    service: CardService
    records: list[TapRecord]

    def charge(self, amount: str) -> None:
        for key in amount:
            self.app.feed(ev.KeyPressed(key=ev.Key(key)))
        self.app.feed(ev.KeyPressed(key=ev.Key.ENTER))
        drive(self.app, lambda a: isinstance(a.register.view(a.now()), InvoiceView)
              and a.frame(a.now()).tap is not None)

    def tap(self) -> None:
        self.source.tap(self.service.card_uri())

    def stage(self) -> TapStage | None:
        tap = self.app.frame(self.app.now()).tap
        return None if tap is None else tap.stage

    def drive_until_stage(self, stage: TapStage, timeout_s: float = 10.0) -> None:
        drive(self.app, lambda a: self.stage() is stage, timeout_s=timeout_s)


@contextlib.contextmanager
def tap_kiosk(simulator: MionSimulator, tmp_path: Path, *, nfc: dict[str, Any] | None = None,
              **service: Any) -> Iterator[Rig]:
    settings = settings_for(simulator, tmp_path)
    nfc_settings = dataclasses.replace(NfcSettings(enabled=True, reader="demo"), **(nfc or {}))
    settings = dataclasses.replace(settings, nfc=nfc_settings)
    holder: list[KioskApp] = []
    source = FakeCardSource()
    records: list[TapRecord] = []

    def record(tap: TapRecord) -> None:
        records.append(tap)
        journaling(holder[0].journal, holder[0].now)(tap)

    reader = build_reader(nfc_settings, lambda message: holder[0].post(message), source=source,
                          allow_local_http=True, record=record)
    faults = {k: service.pop(k) for k in list(service) if k in ("advertised_max_msat", "never_pays", "pay_twice")}
    with CardService(amount_of=simulator.invoice_amount_msat, pay=simulator.pay_invoice, **service) as card:
        for name, value in faults.items():
            setattr(card, name, value)
        app = KioskApp(settings, api_key=API_KEY, state_dir=tmp_path, readers=[reader])
        holder.append(app)
        with app:
            yield Rig(app=app, reader=reader, source=source, service=card, records=records)
