"""``kiosk demo --headless --pay-with card``: one sale paid by tapping the demo card, its screens saved."""

from __future__ import annotations

import subprocess
from pathlib import Path

from kiosk.store.journal import Journal
from kiosk.store.taps import taps_of
from tests.test_cli import KIOSK, _plain_env


def test_the_headless_demo_pays_a_sale_by_a_card_tap(tmp_path: Path) -> None:
    out = tmp_path / "screens"
    done = subprocess.run([str(KIOSK), "--state-dir", str(tmp_path / "state"), "demo", "--headless", "--pay-with",
                           "card", "--out", str(out)], env=_plain_env(), capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    screens = [line.split()[1] for line in done.stdout.splitlines() if line.startswith("screen:")]
    assert screens.index("invoice-tap") < screens.index("invoice-tap-processing") < screens.index("paid")
    assert "simulator: session" not in done.stdout  # nobody marked it paid but the card's service
    reference = next(line for line in done.stdout.splitlines() if line.startswith("paid: ")).split()[1].rstrip(",")
    with Journal(out / "state" / "journal.sqlite3", read_only=True) as journal:
        assert [(t.outcome, t.host) for t in taps_of(journal, reference)] == [("initiated", "127.0.0.1")]
    assert "lnurlw" not in done.stdout + done.stderr and "p=0" not in done.stderr  # no card secret in the output
