"""A kiosk in a child process answering as a ZVT terminal over TCP, to be killed mid-authorization.

Run as ``python -m tests.zvt_kill_driver STATE_DIR MION_BASE_URL`` from the project root. It prints
``PORT <n>`` once it listens (on 127.0.0.1, a free port), then serves until it is killed or
``LIFETIME_S`` passes. Mion is the test's own simulator, so its sessions outlive this process.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

# The SDL/GPIO choices above must be made before pygame and gpiozero are imported.
from tests.helpers import drive, running_kiosk, settings_for

LIFETIME_S = 30.0
"""Safety net: a driver nobody kills ends by itself."""


def main(state_dir: Path, base_url: str) -> int:
    mion = SimpleNamespace(base_url=base_url)
    settings = settings_for(mion, state_dir, pos={"enabled": True, "mode": "zvt"},  # type: ignore[arg-type]
                            zvt={"listen": "127.0.0.1:0"})
    with running_kiosk(settings, state_dir) as app:
        assert app.till is not None
        print(f"PORT {app.till._link.port}", flush=True)  # type: ignore[union-attr]
        ends = time.monotonic() + LIFETIME_S
        drive(app, lambda a: time.monotonic() > ends, timeout_s=LIFETIME_S + 5)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2]))
