"""How fast a Bolt Card tap goes through the kiosk, measured through all the real parts on loopback.

1. Tap to "Payment sent": from the card's link handed over by the card source to the frame that says
   the card's service took the invoice (the pin asked of the loop, the withdraw request fetched and
   checked, the callback answered). The card service and Mion are simulators on loopback, so this is
   the kiosk's own share; a real service adds its network time and its routing.
2. Tap to paid screen: the same, until Mion's paidAt is polled and the paid screen drawn (bounded by
   the poll interval, as for a wallet's payment). The held status poll (``kiosk.mion.worker.Hold``)
   asks Mion every poll interval and hands the change on at once. Here the card is tapped as soon as
   the invoice shows, in step with the poll that started with it, so the simulated service's payment
   lands just after an ask: this is the worst case, one whole interval; a tap at a random moment
   waits half of one on average.

Run: .venv/bin/python benchmarks/tap_latency.py [--sales 20] [--poll 0.5]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")

from kiosk.config import Settings
from kiosk.config_nfc import NfcSettings
from kiosk.core import events as ev
from kiosk.core.tap_view import TapStage
from kiosk.core.view import Frame, IdleView, InvoiceView, PaidView
from kiosk.display.window import Window
from kiosk.inputs.boltcard.build import build_reader
from kiosk.inputs.boltcard.source import FakeCardSource
from kiosk.mion.sim_card import CardService
from kiosk.mion.simulator import MionSimulator
from kiosk.shell.app import Hooks, KioskApp

KEY = "bench-key"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sales", type=int, default=20, help="sales paid by a tap (default 20)")
    parser.add_argument("--poll", type=float, default=0.5, help="Mion poll interval in seconds (default 0.5)")
    args = parser.parse_args()
    initiated: list[float] = []
    paid: list[float] = []
    with (MionSimulator(api_key=KEY, network="regtest") as simulator,
          CardService(amount_of=simulator.invoice_amount_msat, pay=simulator.pay_invoice) as card,
          tempfile.TemporaryDirectory() as tmp):
        base = Settings()
        settings = dataclasses.replace(
            base, mion=dataclasses.replace(base.mion, base_url=simulator.base_url, invoice_network="regtest"),
            sale=dataclasses.replace(base.sale, poll_interval_s=args.poll, paid_screen_s=0.1),
            nfc=NfcSettings(enabled=True, reader="demo"))
        source = FakeCardSource()
        state = {"step": "idle", "tapped": 0.0}
        holder: list[KioskApp] = []

        def on_frame(frame: Frame, window: Window) -> None:
            now = time.perf_counter()
            tap = frame.tap
            if state["step"] == "tapped" and tap is not None and tap.stage is TapStage.INITIATED:
                initiated.append(now - float(state["tapped"]))
                state["step"] = "initiated"
            elif state["step"] in ("tapped", "initiated") and isinstance(frame.view, PaidView):
                paid.append(now - float(state["tapped"]))
                state["step"] = "paid"

        def on_idle_loop(app: KioskApp) -> None:
            view = app.register.view(app.now())
            frame = app.frame(app.now())
            if state["step"] == "idle" and isinstance(view, IdleView):
                for key in "12.50":
                    app.feed(ev.KeyPressed(key=ev.Key(key)))
                app.feed(ev.KeyPressed(key=ev.Key.ENTER))
                state["step"] = "charged"
            elif state["step"] == "charged" and isinstance(view, InvoiceView) and frame.tap is not None:
                state["tapped"] = time.perf_counter()
                source.tap(card.card_uri())
                state["step"] = "tapped"
            elif state["step"] == "paid" and isinstance(view, IdleView):
                state["step"] = "idle"
                if len(paid) >= args.sales:
                    app.stop()

        reader = build_reader(settings.nfc, lambda m: holder[0].post(m), source=source, allow_local_http=True)
        hooks = Hooks(on_frame=on_frame, on_idle_loop=on_idle_loop)
        app = KioskApp(settings, api_key=KEY, state_dir=Path(tmp), hooks=hooks, readers=[reader])
        holder.append(app)
        with app:
            app.run()

    def ms(values: list[float], q: float) -> str:
        ordered = sorted(values)
        return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000:.0f} ms"

    print(f"{len(paid)} sales paid by a tap, poll interval {args.poll:g} s, Python {sys.version.split()[0]}")
    print(f"tap -> 'Payment sent' drawn: median {statistics.median(initiated) * 1000:.0f} ms, p95 {ms(initiated, 0.95)}")
    print(f"tap -> paid screen drawn:    median {statistics.median(paid) * 1000:.0f} ms, p95 {ms(paid, 0.95)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
