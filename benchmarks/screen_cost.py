"""What showing an invoice costs: CPU, peak memory and start-up time of the real kiosk process.

For each screen size, the kiosk runs as a child process (``_kiosk_child.py kiosk``: the real
``KioskApp`` with default settings on SDL's dummy driver) against a Mion simulator that runs here in
the parent, so the simulator's work is not charged to the kiosk. The child types an amount; once the
invoice screen is drawn, its CPU time (utime + stime of all its threads, from /proc/PID/stat) is
sampled over ``--seconds``. The invoice stays on screen the whole time, polled every 0.5 s as in
production; the simulator's attempts live 120 s (Mion's figure), so no attempt refresh falls into
a 30 s window (``--attempt-lifetime 40`` puts refreshes, i.e. full redraws with a new QR, into it).

In the same run, a naive loop (``_kiosk_child.py baseline``) redraws the very same invoice every
frame at 30 fps with ``kiosk.display.screens.render`` and is measured the same way.

Targets: kiosk CPU <= 2 % of one core; peak RSS (VmHWM) < 80 MB; spawn to first frame < 1.5 s.

Run: .venv/bin/python benchmarks/screen_cost.py [--seconds 30] [--sizes 800x480,1280x720]
     [--profile DIR]  (cProfile stats of each kiosk child, for finding what costs)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from kiosk.mion.simulator import MionSimulator

CHILD = Path(__file__).with_name("_kiosk_child.py")
BENCH_KEY = "bench-key"  # must match _kiosk_child.BENCH_KEY
CPU_TARGET_PCT = 2.0
RSS_TARGET_MB = 80.0
FIRST_FRAME_TARGET_S = 1.5
STARTUP_TIMEOUT_S = 30.0
TICKS_PER_S = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Measurement:
    """One child's figures."""

    cpu_pct: float
    """CPU time over the window as a share of one core, in percent."""
    main_thread_pct: float
    """The part of it spent on the main thread (pygame, the register); the rest is edge threads."""
    peak_rss_mb: float
    first_frame_s: float
    """From just before spawning the process to its first frame drawn."""
    stats: dict[str, int]


class Child:
    """A measured child process whose stdout lines arrive on a queue (read by one joined thread)."""

    def __init__(self, args: list[str]) -> None:
        env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", GPIOZERO_PIN_FACTORY="mock",
                   PYGAME_HIDE_SUPPORT_PROMPT="1")
        self.spawned_at = time.monotonic()
        self.process = subprocess.Popen([sys.executable, str(CHILD), *args], stdout=subprocess.PIPE, text=True,
                                        env=env)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, name="child-stdout", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def expect(self, tag: str, timeout_s: float = STARTUP_TIMEOUT_S) -> list[str]:
        """Wait for the next line starting with ``tag``; return its words after the tag."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise RuntimeError(f"no {tag} line from the child within {timeout_s:.0f} s") from None
            if line is None:
                raise RuntimeError(f"the child exited (status {self.process.wait()}) before saying {tag}")
            if line.startswith(tag + " ") or line == tag:
                return line.split(" ", 2)[1:]

    def cpu_ticks(self) -> tuple[int, int]:
        """utime + stime in clock ticks: of the whole process (all threads), and of its main thread."""
        pid = self.process.pid
        return _ticks(Path(f"/proc/{pid}/stat")), _ticks(Path(f"/proc/{pid}/task/{pid}/stat"))

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmHWM in /proc/PID/status")

    def stop(self) -> dict[str, int]:
        """SIGTERM, wait for a clean exit, return the child's STATS (empty if it gave none)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self._reader.join(timeout=5)
        stats: dict[str, int] = {}
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                break
            if line and line.startswith("STATS "):
                stats = json.loads(line.split(" ", 1)[1])
        return stats


def _ticks(stat_path: Path) -> int:
    stat = stat_path.read_text()
    fields = stat[stat.rindex(")") + 2:].split()  # the name may hold spaces; fields restart after it
    return int(fields[11]) + int(fields[12])  # utime and stime, fields 14 and 15 of proc(5)


