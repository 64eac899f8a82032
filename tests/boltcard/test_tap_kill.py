"""kill -9 while a card's withdrawal is in flight: the restarted kiosk recovers the sale, and its invoice pin
(journaled before the callback), so it swaps no invoice the service may still pay; paid only if Mion says so."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kiosk.core.events import Request
from kiosk.core.model import Phase
from kiosk.core.view import PaidView
from kiosk.mion.sim_card import CardService
from kiosk.mion.simulator import MionSimulator
from kiosk.shell.loop import Hooks
from kiosk.store.taps import taps_of
from tests.clocks import FakeClock
from tests.helpers import drive, running_kiosk, settings_for

ROOT = Path(__file__).resolve().parents[2]


def test_a_kiosk_killed_mid_tap_recovers_the_sale_and_shows_paid_only_when_mion_says_so(
        simulator: MionSimulator, tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    held: list[str] = []
    with CardService(amount_of=simulator.invoice_amount_msat, pay=held.append) as card:
        card.slow_s = 1.0  # the callback is still running when the kiosk dies
        env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "GPIOZERO_PIN_FACTORY": "mock"}
        child = subprocess.Popen([sys.executable, "-m", "tests.boltcard.tap_kill_driver", str(state_dir),
                                  simulator.base_url, card.card_uri()],
                                 cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert child.stdout is not None and child.stderr is not None
            line = child.stdout.readline()
            assert line.startswith("TAPPED "), f"driver said {line!r}; stderr: {child.stderr.read() if child.poll() else ''}"
            reference = line.split()[1]
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=10)
            for stream in (child.stdout, child.stderr):
                if stream is not None:
                    stream.close()
        assert child.returncode == -signal.SIGKILL

        clock = FakeClock(datetime.now(UTC))
        with running_kiosk(settings_for(simulator, state_dir), state_dir, Hooks(clock=clock)) as app:
            drive(app, lambda a: a.register.sale is not None and a.register.sale.last_status is not None)
            assert app.register.phase is Phase.AWAITING_PAYMENT  # recovered, and not paid: Mion says not yet
            record = app.journal.get(reference)
            assert record is not None and record.phase is not Phase.PAID and record.attempts
            handed = record.attempts[-1]
            sale = app.register.sale
            assert sale is not None and sale.attempt is not None and sale.attempt.invoice == handed.invoice
            # the pin journaled before the callback came back with the sale: until the handed invoice expires
            [tap] = taps_of(app.journal, reference)
            assert tap.outcome == "sent" and tap.pinned_until == min(handed.expires_at, sale.session_expires_at)
            assert sale.tap_pinned_until == tap.pinned_until
            clock.now = tap.pinned_until - timedelta(seconds=1)  # long past the usual refresh; still pinned
            assert sale.invoice_fits(clock.now, app.register.timing)  # unpinned, a fresh invoice would come now
            turns = [0]

            def turn(_: object) -> None:
                turns[0] += 1

            drive(app, lambda a: turns[0] >= 3, step=turn)  # each turn ticks the register at pin end - 1 s
            assert Request.CREATE_ATTEMPT not in sale.in_flight and sale.attempt.invoice == handed.invoice
            deadline = time.monotonic() + 5
            while not held and time.monotonic() < deadline:  # the card's service finishes its callback
                time.sleep(0.02)
            assert held == [handed.invoice], "the card service never took the handed invoice"
            assert app.journal.get(reference).phase is not Phase.PAID  # type: ignore[union-attr]
            simulator.pay_invoice(held[0])  # ... and its payment reaches Mion
            still_pinned = tap.pinned_until - timedelta(seconds=0.5)

            def time_passes(_: object) -> None:  # polls fall due again, the pin still holds
                clock.now = min(clock.now + timedelta(seconds=0.01), still_pinned)

            drive(app, lambda a: isinstance(a.register.view(a.now()), PaidView), step=time_passes)
            assert sale.attempt.invoice == handed.invoice
            record = app.journal.get(reference)
            assert record is not None and record.phase is Phase.PAID
