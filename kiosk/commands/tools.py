"""The technician's tools: ``kiosk simulator``, ``screenshot``, ``doctor``, ``provision``, ``pos-console``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

DEFAULT_CONFIG = Path("/etc/kiosk/kiosk.toml")


def simulator(args: argparse.Namespace) -> int:
    from kiosk.config import simulator_api_key
    from kiosk.mion.simulator import serve_forever

    serve_forever(args.port, simulator_api_key(args.api_key_file, args.api_key), args.network)
    return 0


def screenshot(args: argparse.Namespace) -> int:
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    from kiosk.display.screenshot import SCREEN_NAMES, render_screenshot

    if args.screen not in SCREEN_NAMES:
        print(f"kiosk: unknown screen {args.screen!r}; choose one of: {', '.join(SCREEN_NAMES)}", file=sys.stderr)
        return 2
    path = render_screenshot(args.screen, args.size, rotate=args.rotate, language=args.lang, out=args.out)
    print(path)
    return 0


def doctor(args: argparse.Namespace) -> int:
    from kiosk.appliance.doctor import exit_code, format_results, run_doctor

    config = args.config
    if config is None and DEFAULT_CONFIG.exists():
        config = DEFAULT_CONFIG  # on the appliance, check what the service runs with
    results = run_doctor(config)
    print(format_results(results, as_json=args.json))
    return exit_code(results)


def provision(args: argparse.Namespace) -> int:
    from kiosk.appliance.provision import provision as run_provision

    result = run_provision(args.boot, args.etc)
    print(result)
    return 0 if getattr(result, "ok", True) else 1


def pos_console(args: argparse.Namespace) -> int:
    from kiosk.inputs.pos_console import run_console

    return run_console(args.port, pole=args.pole, baudrate=args.baudrate)
