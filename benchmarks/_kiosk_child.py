"""The measured process for ``screen_cost.py``: either the real kiosk or the naive 30 fps loop.

``kiosk`` mode runs :class:`kiosk.shell.app.KioskApp` with its default settings, pointed at a simulator
that the parent runs (so the simulator's own work is not charged to the kiosk), types one amount and
then leaves the invoice on screen until SIGTERM. ``baseline`` mode opens the same display and redraws
the same invoice every frame at 30 fps with :func:`kiosk.display.screens.render`, as a loop with no
idea of what changed would.

Both talk to the parent in single lines on stdout, each stamped with ``time.monotonic()`` (one
system-wide clock, so the parent can subtract its own spawn time):

    FIRST_FRAME <t>            the first frame was drawn
    INVOICE <t> <json>         the invoice screen is shown; json carries what the baseline needs
    STATS <json>               on exit: draws made (full, partial) and loop wake-ups
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import kiosk.shell  # noqa: F401  # first: pygame as `kiosk run` loads it (kiosk.lean)

# isort: split
import pygame

from kiosk.config import Settings
from kiosk.core import events as ev
from kiosk.core.view import Frame, InvoiceView, ShopStatus
from kiosk.display import screens
from kiosk.display.window import Window
from kiosk.shell.app import Hooks, KioskApp

BENCH_KEY = "bench-key"
AMOUNT_KEYS = ("1", "2", ".", "5", "0")


def say(line: str) -> None:
    """One protocol line to the parent, flushed at once."""
    print(line, flush=True)


def run_kiosk(base_url: str, size: tuple[int, int], idle: bool = False) -> int:
    """Serve one sale's invoice until SIGTERM; report the first frame and the invoice screen.

    With ``idle`` nothing is typed: the idle screen stays up (the parent waits for FIRST_FRAME only).
    """
    base = Settings()
    settings = dataclasses.replace(
        base,
        mion=dataclasses.replace(base.mion, base_url=base_url, invoice_network="regtest"),
        display=dataclasses.replace(base.display, fullscreen=False, width=size[0], height=size[1]),
    )
    seen = {"first": False, "invoice": False, "typed": idle}
    loops = [0]

    def on_frame(frame: Frame, window: Window) -> None:
        now = time.monotonic()
        if not seen["first"]:
            seen["first"] = True
            say(f"FIRST_FRAME {now:.6f}")
        view = frame.view
        if isinstance(view, InvoiceView) and not seen["invoice"]:
            seen["invoice"] = True
            info = {"amount_cents": view.amount_cents, "amount_msat": view.amount_msat, "invoice": view.invoice,
                    "seconds_left": view.seconds_left, "lifetime_s": view.lifetime_s,
                    "reference": view.reference, "status": dataclasses.asdict(frame.status)}
            say(f"INVOICE {now:.6f} {json.dumps(info)}")

    def on_loop(app: KioskApp) -> None:
        loops[0] += 1
        if not seen["typed"]:
            seen["typed"] = True
            for key in AMOUNT_KEYS:
                app.feed(ev.KeyPressed(key=ev.Key(key)))
            app.feed(ev.KeyPressed(key=ev.Key.ENTER))

    with tempfile.TemporaryDirectory() as tmp:
        hooks = Hooks(on_frame=on_frame, on_idle_loop=on_loop)
        with KioskApp(settings, api_key=BENCH_KEY, state_dir=Path(tmp), hooks=hooks) as app:
            app.run()
            stats = {"full_draws": app.window.full_draws, "partial_draws": app.window.partial_draws,
                     "loops": loops[0]}
    say(f"STATS {json.dumps(stats)}")
    return 0


def run_till(base_url: str, size: tuple[int, int], port: str) -> int:
    """Serve the till on ``port`` (the line protocol) until SIGTERM, polling Mion every 0.1 s (``soak.py``)."""
    base = Settings()
    settings = dataclasses.replace(
        base,
        mion=dataclasses.replace(base.mion, base_url=base_url, invoice_network="regtest"),
        display=dataclasses.replace(base.display, fullscreen=False, width=size[0], height=size[1]),
        sale=dataclasses.replace(base.sale, poll_interval_s=0.1),
        pos=dataclasses.replace(base.pos, enabled=True, port=port),
    )
    seen = [False]

    def on_frame(frame: Frame, window: Window) -> None:
        if not seen[0]:
            seen[0] = True
            say(f"FIRST_FRAME {time.monotonic():.6f}")

    with tempfile.TemporaryDirectory() as tmp, \
            KioskApp(settings, api_key=BENCH_KEY, state_dir=Path(tmp), hooks=Hooks(on_frame=on_frame)) as app:
        app.run()
    return 0


def invoice_frame(info: dict[str, Any]) -> Frame:
    """The kiosk's invoice screen rebuilt from its INVOICE line."""
    view = InvoiceView(amount_cents=int(info["amount_cents"]), amount_msat=int(info["amount_msat"]),
                       invoice=str(info["invoice"]), seconds_left=int(info["seconds_left"]),
                       lifetime_s=int(info["lifetime_s"]), reference=str(info["reference"]))
    return Frame(view=view, status=ShopStatus(**info["status"]))


