"""The ``kiosk`` command: the kiosk itself, its demo, and the tools for the shop and the technician."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from kiosk import __version__
from kiosk.errors import ConfigError, KioskError

log = logging.getLogger("kiosk")

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
    parser = argparse.ArgumentParser(
        prog="kiosk", description="Lightning customer display for Mion payments. Without a command: kiosk demo.")
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help="settings file (TOML); default: every setting at its default")
    parser.add_argument("--state-dir", type=Path, metavar="DIR",
                        help="where the sales journal lives (default: $STATE_DIRECTORY under systemd, "
                             "else ~/.local/share/kiosk; the demo uses its demo/ subfolder)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=text, description=text)

    demo = command("demo", "run against the built-in Mion simulator (the default)")
    demo.add_argument("--headless", action="store_true",
                      help="play one scripted sale without a display, printing each screen change")
    demo.add_argument("--out", type=Path, default=Path("demo-screens"), metavar="DIR",
                      help="with --headless: folder for the screen PNGs, journal and receipt (default: demo-screens)")
    demo.add_argument("--window", type=_size, metavar="WxH", help="window size, e.g. 800x480 (default 800x480)")
    demo.add_argument("--pay-with", choices=("qr", "card"), default="qr",
                      help="with --headless: pay the sale as a wallet scanning the QR (qr, the default) or by "
                           "tapping the demo Bolt Card (card)")

    run = command("run", "run the kiosk against Mion (what the systemd service runs)")
    run.add_argument("--window", type=_size, metavar="WxH", help="run in a window of this size instead of full screen")

    sim = command("simulator", "run the Mion simulator on its own (control endpoints under /_sim/); the key it "
                               "accepts comes from --api-key-file, else --api-key, else $MION_SIMULATOR_API_KEY, "
                               "else demo-key")
    sim.add_argument("--port", type=int, default=8765, help="TCP port on 127.0.0.1 (default: 8765)")
    sim_key = sim.add_mutually_exclusive_group()
    sim_key.add_argument("--api-key-file", type=Path, metavar="FILE", help="file holding the key the simulator accepts")
    sim_key.add_argument("--api-key", metavar="KEY",
                         help="the key itself; visible to every user of this machine in the process list, so "
                              "prefer --api-key-file or $MION_SIMULATOR_API_KEY")
    sim.add_argument("--network", default="regtest", choices=("mainnet", "testnet", "signet", "regtest"),
                     help="network of the invoices it issues (default: regtest)")
    sim.add_argument("--contract", type=Path, metavar="FILE",
                     help="answer with the shapes recorded by kiosk doctor --live --record FILE (paths, field "
                          "names, status words)")

    shot = command("screenshot", "render one screen with sample data to a PNG")
    shot.add_argument("--screen", required=True, metavar="NAME", help="which screen, e.g. invoice, paid, idle")
    shot.add_argument("--size", type=_size, default=(800, 480), metavar="WxH", help="screen size (default: 800x480)")
    shot.add_argument("--rotate", type=int, default=0, choices=(0, 90, 180, 270),
                      help="rotate by degrees, for a screen mounted in portrait (default: 0)")
    shot.add_argument("--lang", default="en", choices=("en", "de", "fi"), help="language of the texts (default: en)")
    shot.add_argument("--out", type=Path, required=True, metavar="FILE", help="the PNG to write")
    shot.add_argument("--theme", default="normal", choices=("normal", "high-contrast"),
                      help="colours: the normal theme or the high-contrast one, as [display] theme (default: normal)")
    shot.add_argument("--large-text", action="store_true", help="larger text, as [display] large_text")

    history = command("history", "list the day's sales: time, reference, EUR, sats, status")
    history.add_argument("--date", type=_day, metavar="YYYY-MM-DD", help="the shop's local day (default: today)")
    history.add_argument("--json", action="store_true", help="print JSON instead of a table")
    show = command("show", "everything the journal knows about one sale")
    show.add_argument("reference", help="the sale's reference, e.g. K1-20261128-0001-3F9A")
    show.add_argument("--json", action="store_true", help="print JSON instead of text")
    reconcile = command("reconcile", "re-check with Mion now the sales whose outcome is not known yet")
    reconcile.add_argument("--json", action="store_true", help="print JSON instead of one line per sale")
    reprint = command("reprint", "queue a sale's receipt again (the running kiosk prints it)")
    reprint.add_argument("reference", nargs="?", help="the sale's reference")
    reprint.add_argument("--last", action="store_true", help="the last paid sale")
    report = command("report", "X report (interim) or, with --close, the Z report that closes the day")
    report.add_argument("--date", type=_day, metavar="YYYY-MM-DD", help="the shop's local day (default: today)")
    report.add_argument("--print", action="store_true", dest="to_printer", help="also print it on the receipt printer")
    report.add_argument("--close", action="store_true", help="Z report: close the day (once per day)")

    doctor = command("doctor", "check config, API key, Mion and TLS, clock, display, till port, printer, GPIO, "
                     "NFC reader, metrics listener, version and updates")
    doctor.add_argument("--json", action="store_true", help="print JSON instead of one line per check")
    doctor.add_argument("--live", action="store_true",
                        help="create one payment session of 1 cent with the configured key (never paid, left to "
                             "expire) and check every endpoint and field the kiosk relies on")
    doctor.add_argument("--record", type=Path, metavar="FILE",
                        help="with --live: write its exchanges to FILE, without the key or the payment secret, "
                             "for kiosk simulator --contract")
    provision = command("provision", "first boot: install kiosk.toml and the key from the boot partition")
    provision.add_argument("--boot", type=Path, default=Path("/boot/firmware"), metavar="DIR",
                           help="the boot partition (default: /boot/firmware)")
    provision.add_argument("--etc", type=Path, default=Path("/etc/kiosk"), metavar="DIR",
                           help="where the installed settings live (default: /etc/kiosk)")
    console = command("pos-console", "a till-side console for installers: type protocol lines, see replies")
    console.add_argument("--port", help="serial port path or pyserial URL, e.g. /dev/ttyUSB0")
    console.add_argument("--baudrate", type=int, default=9600, help="serial speed (default: 9600)")
    console.add_argument("--pole", choices=("cd5220", "epson", "logic_controls", "aedex"),
                         help="send pole-display bytes in this command set instead of protocol lines")
    console.add_argument("--zvt", action="store_true",
                         help="act as a ZVT till (card-terminal protocol): register, pay 12.50, abort, eod")
    console.add_argument("--tcp", metavar="HOST:PORT",
                         help="with --zvt: connect to the kiosk's [zvt] listen address instead of a serial port")
    from kiosk.commands.fleet import add_arguments

    add_arguments(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``kiosk`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if os.environ.get("JOURNAL_STREAM") or os.environ.get("KIOSK_LOG"):  # under systemd: its journal, with fields
        _log_to_journal()
    command = args.command or "demo"
    if args.command is None:
        args = _parser().parse_args([*(argv or sys.argv[1:]), "demo"])
    handler = _handler(command)
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


COMMANDS: dict[str, str] = {
    "demo": "kiosk.commands.demo:main", "run": "kiosk.commands.run:main",
    "simulator": "kiosk.commands.tools:simulator", "screenshot": "kiosk.commands.tools:screenshot",
    "history": "kiosk.commands.records:history", "show": "kiosk.commands.records:show",
    "reconcile": "kiosk.commands.records:reconcile", "reprint": "kiosk.commands.records:reprint",
    "report": "kiosk.commands.records:report", "doctor": "kiosk.commands.tools:doctor",
    "provision": "kiosk.commands.tools:provision", "pos-console": "kiosk.commands.tools:pos_console",
    "bundle": "kiosk.commands.fleet:bundle", "update": "kiosk.commands.fleet:update",
}
"""Command -> ``module:function`` that carries it out (imported only for that command)."""


def _log_to_journal() -> None:
    from kiosk.appliance.journald import use_journal

    handler = use_journal(os.environ)
    if handler is not None:
        root = logging.getLogger()
        for previous in root.handlers[:]:
            root.removeHandler(previous)
        root.addHandler(handler)


def _handler(command: str) -> Callable[[argparse.Namespace], int]:
    module_name, _, name = COMMANDS[command].partition(":")
    handler: Callable[[argparse.Namespace], int] = getattr(importlib.import_module(module_name), name)
    return handler