def measure(args: list[str], seconds: float) -> tuple[Measurement, str]:
    """Spawn a child, wait for its invoice screen, sample its CPU for ``seconds``; return figures + INVOICE json."""
    child = Child(args)
    try:
        first_at = float(child.expect("FIRST_FRAME")[0])
        words = child.expect("INVOICE")
        invoice_json = words[1] if len(words) > 1 else "{}"
        time.sleep(0.5)  # let the invoice's first poll and any start-up work settle
        t0, (ticks0, main0) = time.monotonic(), child.cpu_ticks()
        time.sleep(seconds)
        t1, (ticks1, main1) = time.monotonic(), child.cpu_ticks()
        peak = child.peak_rss_mb()
        if child.process.poll() is not None:
            raise RuntimeError(f"the child exited early with status {child.process.returncode}")
    finally:
        stats = child.stop()
    def pct(ticks: int) -> float:
        return 100.0 * ticks / TICKS_PER_S / (t1 - t0)

    return Measurement(pct(ticks1 - ticks0), pct(main1 - main0), peak, first_at - child.spawned_at, stats), invoice_json


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith(("model name", "Model")):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="measuring window per process (default 30)")
    parser.add_argument("--sizes", default="800x480,1280x720", help="comma-separated WIDTHxHEIGHT list")
    parser.add_argument("--attempt-lifetime", type=float, default=120.0,
                        help="simulator attempt lifetime in seconds (default 120, Mion's figure)")
    parser.add_argument("--profile", type=Path, help="directory for cProfile stats of each kiosk child")
    args = parser.parse_args()
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, {platform.machine()}, "
          f"Python {platform.python_version()}, SDL_VIDEODRIVER=dummy")
    print(f"window: {args.seconds:.0f} s per process with the invoice shown; attempt lifetime "
          f"{args.attempt_lifetime:.0f} s; poll interval 0.5 s")
    rows: list[tuple[str, Measurement, Measurement]] = []
    with MionSimulator(api_key=BENCH_KEY, network="regtest", attempt_lifetime_s=args.attempt_lifetime) as sim:
        for size in sizes:
            kiosk_args = ["kiosk", "--size", size, "--base-url", sim.base_url]
            if args.profile is not None:
                args.profile.mkdir(parents=True, exist_ok=True)
                kiosk_args += ["--profile", str(args.profile / f"kiosk-{size}.prof")]
            kiosk, invoice_json = measure(kiosk_args, args.seconds)
            naive, _ = measure(["baseline", "--size", size, "--invoice-json", invoice_json], args.seconds)
            rows.append((size, kiosk, naive))
    return report(rows)


def report(rows: list[tuple[str, Measurement, Measurement]]) -> int:
    """Print the table; 0 if every target held."""
    print()
    print(f"{'size':<10} {'process':<14} {'CPU %core':>9} {'main thr %':>10} {'peak RSS MB':>11} {'1st frame s':>11}  "
          f"{'draws full/partial':>18}")
    all_ok = True
    for size, kiosk, naive in rows:
        for name, m in (("kiosk", kiosk), ("naive 30 fps", naive)):
            draws = f"{m.stats.get('full_draws', '?')}/{m.stats.get('partial_draws', '?')}"
            print(f"{size:<10} {name:<14} {m.cpu_pct:9.2f} {m.main_thread_pct:10.2f} {m.peak_rss_mb:11.1f} {m.first_frame_s:11.3f}  "
                  f"{draws:>18}")
        ratio = kiosk.cpu_pct / naive.cpu_pct if naive.cpu_pct > 0 else float("inf")
        cpu_ok = kiosk.cpu_pct <= CPU_TARGET_PCT
        rss_ok = kiosk.peak_rss_mb < RSS_TARGET_MB
        start_ok = kiosk.first_frame_s < FIRST_FRAME_TARGET_S
        all_ok = all_ok and cpu_ok and rss_ok and start_ok
        print(f"{size:<10} kiosk/naive CPU ratio {ratio:.3f}; "
              f"CPU <= {CPU_TARGET_PCT:g} %: {verdict(cpu_ok)}; "
              f"RSS < {RSS_TARGET_MB:g} MB: {verdict(rss_ok)}; "
              f"first frame < {FIRST_FRAME_TARGET_S:g} s: {verdict(start_ok)}")
    print()
    print("ALL PASS" if all_ok else "SOME TARGET FAILED")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
