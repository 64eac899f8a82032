"""The core stays pure: importing it loads no I/O library."""

import subprocess
import sys

FORBIDDEN = ["pygame", "requests", "serial", "gpiozero", "escpos", "sqlite3", "threading", "socket", "time"]


def test_importing_the_core_loads_no_io_library() -> None:
    code = (
        "import sys, importlib, pkgutil, kiosk.core\n"
        "before = set(sys.modules)\n"
        "for m in pkgutil.iter_modules(kiosk.core.__path__): importlib.import_module('kiosk.core.' + m.name)\n"
        f"print(','.join(sorted(n for n in {FORBIDDEN!r} if n in sys.modules and n not in before)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"kiosk.core pulled in: {out}"


def test_core_sources_import_nothing_from_outside_the_core_but_errors() -> None:
    import pathlib
    import re

    import kiosk.core

    root = pathlib.Path(kiosk.core.__file__).parent
    for path in root.glob("*.py"):
        for line in path.read_text().splitlines():
            match = re.match(r"\s*(?:from|import)\s+(kiosk\.\w+)", line)
            if match:
                assert match.group(1) in ("kiosk.core", "kiosk.errors"), f"{path.name}: {line.strip()}"
