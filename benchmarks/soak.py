"""Paid sales back to back through the till line, with the kiosk's memory sampled along the way.

The kiosk runs as a child process (``_kiosk_child.py till``: the real ``KioskApp``, SDL dummy driver,
the line protocol on a pty standing for the serial cable, Mion polled every 0.1 s); the Mion
simulator runs here, so its own growing store is not charged to the kiosk. For each sale this
process, as the till, sends ``SALE``, waits for ``EVENT INVOICE``, pays the session in the simulator
and waits for ``EVENT PAID``. The child's RSS (VmRSS) is read every ``--every`` sales.

Growth is the least-squares slope of RSS over the sales after ``--warmup``, in MB per 1000 sales.
Target: < 0.5 MB per 1000 sales.

Run: .venv/bin/python benchmarks/soak.py [--sales 2000] [--warmup 300] [--every 50]
Prints ``GROWTH_MB_PER_1000 <value>`` (read by ``pi_budget.py``).
"""

from __future__ import annotations

import argparse
import os
import select
import sys
import time
import tty
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from screen_cost import Child

from kiosk.mion.simulator import MionSimulator

BENCH_KEY = "bench-key"  # must match _kiosk_child.BENCH_KEY
TARGET_MB_PER_1000 = 0.5
SALE_TIMEOUT_S = 20.0


class TillEnd:
    """The till's side of the pty: send lines, wait for the kiosk's lines."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.port = os.ttyname(self.slave)
        self._buffer = b""

    def send(self, line: str) -> None:
        os.write(self.master, line.encode("ascii") + b"\r\n")

    def wait_for(self, prefix: str, timeout_s: float = SALE_TIMEOUT_S) -> str:
        deadline = time.monotonic() + timeout_s
        while True:
            while b"\n" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\n", 1)
                line = raw.decode("ascii", "replace").strip()
                if line.startswith(prefix):
                    return line
                if line.startswith(("ERR", "EVENT ERROR", "EVENT EXPIRED", "EVENT CANCELLED")):
                    raise RuntimeError(f"the kiosk said {line!r} while {prefix!r} was awaited")
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"no {prefix!r} line within {timeout_s:.0f} s")
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                self._buffer += os.read(self.master, 4096)

    def close(self) -> None:
        os.close(self.master)
        os.close(self.slave)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def slope(points: list[tuple[int, float]]) -> float:
    """Least-squares slope of y over x."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / sxx if sxx else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=300, help="sales before growth is measured (default 300)")
    parser.add_argument("--every", type=int, default=50, help="sample RSS every this many sales (default 50)")
    args = parser.parse_args()
    till = TillEnd()
    samples: list[tuple[int, float]] = []
    started = time.monotonic()
    with MionSimulator(api_key=BENCH_KEY, network="regtest") as sim:
        child = Child(["till", "--size", "800x480", "--base-url", sim.base_url, "--port", till.port])
        try:
            child.expect("FIRST_FRAME")
            pid = child.process.pid
            samples.append((0, rss_mb(pid)))
            for sale in range(1, args.sales + 1):
                reference = f"S{sale:06d}"
                till.send(f"SALE 1250 {reference}")
                till.wait_for(f"EVENT INVOICE ref={reference}")
                sim.mark_paid()
                till.wait_for(f"EVENT PAID ref={reference}")
                if sale % args.every == 0:
                    samples.append((sale, rss_mb(pid)))
            cpu_ticks, _ = child.cpu_ticks()
            peak = child.peak_rss_mb()
        finally:
            child.stop()
            till.close()
    elapsed = time.monotonic() - started
    after = [(x, y) for x, y in samples if x >= args.warmup]
    growth = slope(after) * 1000 if len(after) >= 2 else float("nan")
    print(f"sales: {args.sales} paid through the till line in {elapsed:.0f} s; "
          f"kiosk CPU {cpu_ticks / os.sysconf('SC_CLK_TCK') / args.sales * 1000:.1f} ms per sale")
    print("RSS MB by sales: " + " ".join(f"{x}:{y:.1f}" for x, y in samples))
    print(f"RSS start {samples[0][1]:.1f} MB, at warm-up end {after[0][1] if after else float('nan'):.1f} MB, "
          f"end {samples[-1][1]:.1f} MB, peak {peak:.1f} MB")
    print(f"GROWTH_MB_PER_1000 {growth:.3f}")
    ok = growth < TARGET_MB_PER_1000
    print(f"growth after {args.warmup} sales: {growth:.3f} MB per 1000 sales (target < {TARGET_MB_PER_1000}): "
          + ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
