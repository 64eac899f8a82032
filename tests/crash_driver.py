"""The real kiosk in a child process, playing sales against a simulator it is given the URL of.

Run by ``tests/test_crash_recovery.py`` and killed with SIGKILL at random moments::

    python -m tests.crash_driver --url http://127.0.0.1:PORT --state DIR --seed 7 [--till /dev/pts/N]
    python -m tests.crash_driver --url ... --state DIR --recover-only --clock-offset 60

In play mode it opens a sale whenever none is open and, once the invoice is on screen, pays it
through the simulator's control interface (like a customer's wallet would) or, for a share of the
sales (``--cancel-share``), cancels it, at random (seeded). ``--recover-only`` opens no sales: it runs until recovery is done (no open sale, nothing
watched, no receipt or till line queued), then exits 0. ``--clock-offset`` moves the kiosk's clock, to match a
simulator whose clock was moved. Prints ``ready`` once the kiosk is up (the parent waits for it).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

for name, value in (("SDL_VIDEODRIVER", "dummy"), ("SDL_AUDIODRIVER", "dummy"), ("GPIOZERO_PIN_FACTORY", "mock"),
                    ("PYGAME_HIDE_SUPPORT_PROMPT", "1")):
    os.environ.setdefault(name, value)

from kiosk.config import Settings
from kiosk.core import events as ev
from kiosk.core.model import SaleSource
from kiosk.core.view import InvoiceView
from kiosk.shell.app import Hooks, KioskApp
from tests.helpers import API_KEY, settings_for

log = logging.getLogger(__name__)

SESSION_LIFETIME_S = 30
"""Short sessions: the final recovery jumps past them, so every unpaid sale can be ended."""
RECOVER_TIMEOUT_S = 25.0


def crash_settings(url: str, state_dir: Path, till_port: str = "") -> Settings:
    """Fast timings so that many sales fit between kills; the printer writes to a file; the till
    (event lines) is on ``till_port`` when one is given."""
    pos: dict[str, object] = {"enabled": bool(till_port), "port": till_port, "mode": "line"}
    return settings_for(SimpleNamespace(base_url=url), state_dir,  # type: ignore[arg-type]
                        sale={"session_lifetime_s": SESSION_LIFETIME_S, "refresh_margin_s": 1.0,
                              "refresh_lead_s": 1.0, "late_grace_s": 1.0, "paid_screen_s": 0.2,
                              "message_screen_s": 0.2},
                        light={"enabled": False}, pos=pos)


class Player:
    """Plays sales from the loop: open, then pay or cancel once the invoice shows."""

    def __init__(self, url: str, rng: random.Random, *, recover_only: bool, cancel_share: float) -> None:
        self._url = url
        self._rng = rng
        self._recover_only = recover_only
        self._cancel_share = cancel_share
        self._plan: tuple[str, str, float] | None = None  # (reference, "pay"/"cancel", at monotonic)
        self.done = False

    def __call__(self, app: KioskApp) -> None:
        register = app.register
        reference = register.open_reference
        if self._recover_only:
            if (reference is None and not register.watches and not app.journal.pending_prints()
                    and not app.journal.pending_till_messages()):
                self.done = True
                app.stop()
            return
        if reference is None:
            app.open_sale(self._rng.randint(1, 5000), SaleSource.KEYPAD)
            return
        if not isinstance(register.view(app.now()), InvoiceView):
            return
        if self._plan is None or self._plan[0] != reference:
            action = "cancel" if self._rng.random() < self._cancel_share else "pay"
            self._plan = (reference, action, time.monotonic() + self._rng.uniform(0.0, 0.3))
        _, action, at = self._plan
        if time.monotonic() < at:
            return
        if action == "cancel":
            app.feed(ev.KeyPressed(key=ev.Key.CANCEL))
        else:
            sale = register.sale
            assert sale is not None and sale.session_id is not None
            request = urllib.request.Request(f"{self._url}/_sim/sessions/{sale.session_id}/pay", data=b"{}",
                                             method="POST")
            with urllib.request.urlopen(request, timeout=2) as answer:
                answer.read()
            self._plan = (reference, "paid", float("inf"))


def main(argv: list[str] | None = None) -> int:
    """Run the kiosk until killed (play) or until recovery is done (``--recover-only``)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--state", required=True, type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--recover-only", action="store_true")
    parser.add_argument("--clock-offset", type=float, default=0.0)
    parser.add_argument("--cancel-share", type=float, default=0.0,
                        help="share of sales the cashier cancels instead of the customer paying (0 to 1)")
    parser.add_argument("--till", default="", help="serial port of the till (a pty), for event lines")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    offset = timedelta(seconds=args.clock_offset)
    player = Player(args.url, random.Random(args.seed), recover_only=args.recover_only,
                    cancel_share=args.cancel_share)
    deadline = time.monotonic() + RECOVER_TIMEOUT_S

    def on_loop(app: KioskApp) -> None:
        player(app)
        if args.recover_only and time.monotonic() > deadline:
            app.stop()

    hooks = Hooks(on_idle_loop=on_loop, clock=lambda: datetime.now(UTC) + offset)
    settings = crash_settings(args.url, args.state, args.till)
    with KioskApp(settings, api_key=API_KEY, state_dir=args.state, hooks=hooks) as app:
        print("ready", flush=True)
        app.run()
        if args.recover_only:
            print(json.dumps({"recovered": player.done}), flush=True)
    return 0 if player.done or not args.recover_only else 3


if __name__ == "__main__":
    sys.exit(main())
