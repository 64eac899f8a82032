"""Demo mode: the kiosk against the built-in Mion simulator, in a window or headless.

In a window: type an amount and press Enter, then press P to pay the shown invoice (as the customer's
wallet would), T to tap the demo Bolt Card (from 50 EUR it asks for its PIN, 1234), N to pull and
restore the network, Esc to cancel. Headless: one scripted sale on SDL's
dummy driver, each state change printed and each screen saved as a PNG.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import shutil
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import kiosk.shell  # noqa: F401  # first: it loads pygame as the kiosk does (kiosk.lean)

# isort: split
import pygame

from kiosk.commands import common
from kiosk.commands.demo_card import DemoCard
from kiosk.config import Settings
from kiosk.core import events as ev
from kiosk.core.view import Frame, InvoiceView, MessageView, TipView
from kiosk.display.window import Window
from kiosk.errors import DisplayError
from kiosk.inputs.boltcard.build import journaling
from kiosk.mion.simulator import MionSimulator
from kiosk.shell.app import Hooks, KioskApp
from kiosk.store.paths import ensure_state_dir

log = logging.getLogger(__name__)

DEMO_API_KEY = "demo-key"
HEADLESS_TIME_LIMIT_S = 60.0


def demo_settings(settings: Settings, simulator: MionSimulator, state_dir: Path, *,
                  window: tuple[int, int] | None) -> Settings:
    """The given settings, pointed at the simulator, printing receipts to a file, in a window (800x480
    unless ``window`` or the settings' display size say otherwise)."""
    mion = dataclasses.replace(settings.mion, base_url=simulator.base_url, invoice_network="regtest",
                               api_key_file="", api_key_env="KIOSK_DEMO_API_KEY")
    printer = settings.printer
    if printer.kind == "none":
        printer = dataclasses.replace(printer, kind="file", device=str(state_dir / "receipts.bin"))
    display = settings.display
    width, height = window or (display.width or 800, display.height or 480)
    display = dataclasses.replace(display, fullscreen=False, width=width, height=height)  # the demo is a window
    return dataclasses.replace(settings, mion=mion, printer=printer, display=display)


@dataclass
class _Demo:
    simulator: MionSimulator
    card: DemoCard | None = None
    offline: bool = False

    def on_key(self, app: KioskApp, event: pygame.event.Event) -> bool:
        if event.key == pygame.K_t and self.card is not None:
            self.card.tap()
            log.info("demo: the customer tapped the demo card")
            return True
        if event.key == pygame.K_p:
            sale = app.register.sale
            if sale is not None and sale.session_id is not None and app.register.phase.is_open:
                self.simulator.mark_paid(sale.session_id)
                log.info("demo: the customer paid %s", sale.reference)
            return True
        if event.key == pygame.K_n:
            self.offline = not self.offline
            self.simulator.set_offline(self.offline)
            log.info("demo: network %s", "pulled" if self.offline else "restored")
            return True
        return False


def run_demo(settings: Settings, state_dir: Path, *, window: tuple[int, int] | None) -> int:
    """Run the interactive demo in a window until it is closed."""
    os.umask(0o077)  # the journal, receipts and simulator store are the shop's business only
    # The demo's Mion keeps its sessions next to the journal, so a kiosk killed mid-sale and started
    # again finds the truth where it left it, as it would with the real Mion.
    ensure_state_dir(state_dir)
    with (MionSimulator(api_key=DEMO_API_KEY, network="regtest", store=state_dir / "simulator.json") as simulator,
          DemoCard(simulator) as card):
        app = demo_app(settings, state_dir, simulator, card, window=window)
        with app:
            print(f"Demo kiosk: journal and receipts in {state_dir}")
            print("Type an amount and press Enter; P pays the invoice, T taps the demo card (PIN 1234 from "
                  "50 EUR), N pulls/restores the network, Esc cancels; close the window to quit.")
            if settings.tips.enabled:
                print("Tips are on: the customer picks 1, 2 or 3 (a preset), 0 (no tip) or . (types a tip).")
            if settings.accessibility.more_time:
                print("On the invoice screen, Enter gives the customer a fresh invoice (more time).")
            app.run()
    return 0


def demo_app(settings: Settings, state_dir: Path, simulator: MionSimulator, card: DemoCard, *,
             window: tuple[int, int] | None) -> KioskApp:
    """The interactive demo's kiosk: against ``simulator``, with the demo card, and the demo's keys
    (P pays, T taps, N pulls the network) on top of the keypad's. A till (``[pos]``, e.g. ZVT with
    ``[zvt] listen``) in ``settings`` is served as in ``kiosk run``."""
    demo = _Demo(simulator, card)
    settings = DemoCard.settings(demo_settings(settings, simulator, state_dir, window=window))
    hooks = Hooks()
    app = _with_card(settings, state_dir, hooks, card)
    hooks.on_key = lambda event: demo.on_key(app, event)
    return app


def _with_card(settings: Settings, state_dir: Path, hooks: Hooks, card: DemoCard) -> KioskApp:
    """The demo kiosk with the demo card's reader (it posts to the app's loop once the app exists)."""
    holder: list[KioskApp] = []
    reader = card.reader(settings, lambda message: holder[0].post(message))
    app = KioskApp(settings, api_key=DEMO_API_KEY, state_dir=state_dir, hooks=hooks, demo=True, readers=[reader])
    reader.record = journaling(app.journal, hooks.clock)
    holder.append(app)
    return app


@dataclass
class _Script:
    """The headless demo's one sale, advanced once per loop iteration."""

    simulator: MionSimulator
    out_dir: Path
    card: DemoCard | None = None
    """Pay by tapping the demo card rather than through the simulator's control."""
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    shots: list[Path] = field(default_factory=list)
    last_name: str = ""
    step: int = 0
    invoice_seen_at: datetime | None = None
    failed: str | None = None
    last_state: tuple[str, str | None] = ("", None)

    def on_frame(self, frame: Frame, window: Window) -> None:
        name = _screen_name(frame)
        if name == self.last_name:
            return
        self.last_name = name
        path = self.out_dir / f"{len(self.shots) + 1:02d}-{name}.png"
        window.save_png(path)
        self.shots.append(path)
        print(f"screen: {name:<12} -> {path}")

    def advance(self, app: KioskApp) -> None:
        state = (app.register.phase.value, app.devices.light_pattern)
        if state != self.last_state:
            self.last_state = state
            print(f"state:  {state[0]:<17} LED {state[1] or 'none'}")
        now = datetime.now(UTC)
        if now - self.started > timedelta(seconds=HEADLESS_TIME_LIMIT_S):
            self.failed = f"the sale did not finish within {HEADLESS_TIME_LIMIT_S:.0f} s"
            app.stop()
            return
        view = app.register.view(now)
        if self.step == 0:
            for key in ("1", "2", ".", "5", "0"):
                app.feed(ev.KeyPressed(key=ev.Key(key)))
            self.step = 1
        elif self.step == 1:
            app.feed(ev.KeyPressed(key=ev.Key.ENTER))
            self.step = 2
        elif self.step == 2 and isinstance(view, TipView):
            # With [tips] on, the customer takes 10 % when it is offered, else the first option.
            option = next((o for o in view.options if o.pct == 10), view.options[0])
            print(f"customer: tip {option.pct} % (+{option.tip_cents} cents) on key {option.key}")
            app.feed(ev.KeyPressed(key=ev.Key(option.key)))
        elif self.step == 2 and isinstance(view, InvoiceView):
            self.invoice_seen_at = self.invoice_seen_at or now
            offered = self.card is not None and self.last_name == "invoice-tap"  # "or tap your card" is on screen
            if offered or now - self.invoice_seen_at >= timedelta(seconds=1):
                sale = app.register.sale
                assert sale is not None and sale.session_id is not None
                if self.card is not None:
                    self.card.tap()
                    print(f"card: the demo card was tapped for {sale.reference}")
                else:
                    self.simulator.mark_paid(sale.session_id)
                    print(f"simulator: session {sale.session_id} marked paid")
                self.step = 3
        elif self.step == 2 and isinstance(view, MessageView):
            self.failed = f"the sale ended as {view.kind.value}: {view.detail or ''}"
            app.stop()
        elif self.step == 3 and app.register.phase.value == "idle":
            app.stop()


def run_headless(settings: Settings, out_dir: Path, *, size: tuple[int, int], pay_with: str = "qr") -> int:
    """Play one scripted sale on SDL's dummy driver; save each screen as a PNG in ``out_dir``.

    Everything the run writes goes into ``out_dir``: the screens, and in ``out_dir/state`` a fresh
    journal and the receipt bytes, so every run plays the same sale from a clean start.
    """
    os.environ["SDL_VIDEODRIVER"] = "dummy"
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("[0-9][0-9]-*.png"):
        old.unlink()
    state_dir = out_dir / "state"
    shutil.rmtree(state_dir, ignore_errors=True)
    with MionSimulator(api_key=DEMO_API_KEY, network="regtest") as simulator, DemoCard(simulator) as card:
        settings = demo_settings(settings, simulator, state_dir, window=size)
        settings = dataclasses.replace(settings, sale=dataclasses.replace(settings.sale, paid_screen_s=2.0))
        script = _Script(simulator, out_dir, card if pay_with == "card" else None)
        hooks = Hooks(on_frame=script.on_frame, on_idle_loop=script.advance)
        if pay_with == "card":
            app = _with_card(DemoCard.settings(settings), state_dir, hooks, card)
        else:
            app = KioskApp(settings, api_key=DEMO_API_KEY, state_dir=state_dir, hooks=hooks, demo=True)
        with app:
            print(f"Headless demo: simulator at {simulator.base_url}, journal in {state_dir}")
            app.run()
            last = app.journal.last_paid()
    if script.failed:
        print(f"demo failed: {script.failed}", file=sys.stderr)
        return 1
    if last is not None:
        tip = f" (tip {last.tip_cents} cents)" if last.tip_cents else ""
        print(f"paid: {last.reference}, {last.amount_cents} cents{tip}, {last.amount_sat} sats, paidAt "
              f"{last.paid_at.isoformat() if last.paid_at else '?'}")
    print(f"receipt bytes written to {settings.printer.device}")
    print(f"{len(script.shots)} screens saved in {out_dir}")
    return 0


def _screen_name(frame: Frame) -> str:
    view = frame.view
    if isinstance(view, MessageView):
        return view.kind.value
    name = type(view).__name__.removesuffix("View").lower()
    if frame.tap is not None:  # "invoice-tap": "or tap your card"; then "invoice-tap-processing", ...
        return f"{name}-tap" + ("" if frame.tap.stage.value == "offered" else f"-{frame.tap.stage.value}")
    return {"amountentry": "entry"}.get(name, name)



def main(args: argparse.Namespace) -> int:
    """``kiosk demo``."""
    settings = common.settings(args)
    if args.headless:
        return run_headless(settings, args.out, size=args.window or (800, 480), pay_with=args.pay_with)
    try:
        return run_demo(settings, common.state_dir(args, demo=True), window=args.window)
    except DisplayError as exc:
        print(f"kiosk: cannot open a display: {exc}; try: kiosk demo --headless", file=sys.stderr)
        return 1
