"""A kiosk in a child process that takes one sale to paid and then waits to be killed.

Run as ``python -m tests.kill_driver STATE_DIR RECEIPT_FILE`` from the project root. It starts its own
Mion simulator, types 7.50 on the keypad, pays the invoice, and once the journal holds the sale as
paid it prints ``PAID <reference>`` on stdout. Then it keeps serving (the printer is expected to be
unavailable, so the receipt job stays pending) until it is killed or ``LIFETIME_S`` passes.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

# The SDL/GPIO choices above must be made before pygame and gpiozero are imported.
from kiosk.core import events as ev
from kiosk.core.model import Phase
from kiosk.mion.simulator import MionSimulator
from tests.helpers import API_KEY, drive, running_kiosk, settings_for

LIFETIME_S = 30.0
"""Safety net: a driver nobody kills ends by itself."""


def main(state_dir: Path, receipt_file: Path) -> int:
    """Sell, pay, report PAID, then serve until killed."""
    with MionSimulator(api_key=API_KEY, network="regtest") as simulator:
        settings = settings_for(simulator, state_dir, printer={"kind": "file", "device": str(receipt_file)})
        with running_kiosk(settings, state_dir) as app:
            drive(app, lambda a: True)  # the first loop recovers (nothing) before anything is typed
            for key in "7.50":
                app.feed(ev.KeyPressed(key=ev.Key(key)))
            app.feed(ev.KeyPressed(key=ev.Key.ENTER))
            drive(app, lambda a: a.register.phase is Phase.AWAITING_PAYMENT)
            sale = app.register.sale
            assert sale is not None and sale.session_id is not None
            simulator.mark_paid(sale.session_id)
            reference = sale.reference
            drive(app, lambda a: (r := a.journal.get(reference)) is not None and r.phase is Phase.PAID)
            print(f"PAID {reference}", flush=True)
            ends = time.monotonic() + LIFETIME_S
            drive(app, lambda a: time.monotonic() > ends, timeout_s=LIFETIME_S + 5)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
