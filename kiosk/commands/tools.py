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

    options = {}
    if args.contract is not None:
        from kiosk.mion.contract import load_contract

        try:
            options["contract"] = load_contract(args.contract)
        except ValueError as exc:
            print(f"kiosk: {exc}", file=sys.stderr)
            return 2
    serve_forever(args.port, simulator_api_key(args.api_key_file, args.api_key), args.network, **options)
    return 0


def screenshot(args: argparse.Namespace) -> int:
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    from kiosk.display.screenshot import SCREEN_NAMES, render_screenshot

    if args.screen not in SCREEN_NAMES:
        print(f"kiosk: unknown screen {args.screen!r}; choose one of: {', '.join(SCREEN_NAMES)}", file=sys.stderr)
        return 2
    path = render_screenshot(args.screen, args.size, rotate=args.rotate, language=args.lang, out=args.out,
                             theme=args.theme, large_text=args.large_text)
    print(path)
    return 0


def doctor(args: argparse.Namespace) -> int:
    from kiosk.appliance.doctor import exit_code, format_results, run_doctor

    config = args.config
    if config is None and DEFAULT_CONFIG.exists():
        config = DEFAULT_CONFIG  # on the appliance, check what the service runs with
    if args.live or args.record:
        return _live_doctor(config, args)
    results = run_doctor(config)
    print(format_results(results, as_json=args.json))
    return exit_code(results)


def _live_doctor(config: Path | None, args: argparse.Namespace) -> int:
    from kiosk.appliance.doctor import format_results, run_live
    from kiosk.appliance.live_check import format_report
    from kiosk.config_check import scrub

    if args.record and not args.live:
        print("kiosk: --record needs --live", file=sys.stderr)
        return 2
    results, report, secrets = run_live(config)
    if report is None:
        print(format_results(results, as_json=args.json))
        return 1
    print(scrub(format_report(report, as_json=args.json), secrets))
    if args.record:
        from kiosk.appliance.live_check import record_lines
        from kiosk.mion.contract import write_record

        settings = {"paths": report.paths, "attempt_expiry_field": report.attempt_expiry_field,
                    "session_expiry_field": report.session_expiry_field}
        write_record(args.record, base_url=report.base_url, settings=settings, exchanges=record_lines(report),
                     secrets=secrets)
        print(f"exchanges recorded to {args.record} (no key, no auth header, no payment secret)", file=sys.stderr)
    return 0 if report.ok else 1


def provision(args: argparse.Namespace) -> int:
    from kiosk.appliance.provision import provision as run_provision

    result = run_provision(args.boot, args.etc)
    print(result)
    return 0 if getattr(result, "ok", True) else 1


def pos_console(args: argparse.Namespace) -> int:
    if args.zvt:
        from kiosk.inputs.zvt.console import run_zvt_console

        if (args.port is None) == (args.tcp is None):
            print("kiosk pos-console --zvt: give --port (serial) or --tcp HOST:PORT", file=sys.stderr)
            return 2
        return run_zvt_console(args.port, args.tcp, baudrate=args.baudrate)
    from kiosk.inputs.pos_console import run_console

    if args.port is None or args.tcp is not None:
        print("kiosk pos-console: give --port (--tcp needs --zvt)", file=sys.stderr)
        return 2
    return run_console(args.port, pole=args.pole, baudrate=args.baudrate)
