"""The Pi-class budget (issue #17): every figure in one run, side by side with a naive 30 fps loop.

The machine is shared, so CPU is judged as a ratio against the naive loop measured in the same run
(``_kiosk_child.py baseline``: the same invoice redrawn every frame at 30 fps), besides its absolute value.

1. Invoice shown (real kiosk child, 800x480, SDL dummy driver, Mion simulator in this process, poll 0.5 s):
   CPU of the process, voluntary context switches of all its threads per second (its wake-ups),
   peak RSS (VmHWM), spawn to first frame. Then the naive 30 fps loop on the same invoice.
2. Idle screen (real kiosk child, nothing typed): CPU and wake-ups.
3. Sales through the real kiosk in this process (``_ops.py``): Enter -> invoice screen (zero-latency
   simulator, wall clock) and the CPU of one poll, one countdown frame, one invoice and one paid sale.
4. With ``--soak N``: ``soak.py`` (paid sales back to back through the till line), RSS growth per 1000 sales.

Every figure is a median of ``--repeats`` runs (CPU windows) or of all the sales (operations).

The Pi figures are an ESTIMATE, not a measurement: this machine's CPU per operation times an assumed
single-thread slowdown (``PI_FACTORS``: Pi 4 (Cortex-A72, 1.8 GHz) x4, Zero 2 W (Cortex-A53, 1 GHz) x12
against one core of this x86 server for CPython code; the ratios of published single-core scores).

Run: .venv/bin/python benchmarks/pi_budget.py [--seconds 20] [--repeats 3] [--sales 30] [--soak 0]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _ops import median, run_sales
from screen_cost import Child, cpu_model

from kiosk.mion.simulator import MionSimulator

BENCH_KEY = "bench-key"  # must match _kiosk_child.BENCH_KEY
SIZE = "800x480"
PI_FACTORS = {"Pi 4": 4.0, "Zero 2 W": 12.0}
"""Assumed CPU-time factor of one core of each board against one core of this machine (an estimate)."""

TARGETS = {
    "invoice_cpu_pct": 0.5,
    "invoice_ratio": 0.08,
    "idle_cpu_pct": 0.2,
    "invoice_wakeups": 6.0,
    "enter_to_invoice_ms": 15.0,
    "peak_rss_mb": 50.0,
    "first_frame_s": 0.30,
    "soak_mb_per_1000": 0.5,
}


@dataclass(frozen=True)
class Window:
    cpu_pct: float
    wakeups_per_s: float
    peak_rss_mb: float
    first_frame_s: float


def ctx_switches(pid: int) -> int:
    """Voluntary context switches of every thread of ``pid`` (each is a sleep that something ended)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            text = (task / "status").read_text()
        except OSError:
            continue  # the thread ended meanwhile
        match = re.search(r"^voluntary_ctxt_switches:\s+(\d+)", text, re.MULTILINE)
        if match:
            total += int(match.group(1))
    return total


def cpu_ns(pid: int) -> int:
    """Time on a CPU of every live thread of ``pid``, in nanoseconds (``/proc/PID/task/TID/schedstat``).

    Clock ticks (``/proc/PID/stat``) count in 10 ms steps, too coarse for a process that works a few
    milliseconds a second; the scheduler's own account is exact. A thread that ends within the
    window is left out, which the steady states measured here do not have.
    """
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, IndexError, ValueError):
            continue  # the thread ended meanwhile
    return total


def measure(args: list[str], seconds: float, *, wait_invoice: bool) -> Window:
    child = Child(args)
    try:
        first_at = float(child.expect("FIRST_FRAME")[0])
        if wait_invoice:
            child.expect("INVOICE")
        time.sleep(1.0)  # let start-up work and the first poll settle
        pid = child.process.pid
        t0, cpu0, ctx0 = time.monotonic(), cpu_ns(pid), ctx_switches(pid)
        time.sleep(seconds)
        t1, cpu1, ctx1 = time.monotonic(), cpu_ns(pid), ctx_switches(pid)
        peak = child.peak_rss_mb()
        if child.process.poll() is not None:
            raise RuntimeError(f"the child exited early with status {child.process.returncode}")
    finally:
        child.stop()
    return Window(cpu_pct=100.0 * (cpu1 - cpu0) / 1e9 / (t1 - t0),
                  wakeups_per_s=(ctx1 - ctx0) / (t1 - t0), peak_rss_mb=peak,
                  first_frame_s=first_at - child.spawned_at)


def med(windows: list[Window], name: str) -> float:
    return statistics.median(getattr(w, name) for w in windows)


def soak(sales: int) -> float | None:
    """RSS growth in MB per 1000 sales after warm-up, from ``soak.py`` (None if it gave no figure)."""
    script = Path(__file__).with_name("soak.py")
    if not script.exists():
        return None
    out = subprocess.run([sys.executable, str(script), "--sales", str(sales)], capture_output=True, text=True,
                         check=False).stdout
    print(out.rstrip())
    match = re.search(r"^GROWTH_MB_PER_1000 (\S+)", out, re.MULTILINE)
    return float(match.group(1)) if match else None


