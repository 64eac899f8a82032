"""Run Python code with a directory mounted read-only, as a journal on a write-protected card is seen.

Root ignores file permissions, so a chmod'ed directory proves nothing; a read-only bind mount in a
mount namespace of its own (``unshare -m``) is refused even to root and is gone when the child ends.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from pathlib import Path

_MOUNT_AND_RUN = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'


@functools.cache
def why_not_available() -> str | None:
    """None when read-only mounts can be made here, else the reason (for pytest.skip)."""
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return "unshare and mount are needed for a read-only bind mount"
    probe = Path("/tmp")
    done = subprocess.run(["unshare", "-m", "sh", "-c", _MOUNT_AND_RUN, "sh", str(probe), "true"],
                          capture_output=True, text=True, timeout=30, check=False)
    if done.returncode != 0:
        return f"cannot make a read-only bind mount here: {done.stderr.strip() or done.returncode}"
    return None


def run_with_read_only(directory: Path, code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -c code args`` while ``directory`` is mounted read-only (for that process only)."""
    return subprocess.run(["unshare", "-m", "sh", "-c", _MOUNT_AND_RUN, "sh", str(directory),
                           sys.executable, "-c", code, *args],
                          capture_output=True, text=True, timeout=60, check=False)
