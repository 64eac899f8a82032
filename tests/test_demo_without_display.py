"""``kiosk demo`` on a machine without a screen says so in one line and points to --headless."""

import os
import subprocess
import sys
from pathlib import Path


def test_demo_without_a_screen_points_to_headless(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("SDL_VIDEODRIVER", "DISPLAY", "WAYLAND_DISPLAY")}
    env["XDG_RUNTIME_DIR"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-m", "kiosk", "--state-dir", str(tmp_path / "state"), "demo"],
                          env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.startswith("kiosk:")]
    assert lines == [lines[0]] and "kiosk demo --headless" in lines[0] and "no screen found" in lines[0]