def verdict(value: float | None, target: float) -> str:
    if value is None:
        return "not measured"
    return "PASS" if value <= target else "FAIL"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="CPU window per child (default 20)")
    parser.add_argument("--repeats", type=int, default=3, help="children of each kind (default 3; medians)")
    parser.add_argument("--sales", type=int, default=30, help="sales for the per-operation figures (default 30)")
    parser.add_argument("--soak", type=int, default=0, help="paid sales for soak.py (0: skip; the target needs 2000)")
    args = parser.parse_args()
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, {platform.machine()}, "
          f"Python {platform.python_version()}, SDL_VIDEODRIVER=dummy, {SIZE}")
    invoice: list[Window] = []
    naive: list[Window] = []
    idle: list[Window] = []
    with MionSimulator(api_key=BENCH_KEY, network="regtest") as sim:
        for _ in range(args.repeats):  # interleaved, so that a busy spell on the machine hits all kinds alike
            invoice.append(measure(["kiosk", "--size", SIZE, "--base-url", sim.base_url], args.seconds,
                                   wait_invoice=True))
            naive.append(measure(["baseline", "--size", SIZE, "--invoice-json", _invoice_json(sim.base_url)],
                                 args.seconds, wait_invoice=True))
            idle.append(measure(["kiosk", "--idle", "--size", SIZE, "--base-url", sim.base_url], args.seconds,
                                wait_invoice=False))
    ops = run_sales(args.sales)
    growth = soak(args.soak) if args.soak else None

    inv_cpu, naive_cpu = med(invoice, "cpu_pct"), med(naive, "cpu_pct")
    ratios = [i.cpu_pct / n.cpu_pct for i, n in zip(invoice, naive, strict=True) if n.cpu_pct > 0]
    ratio = statistics.median(ratios) if ratios else float("inf")
    figures: list[tuple[str, str, float | None, float | None, str]] = [
        # On a shared machine the absolute figure moves with the load; the target is judged by the ratio
        # (0.5 % of a core was 0.08 of the naive loop when the machine was quiet).
        ("CPU, invoice shown", "% core", inv_cpu, None,
         f"naive 30 fps: {naive_cpu:.2f} %; target {TARGETS['invoice_cpu_pct']:g} %, judged by the ratio below"),
        ("  as a share of the 30 fps loop", "ratio", ratio, TARGETS["invoice_ratio"], "median of per-run ratios"),
        ("CPU, idle screen", "% core", med(idle, "cpu_pct"), TARGETS["idle_cpu_pct"], ""),
        ("wake-ups, invoice shown", "/s", med(invoice, "wakeups_per_s"), TARGETS["invoice_wakeups"],
         f"naive: {med(naive, 'wakeups_per_s'):.1f}/s"),
        ("wake-ups, idle screen", "/s", med(idle, "wakeups_per_s"), None, ""),
        ("Enter -> invoice screen", "ms", median(ops.enter_to_invoice_ms), TARGETS["enter_to_invoice_ms"],
         f"median of {len(ops.enter_to_invoice_ms)} sales"),
        ("peak RSS, invoice shown", "MB", med(invoice, "peak_rss_mb"), TARGETS["peak_rss_mb"],
         f"naive: {med(naive, 'peak_rss_mb'):.1f} MB"),
        ("start to first frame", "s", med(invoice, "first_frame_s"), TARGETS["first_frame_s"], ""),
        ("RSS growth over paid sales", "MB/1000", growth, TARGETS["soak_mb_per_1000"],
         f"soak.py, {args.soak} sales" if args.soak else "run with --soak 2000"),
    ]
    print()
    print(f"{'figure':<34} {'unit':>8} {'value':>9} {'target':>8}  verdict       note")
    all_ok = True
    for name, unit, value, target, note in figures:
        shown = "-" if value is None else f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
        if target is None:
            print(f"{name:<34} {unit:>8} {shown:>9} {'':>8}  {'':<12}  {note}")
            continue
        result = verdict(value, target)
        all_ok = all_ok and result == "PASS"
        print(f"{name:<34} {unit:>8} {shown:>9} {target:>8g}  {result:<12}  {note}")
    print()
    ops_rows = [("a poll (one status request)", ops.poll_cpu_ms), ("an answer handed to the loop", ops.answer_cpu_ms),
                ("a countdown frame", ops.countdown_cpu_ms),
                ("an invoice (QR included)", ops.invoice_cpu_ms), ("a paid sale", ops.sale_cpu_ms)]
    boards = list(PI_FACTORS)
    print(f"{'CPU per operation (median)':<30} {'here ms':>9} " + " ".join(f"{b + ' ms*':>13}" for b in boards))
    for name, values in ops_rows:
        here = median(values)
        print(f"{name:<30} {here:9.2f} " + " ".join(f"{here * PI_FACTORS[b]:13.1f}" for b in boards))
    print("* ESTIMATE, not measured: CPU here times an assumed factor "
          + ", ".join(f"{b} x{f:g}" for b, f in PI_FACTORS.items()) + " (see the docstring)")
    inv_pi = ", ".join(f"{b} ~{inv_cpu * f:.1f} %" for b, f in PI_FACTORS.items())
    print(f"estimated CPU with the invoice shown: {inv_pi} of a core")
    print()
    print("ALL PASS" if all_ok else "SOME TARGET FAILED")
    return 0 if all_ok else 1


_INVOICE_JSON: dict[str, str] = {}


def _invoice_json(base_url: str) -> str:
    """The INVOICE line of one kiosk run, for the naive loop to draw the very same screen."""
    if base_url not in _INVOICE_JSON:
        child = Child(["kiosk", "--size", SIZE, "--base-url", base_url])
        try:
            words = child.expect("INVOICE")
        finally:
            child.stop()
        _INVOICE_JSON[base_url] = words[1] if len(words) > 1 else "{}"
    return _INVOICE_JSON[base_url]


if __name__ == "__main__":
    sys.exit(main())
