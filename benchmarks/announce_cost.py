"""What cues and speech cost the loop: ``Devices.announce`` per frame, with a slow speech program.

The loop calls :meth:`kiosk.shell.announce.Announcer.observe` on every draw. This measures that call
for a frame that shows nothing new (the common case) and for a new moment that queues words for a
speech program which takes 0.5 s per utterance, so the time the main thread spends is visible apart
from the time the words take. Run: ``python benchmarks/announce_cost.py [--rounds N]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from kiosk.core.view import IdleView, InvoiceView, MessageKind, MessageView
from kiosk.outputs.cues import Cue
from kiosk.outputs.speech import Speaker
from kiosk.shell.announce import Announcer


def _slow_engine(folder: Path) -> str:
    script = folder / "slow-tts"
    script.write_text(f"#!{sys.executable}\nimport sys, time\nsys.stdin.read()\ntime.sleep(0.5)\n")
    script.chmod(0o755)
    return str(script)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000, help="frames of each kind to time (default 2000)")
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as tmp:
        speaker = Speaker(_slow_engine(Path(tmp)), "en", 150)
        speaker.start()
        cues: list[Cue] = []
        announcer = Announcer("en", players=[cues.append], voice=speaker)
        same = InvoiceView(amount_cents=1375, amount_msat=27_500_000, invoice="lnbcrt1", seconds_left=90,
                           lifetime_s=120, reference="K1-1")
        announcer.observe(same)
        unchanged, changed = [], []
        for _ in range(rounds):
            start = time.perf_counter()
            announcer.observe(same)
            unchanged.append(time.perf_counter() - start)
        for i in range(rounds):
            view = MessageView(kind=MessageKind.EXPIRED) if i % 2 else IdleView(shop_name="x")
            start = time.perf_counter()
            announcer.observe(view)
            changed.append(time.perf_counter() - start)
        speaker.stop()
    for name, samples in (("frame with nothing new", unchanged), ("new moment (cue + words queued)", changed)):
        samples.sort()
        print(f"{name:32s} median {statistics.median(samples) * 1e6:7.1f} µs   "
              f"p99 {samples[int(len(samples) * 0.99)] * 1e6:7.1f} µs   max {samples[-1] * 1e6:7.1f} µs")
    print("speech program: 0.5 s per utterance, on the speech thread (not in these times)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
