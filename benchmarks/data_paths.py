"""How many of the kiosk's source files the two data paths run through, counted by tracing.

1. Till path: from a till's ``SALE`` line arriving on the serial port (a pty) to the Mion
   create-session call.
2. Paid path: from Mion marking the session paid to the paid screen drawn, the LED lit, the receipt
   printed and the till told ``EVENT PAID``.

Every Python function call on every thread is recorded (``sys.setprofile``/``threading.setprofile``)
while a path runs; the figure is the number of distinct files under ``kiosk/`` whose code ran, the
simulator's own files left out (it stands in for Mion). Fewer files on a path means fewer places a
reader has to follow it through.

Run: .venv/bin/python benchmarks/data_paths.py [--list]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import pty
import sys
import tempfile
import threading
import time
import tty
from pathlib import Path
from types import FrameType
from typing import Any

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")

import kiosk
from kiosk.config import Settings
from kiosk.core.view import PaidView
from kiosk.mion.simulator import MionSimulator

try:
    from kiosk.shell.app import Hooks, KioskApp
except ImportError:  # an older layout, to compare with
    from kiosk.app import Hooks, KioskApp  # type: ignore[no-redef]

KEY = "paths-key"
ROOT = Path(kiosk.__file__).parent
LEFT_OUT = ("mion/simulator.py", "mion/sim_")


class Recorder:
    def __init__(self) -> None:
        self.files: dict[str, str] = {}
        """File -> the first of its functions that ran."""
        self.on = False
        self.stop_at: tuple[str, str] | None = None
        self.lock = threading.Lock()

    def profile(self, frame: FrameType, event: str, arg: Any) -> None:
        if event != "call" or not self.on:
            return
        path = frame.f_code.co_filename
        if not path.startswith(str(ROOT)):
            return
        name = str(Path(path).relative_to(ROOT))
        if name.startswith(LEFT_OUT):
            return
        with self.lock:
            self.files.setdefault(name, frame.f_code.co_name)
            if self.stop_at == (name, frame.f_code.co_name):
                self.on = False

    def start(self, stop_at: tuple[str, str] | None = None) -> None:
        self.files = {}
        self.stop_at = stop_at
        self.on = True


def till_connected(app: Any) -> bool:
    till = getattr(app, "till", None)
    if till is not None:
        return bool(till.connected)
    return bool(app.outputs.till_connected)


def measure() -> tuple[dict[str, str], dict[str, str]]:
    recorder = Recorder()
    master, slave = pty.openpty()
    tty.setraw(slave)
    os.set_blocking(master, False)
    received = bytearray()
    state: dict[str, Any] = {"paid_drawn": False}

    def on_frame(frame: Any, window: Any) -> None:
        if isinstance(frame.view, PaidView):
            state["paid_drawn"] = True

    with tempfile.TemporaryDirectory() as tmp, MionSimulator(api_key=KEY, network="regtest") as simulator:
        state_dir = Path(tmp)
        base = Settings()
        settings = dataclasses.replace(
            base,
            mion=dataclasses.replace(base.mion, base_url=simulator.base_url, invoice_network="regtest"),
            display=dataclasses.replace(base.display, fullscreen=False, width=800, height=480),
            sale=dataclasses.replace(base.sale, poll_interval_s=0.2),
            printer=dataclasses.replace(base.printer, kind="file", device=str(state_dir / "receipts.bin")),
            light=dataclasses.replace(base.light, enabled=True, pin="GPIO17"),
            pos=dataclasses.replace(base.pos, enabled=True, port=os.ttyname(slave)),
        )
        hooks = Hooks(on_frame=on_frame)
        app = KioskApp(settings, api_key=KEY, state_dir=state_dir, hooks=hooks)
        steps: list[str] = []

        def read_till() -> None:
            try:
                received.extend(os.read(master, 4096))
            except (BlockingIOError, OSError):
                pass

        def script(kiosk_app: Any) -> None:
            read_till()
            step = len(steps)
            if step == 0 and till_connected(kiosk_app):
                recorder.start(stop_at=("mion/client.py", "create_session"))
                os.write(master, b"SALE 1250 T-1\r\n")
                steps.append("sale sent")
            elif step == 1 and not recorder.on:
                steps.append("till path done")
                state["till"] = dict(recorder.files)
            elif step == 2 and b"EVENT INVOICE" in received:
                sale = kiosk_app.register.sale
                recorder.start()
                simulator.mark_paid(sale.session_id)
                steps.append("paid")
            elif step == 3 and (state["paid_drawn"] and b"EVENT PAID" in received
                                and (state_dir / "receipts.bin").exists()
                                and kiosk_app.register.phase.value == "paid"):
                time.sleep(0.5)  # the print worker finishes its slip
                recorder.on = False
                state["paid"] = dict(recorder.files)
                kiosk_app.stop()
            if time.monotonic() - started > 30:
                kiosk_app.stop()

        hooks.on_idle_loop = script
        sys.setprofile(recorder.profile)
        threading.setprofile(recorder.profile)
        started = time.monotonic()
        with app:
            app.run()
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]
    os.close(master)
    os.close(slave)
    if "paid" not in state:
        raise SystemExit(f"the sale did not finish: {steps}")
    return state["till"], state["paid"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--list", action="store_true", help="list the files of each path and the first function that ran in each")
    args = parser.parse_args()
    till, paid = measure()
    for title, files in (("till line -> Mion create call", till), ("Mion paid -> screen, LED, receipt, till", paid)):
        print(f"{title}: {len(files)} files")
        if args.list:
            for name in sorted(files):
                print(f"  {name:<28} (first: {files[name]})")


if __name__ == "__main__":
    main()