def run_baseline(size: tuple[int, int], fps: int, shown: Frame) -> int:
    """Redraw ``shown`` every frame at ``fps`` until SIGTERM, counting the countdown down."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    view, status = shown.view, shown.status
    assert isinstance(view, InvoiceView)
    pygame.display.init()
    pygame.font.init()
    try:
        display = pygame.display.set_mode(size)
        clock = pygame.time.Clock()
        started = time.monotonic()
        frames = 0
        while not stop.is_set():
            pygame.event.pump()
            left = max(0, view.seconds_left - int(time.monotonic() - started))
            screens.render(display, Frame(view=dataclasses.replace(view, seconds_left=left), status=status),
                           "en", anim_s=time.monotonic())
            pygame.display.flip()
            if frames == 0:
                say(f"FIRST_FRAME {time.monotonic():.6f}")
                say(f"INVOICE {time.monotonic():.6f} {{}}")
            frames += 1
            clock.tick(fps)
    finally:
        pygame.display.quit()
    say(f"STATS {json.dumps({'full_draws': frames, 'partial_draws': 0, 'loops': frames})}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("kiosk", "baseline", "till"))
    parser.add_argument("--port", help="till mode: the serial port (a pty's slave)")
    parser.add_argument("--size", required=True, help="WIDTHxHEIGHT")
    parser.add_argument("--base-url", help="kiosk mode: the simulator's base URL")
    parser.add_argument("--idle", action="store_true", help="kiosk mode: type nothing, stay on the idle screen")
    parser.add_argument("--fps", type=int, default=30, help="baseline mode: frames per second")
    parser.add_argument("--invoice-json", help="baseline mode: the INVOICE line's json from the kiosk run")
    parser.add_argument("--profile", type=Path, help="write cProfile stats of the whole run here")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    if args.mode == "till":
        if not (args.base_url and args.port):
            parser.error("till mode needs --base-url and --port")
        target: Callable[[], int] = functools.partial(run_till, args.base_url, (width, height), args.port)
    elif args.mode == "kiosk":
        if not args.base_url:
            parser.error("kiosk mode needs --base-url")
        target = functools.partial(run_kiosk, args.base_url, (width, height), args.idle)
    else:
        if not args.invoice_json:
            parser.error("baseline mode needs --invoice-json")
        shown = invoice_frame(json.loads(args.invoice_json))
        target = functools.partial(run_baseline, (width, height), args.fps, shown)
    if args.profile is None:
        return target()
    import cProfile

    profiler = cProfile.Profile()
    try:
        return int(profiler.runcall(target))
    finally:
        profiler.dump_stats(str(args.profile))


if __name__ == "__main__":
    sys.exit(main())
