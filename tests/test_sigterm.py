"""SIGTERM ends the kiosk within 2 s in any state: idle, or with a Mion request that hangs or trickles
its answer a byte at a time (with the default timeouts, whose deadline is 8 s)."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kiosk.mion.simulator import MionSimulator

ROOT = Path(__file__).resolve().parents[1]

CHILD = textwrap.dedent("""
    import dataclasses, os, sys, time
    for name, value in (("SDL_VIDEODRIVER", "dummy"), ("SDL_AUDIODRIVER", "dummy"),
                        ("GPIOZERO_PIN_FACTORY", "mock"), ("PYGAME_HIDE_SUPPORT_PROMPT", "1")):
        os.environ.setdefault(name, value)
    from pathlib import Path
    from kiosk.config import Settings
    from kiosk.core.model import SaleSource
    from kiosk.shell.app import Hooks, KioskApp
    url, state, sell = sys.argv[1], Path(sys.argv[2]), sys.argv[3] == "sell"
    base = Settings()
    settings = dataclasses.replace(base, mion=dataclasses.replace(
        base.mion, base_url=url, invoice_network="regtest"))  # the default timeouts: 3.05 s + 5 s
    started = []

    def on_loop(app):
        if not started:
            started.append(time.monotonic())
            if sell:
                app.open_sale(1250, SaleSource.KEYPAD)
            print("busy" if sell else "idle", flush=True)

    with KioskApp(settings, api_key="sigterm-key", state_dir=state, hooks=Hooks(on_idle_loop=on_loop)) as app:
        app.run()
    print("stopped", flush=True)
""")


def start(simulator: MionSimulator, state: Path, mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", CHILD, simulator.base_url, str(state), mode], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


def read_line(child: subprocess.Popen[str], timeout_s: float) -> str:
    assert child.stdout is not None
    ready, _, _ = select.select([child.stdout], [], [], timeout_s)
    assert ready, "the kiosk said nothing"
    return child.stdout.readline().strip()


@pytest.mark.parametrize("state", ["idle", "hung", "trickled"])
def test_sigterm_ends_the_kiosk_within_two_seconds(tmp_path: Path, state: str) -> None:
    with MionSimulator(api_key="sigterm-key", network="regtest", hang_s=60) as simulator:
        if state == "hung":
            simulator.fail_next(1000, "timeout")  # every request hangs unanswered
        elif state == "trickled":
            simulator.trickle_s = 0.5
            simulator.fail_next(1000, "trickle")  # every answer comes a byte every half second
        child = start(simulator, tmp_path, "idle" if state == "idle" else "sell")
        try:
            assert read_line(child, 20) in ("idle", "busy")
            time.sleep(1.5)  # the create call is now well inside its 8 s deadline
            signalled = time.monotonic()
            child.send_signal(signal.SIGTERM)
            assert read_line(child, 10) == "stopped"
            child.wait(timeout=10)
            took = time.monotonic() - signalled
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
    assert child.returncode == 0
    print(f"SIGTERM, kiosk {state}: stopped in {took:.2f} s")
    assert took < 2.0, f"SIGTERM took {took:.2f} s"
