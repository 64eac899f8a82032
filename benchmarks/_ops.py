"""CPU per operation and Enter -> invoice latency, from sales driven through the real kiosk in this process.

Used by ``pi_budget.py``. The kiosk (``KioskApp``, SDL dummy driver) runs here against a zero-latency
simulator; the simulator's threads are not charged: every figure is the CPU time of the thread that
did the work (``time.thread_time``), summed over the calls that make up one operation:

- a poll: one status request on a worker thread (the poll of the invoice on screen is held in the
  worker, which asks again every poll interval and hands an answer on only when it changes);
- an answer handed on: the loop's handling of a status answer (register, journal);
- a countdown frame: one partial redraw of the invoice screen;
- an invoice: the worker's attempt request (QR encoding included), the loop's handling of it and the
  full draw of the invoice screen;
- a paid sale: every call on the main thread from Enter to the paid screen drawn, plus every worker
  call made for the sale.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from kiosk.config import Settings
from kiosk.core import events as ev
from kiosk.core.view import Frame, InvoiceView, PaidView
from kiosk.mion.simulator import MionSimulator
from kiosk.shell.app import Hooks, KioskApp

KEY = "bench-key"


@dataclass
class OpFigures:
    """Medians over the sales, in milliseconds of CPU (latency: wall clock)."""

    enter_to_invoice_ms: list[float]
    poll_cpu_ms: list[float]
    countdown_cpu_ms: list[float]
    invoice_cpu_ms: list[float]
    sale_cpu_ms: list[float]
    answer_cpu_ms: list[float]


class _Meter:
    """Thread CPU of wrapped calls, by kind, for the sale under way."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_kind: dict[str, list[float]] = defaultdict(list)
        self.sale_ms = 0.0

    def add(self, kind: str, ms: float) -> None:
        with self.lock:
            self.by_kind[kind].append(ms)
            if kind.endswith("_request") or kind == "worker":  # worker threads: the main thread is timed whole
                self.sale_ms += ms

    def wrap(self, target: Any, name: str, kind_of: Any) -> None:
        original = getattr(target, name)

        def timed(*args: Any) -> Any:
            started = time.thread_time()
            before = kind_of(None, args)
            try:
                return original(*args)
            finally:
                kind = kind_of(before, args)
                if kind is not None:
                    self.add(kind, (time.thread_time() - started) * 1000)

        setattr(target, name, timed)


def run_sales(sales: int, poll_s: float = 0.25, pay_after_s: float = 1.3) -> OpFigures:
    """Drive ``sales`` sales from Enter to the paid screen; each invoice is paid ``pay_after_s`` after it shows."""
    meter = _Meter()
    enter_ms: list[float] = []
    sale_ms: list[float] = []
    state: dict[str, Any] = {"stage": "start", "enter": 0.0, "main0": 0.0}
    with tempfile.TemporaryDirectory() as tmp, MionSimulator(api_key=KEY, network="regtest") as sim:
        base = Settings()
        settings = dataclasses.replace(
            base,
            mion=dataclasses.replace(base.mion, base_url=sim.base_url, invoice_network="regtest"),
            display=dataclasses.replace(base.display, fullscreen=False, width=800, height=480),
            sale=dataclasses.replace(base.sale, poll_interval_s=poll_s),
            light=dataclasses.replace(base.light, enabled=False),
        )
        app_ref: list[KioskApp] = []

        def on_frame(frame: Frame, window: object) -> None:
            now = time.perf_counter()
            if isinstance(frame.view, InvoiceView) and state["stage"] == "entered":
                enter_ms.append((now - state["enter"]) * 1000)
                state["stage"] = "paying"
                session_id = app_ref[0].register.sale.session_id  # type: ignore[union-attr]
                timer = threading.Timer(pay_after_s, sim.mark_paid, args=(session_id,))
                timer.daemon = True
                timer.start()
            elif isinstance(frame.view, PaidView) and state["stage"] == "paying":
                with meter.lock:
                    worker_ms = meter.sale_ms
                sale_ms.append((time.thread_time() - state["main0"]) * 1000 + worker_ms)
                state["stage"] = "done"

        def step(app: KioskApp) -> None:
            if state["stage"] not in ("start", "done"):
                return
            if len(sale_ms) >= sales:
                app.stop()
                return
            with meter.lock:
                meter.sale_ms = 0.0
            state["main0"] = time.thread_time()
            if state["stage"] == "done":
                app.feed(ev.KeyPressed(key=ev.Key.CANCEL))
            for key in "12.5":
                app.feed(ev.KeyPressed(key=ev.Key(key)))
            state["stage"] = "entered"
            state["enter"] = time.perf_counter()
            app.feed(ev.KeyPressed(key=ev.Key.ENTER))

        with KioskApp(settings, api_key=KEY, state_dir=Path(tmp), hooks=Hooks(on_frame=on_frame)) as app:
            app_ref.append(app)
            assert app.worker is not None
            worker_kinds = {"CreateAttempt": "attempt_request"}
            meter.wrap(app.worker, "_call", lambda before, args: worker_kinds.get(type(args[0]).__name__, "worker"))
            meter.wrap(app.worker, "_status", lambda before, args: "status")  # one request (not summed twice)
            loop_kinds = {"StatusReceived": "poll_answer", "AttemptCreated": "attempt_answer"}
            meter.wrap(app.loop, "dispatch", lambda before, args: loop_kinds.get(type(args[0]).__name__))
            window = app.window

            def frame_kind(before: Any, args: Any) -> str | None:
                counts = (window.full_draws, window.partial_draws)
                if before is None:
                    return counts  # type: ignore[return-value]
                if counts[1] > before[1] and isinstance(args[0].view, InvoiceView):
                    return "countdown"
                if counts[0] > before[0] and isinstance(args[0].view, InvoiceView):
                    return "invoice_draw"
                return None

            meter.wrap(window, "show", frame_kind)
            app.hooks.on_idle_loop = step
            app.run()
    kinds = meter.by_kind
    poll = kinds["status"]
    invoice = [a + b + c for a, b, c in zip(kinds["attempt_request"], kinds["attempt_answer"], kinds["invoice_draw"],
                                           strict=False)]
    return OpFigures(enter_ms, poll, kinds["countdown"], invoice, sale_ms, kinds["poll_answer"])


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
