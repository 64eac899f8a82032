"""The ``kiosk`` command: the kiosk itself, its demo, and the tools for the shop and the technician."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from kiosk import __version__
from kiosk.config import Settings, load_settings, read_api_key, shop_timezone
from kiosk.errors import ConfigError, DisplayError, KioskError

log = logging.getLogger("kiosk")

DEFAULT_CONFIG = Path("/etc/kiosk/kiosk.toml")


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 800x480, got {text!r}") from None
    if not (320 <= width <= 7680 and 240 <= height <= 7680):
        raise argparse.ArgumentTypeError(f"size {text} is outside 320x240 .. 7680x7680")
    return width, height


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description="Lightning customer display for Mion payments.")
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    parser.add_argument("--config", type=Path, help="settings file (TOML); default: all defaults")
    parser.add_argument("--state-dir", type=Path, help="where the sales journal lives")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="run against the built-in Mion simulator (the default)")
    demo.add_argument("--headless", action="store_true", help="play one scripted sale without a display")
    demo.add_argument("--out", type=Path, default=Path("demo-screens"), help="headless: folder for screen PNGs")
    demo.add_argument("--window", type=_size, help="window size, e.g. 800x480")

    run = sub.add_parser("run", help="run the kiosk against Mion (production)")
    run.add_argument("--window", type=_size, help="run in a window of this size instead of full screen")

    sim = sub.add_parser("simulator", help="run the Mion simulator on its own")
    sim.add_argument("--port", type=int, default=8765)
    sim.add_argument("--api-key", default="demo-key")
    sim.add_argument("--network", default="regtest", choices=("mainnet", "testnet", "signet", "regtest"))

    shot = sub.add_parser("screenshot", help="render one screen with sample data to a PNG")
    shot.add_argument("--screen", required=True)
    shot.add_argument("--size", type=_size, default=(800, 480))
    shot.add_argument("--rotate", type=int, default=0, choices=(0, 90, 180, 270))
    shot.add_argument("--lang", default="en", choices=("en", "de", "fi"))
    shot.add_argument("--out", type=Path, required=True)

    history = sub.add_parser("history", help="list sales")
    history.add_argument("--date", type=_day, help="local day (default: today)")
    history.add_argument("--json", action="store_true")
    show = sub.add_parser("show", help="everything the journal knows about one sale")
    show.add_argument("reference")
    show.add_argument("--json", action="store_true")
    reconcile = sub.add_parser("reconcile", help="re-check unfinished sales with Mion now")
    reconcile.add_argument("--json", action="store_true")
    reprint = sub.add_parser("reprint", help="print a sale's receipt again")
    reprint.add_argument("reference", nargs="?")
    reprint.add_argument("--last", action="store_true", help="the last paid sale")
    report = sub.add_parser("report", help="X report (interim) or, with --close, Z report (closes the day)")
    report.add_argument("--date", type=_day)
    report.add_argument("--print", action="store_true", dest="to_printer")
    report.add_argument("--close", action="store_true")

    doctor = sub.add_parser("doctor", help="check config, Mion, clock, display, till port, printer, GPIO")
    doctor.add_argument("--json", action="store_true")
    provision = sub.add_parser("provision", help="first boot: install kiosk.toml and the key from the boot partition")
    provision.add_argument("--boot", type=Path, default=Path("/boot/firmware"))
    provision.add_argument("--etc", type=Path, default=Path("/etc/kiosk"))
    console = sub.add_parser("pos-console", help="till-side console for installers")
    console.add_argument("--port", required=True, help="serial port path or pyserial URL")
    console.add_argument("--baudrate", type=int, default=9600)
    console.add_argument("--pole", choices=("cd5220", "epson", "logic_controls", "aedex"),
                         help="send pole-display bytes instead of protocol lines")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``kiosk`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    command = args.command or "demo"
    if args.command is None:
        args = _parser().parse_args([*(argv or sys.argv[1:]), "demo"])
    handler = COMMANDS[command]
    try:
        return handler(args)
    except ConfigError as exc:
        print(f"kiosk: configuration: {exc}", file=sys.stderr)
        return 2
    except KioskError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(args.config)


def _state_dir(args: argparse.Namespace, *, demo: bool = False) -> Path:
    from kiosk.store.paths import default_state_dir

    base = args.state_dir or default_state_dir()
    return base / "demo" if demo and args.state_dir is None else base


def _demo(args: argparse.Namespace) -> int:
    from kiosk.demo import run_demo, run_headless

    settings = _settings(args)
    state_dir = _state_dir(args, demo=True)
    if args.headless:
        return run_headless(settings, args.out, size=args.window or (800, 480))
    try:
        return run_demo(settings, state_dir, window=args.window)
    except DisplayError as exc:
        print(f"kiosk: cannot open a display: {exc}; try: kiosk demo --headless", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    from kiosk.runner import run_production

    return run_production(args.config, _state_dir(args), window=args.window)


def _simulator(args: argparse.Namespace) -> int:
    from kiosk.mion.simulator import serve_forever

    serve_forever(args.port, args.api_key, args.network)
    return 0


def _screenshot(args: argparse.Namespace) -> int:
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    from kiosk.display.screenshot import SCREEN_NAMES, render_screenshot

    if args.screen not in SCREEN_NAMES:
        print(f"kiosk: unknown screen {args.screen!r}; choose one of: {', '.join(SCREEN_NAMES)}", file=sys.stderr)
        return 2
    path = render_screenshot(args.screen, args.size, rotate=args.rotate, language=args.lang, out=args.out)
    print(path)
    return 0


def _journal(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from kiosk.store.journal import Journal

    path = _state_dir(args) / "journal.sqlite3"
    if not path.exists():
        raise KioskError(f"no sales journal at {path} (use --state-dir to point at another)")
    return Journal(path)


def _history(args: argparse.Namespace) -> int:
    from kiosk.store.views import history_json, history_text

    settings = _settings(args)
    tz = shop_timezone(settings)
    day = args.date or datetime.now(tz).date()
    with _journal(args) as journal:
        records = journal.sales_on(day, tz)
    print(history_json(records) if args.json else history_text(records, settings.shop.language, tz))
    return 0


def _show(args: argparse.Namespace) -> int:
    from kiosk.store.views import sale_json, sale_text

    settings = _settings(args)
    with _journal(args) as journal:
        record = journal.get(args.reference)
    if record is None:
        print(f"kiosk: no sale has reference {args.reference}", file=sys.stderr)
        return 1
    print(sale_json(record) if args.json else sale_text(record, shop_timezone(settings)))
    return 0


def _reconcile(args: argparse.Namespace) -> int:
    from kiosk.reconcile import reconcile

    settings = _settings(args)
    with _journal(args) as journal:
        return reconcile(settings, _api_key(settings), journal, as_json=args.json)


def _reprint(args: argparse.Namespace) -> int:
    if not args.last and not args.reference:
        print("kiosk: name a REFERENCE or use --last", file=sys.stderr)
        return 2
    with _journal(args) as journal:
        record = journal.last_paid() if args.last else journal.get(args.reference)
        if record is None or record.phase.value != "paid":
            print("kiosk: no such paid sale to reprint", file=sys.stderr)
            return 1
        job = journal.enqueue_reprint(record.reference, datetime.now(UTC))
    print(f"receipt for {record.reference} queued (job {job.job_id}); the running kiosk prints it")
    return 0


def _report(args: argparse.Namespace) -> int:
    from kiosk.outputs.report import compute_report, format_report, print_report

    settings = _settings(args)
    tz = shop_timezone(settings)
    day = args.date or datetime.now(tz).date()
    with _journal(args) as journal:
        report = compute_report(journal.sales_on(day, tz), day, tz=tz, closing=args.close)
        if args.close and not journal.close_day(day, datetime.now(UTC)):
            print(f"kiosk: {day} was already closed at {journal.closed_at(day)}", file=sys.stderr)
            return 1
    title = "Z" if args.close else "X"
    print("\n".join(format_report(report, settings.shop.language, shop_name=settings.shop.name)))
    if args.to_printer:
        print_report(report, settings, title=title)
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from kiosk.appliance.doctor import exit_code, format_results, run_doctor

    config = args.config
    if config is None and DEFAULT_CONFIG.exists():
        config = DEFAULT_CONFIG  # on the appliance, check what the service runs with
    results = run_doctor(config)
    print(format_results(results, as_json=args.json))
    return exit_code(results)


def _provision(args: argparse.Namespace) -> int:
    from kiosk.appliance.provision import provision

    result = provision(args.boot, args.etc)
    print(result)
    return 0 if getattr(result, "ok", True) else 1


def _pos_console(args: argparse.Namespace) -> int:
    from kiosk.inputs.pos_console import run_console

    return run_console(args.port, pole=args.pole, baudrate=args.baudrate)


def _api_key(settings: Settings) -> str:
    key = read_api_key(settings.mion)
    if key is None:
        raise ConfigError(f"no Mion API key: set {settings.mion.api_key_env} or [mion] api_key_file")
    return key


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "demo": _demo, "run": _run, "simulator": _simulator, "screenshot": _screenshot, "history": _history,
    "show": _show, "reconcile": _reconcile, "reprint": _reprint, "report": _report, "doctor": _doctor,
    "provision": _provision, "pos-console": _pos_console,
}
