"""A kiosk in a child process that is killed while a card's withdrawal is in flight.

Run as ``python -m tests.boltcard.tap_kill_driver STATE_DIR MION_URL CARD_URI`` from the project root.
It sells 7.50 against the parent's Mion simulator, taps the card whose link is ``CARD_URI`` (the
parent's card service holds the callback), prints ``TAPPED <reference>`` once the card's service has
been called, and then serves until it is killed or ``LIFETIME_S`` passes.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from kiosk.config import Settings
from kiosk.config_nfc import NfcSettings
from kiosk.core import events as ev
from kiosk.core.tap_view import TapStage
from kiosk.core.view import InvoiceView
from kiosk.inputs.boltcard.build import build_reader, journaling
from kiosk.inputs.boltcard.source import FakeCardSource
from kiosk.shell.app import KioskApp
from tests.helpers import API_KEY, drive

LIFETIME_S = 30.0


def main(state_dir: Path, mion_url: str, card_uri: str) -> int:
    base = Settings()
    settings = dataclasses.replace(
        base, mion=dataclasses.replace(base.mion, base_url=mion_url, invoice_network="regtest",
                                       connect_timeout_s=0.5, read_timeout_s=0.5),
        nfc=NfcSettings(enabled=True, reader="demo"))
    holder: list[KioskApp] = []
    source = FakeCardSource()
    reader = build_reader(settings.nfc, lambda m: holder[0].post(m), source=source, allow_local_http=True)
    with KioskApp(settings, api_key=API_KEY, state_dir=state_dir, readers=[reader]) as app:
        holder.append(app)
        reader.record = journaling(app.journal, app.now)
        drive(app, lambda a: True)
        for key in "7.50":
            app.feed(ev.KeyPressed(key=ev.Key(key)))
        app.feed(ev.KeyPressed(key=ev.Key.ENTER))
        drive(app, lambda a: isinstance(a.register.view(a.now()), InvoiceView) and a.frame(a.now()).tap is not None)
        source.tap(card_uri)
        drive(app, lambda a: (t := a.frame(a.now()).tap) is not None and t.stage is TapStage.PROCESSING)
        sale = app.register.sale
        assert sale is not None
        time.sleep(0.1)  # the callback is on its way to the (slow) card service
        print(f"TAPPED {sale.reference}", flush=True)
        ends = time.monotonic() + LIFETIME_S
        drive(app, lambda a: time.monotonic() > ends, timeout_s=LIFETIME_S + 5)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2], sys.argv[3]))
