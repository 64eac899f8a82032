"""``kiosk pos-console``: stand in for the till while installing or diagnosing the serial link.

Line mode (default): every typed line is sent to the kiosk with CR LF; every line the kiosk sends
(replies and events) is printed as it arrives, prefixed with ``<``. Pole mode (``--pole SET``):
typed ``line1|line2``, ``total 12.50`` or ``clear`` is sent as the bytes a till would write to a pole
display with that command set, to check the kiosk's pole-display emulation.

The core, :func:`console_session`, takes the open port and the text streams, so tests drive it
with a pty and in-memory streams. Type ``quit`` or end the input (Ctrl-D) to leave.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import TextIO

import serial

log = logging.getLogger(__name__)

POLE_COLUMNS = 20
_QUIT_WORDS = frozenset({"quit", "exit"})


def _fit(text: str) -> bytes:
    return text[:POLE_COLUMNS].ljust(POLE_COLUMNS).encode("ascii", "replace")


_POLE_ENCODERS: Mapping[str, Callable[[str, str], bytes]] = {
    "cd5220": lambda top, bottom: b"\x1bQA" + _fit(top) + b"\r\x1bQB" + _fit(bottom) + b"\r",
    "epson": lambda top, bottom: b"\x0c\x0b" + _fit(top) + b"\x1f$\x01\x02" + _fit(bottom),
    "logic_controls": lambda top, bottom: b"\x1f\x11\x10\x00" + _fit(top) + b"\x10\x14" + _fit(bottom),
    "aedex": lambda top, bottom: b"!#1" + _fit(top) + b"\r!#2" + _fit(bottom) + b"\r",
}
POLE_SETS: tuple[str, ...] = tuple(_POLE_ENCODERS)


def pole_bytes(command_set: str, typed: str) -> bytes | None:
    """The bytes a till would send for ``typed`` ("line1|line2", "total 12.50", "clear"); None if not understood."""
    encode = _POLE_ENCODERS[command_set]
    total = re.fullmatch(r"\s*total\s+(\S+)\s*", typed, re.IGNORECASE)
    if total:
        return encode("TOTAL", total.group(1).rjust(POLE_COLUMNS))
    if typed.strip().lower() == "clear":
        return encode("", "")
    if "|" in typed:
        top, _, bottom = typed.partition("|")
        return encode(top, bottom)
    return None


def show_bytes(raw: bytes) -> str:
    """Printable text as is, anything else as ``\\xNN`` so a technician sees exactly what came."""
    return "".join(chr(b) if 0x20 <= b <= 0x7E else f"\\x{b:02x}" for b in raw)


class _Receiver:
    """Reads the port on a thread and prints each complete line (or raw bytes in pole mode)."""

    def __init__(self, port: serial.SerialBase, out: Callable[[str], None], *, by_line: bool) -> None:
        self._port = port
        self._out = out
        self._by_line = by_line
        self._buffer = bytearray()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pos-console-reader", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2.0)
        if self._buffer:
            self._out(f"< {show_bytes(bytes(self._buffer))} (no line ending)")
            self._buffer.clear()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data = self._port.read(self._port.in_waiting or 1)
            except (serial.SerialException, OSError) as exc:
                self._out(f"! the port stopped working: {exc}")
                return
            if data and not self._by_line:
                self._out(f"< {show_bytes(data)}")
            elif data:
                self._buffer += data
                *lines, rest = self._buffer.split(b"\n")
                self._buffer = bytearray(rest)
                for line in lines:
                    self._out("< " + show_bytes(bytes(line).rstrip(b"\r")))


def console_session(port: serial.SerialBase, stdin: TextIO, stdout: TextIO, *, pole: str | None = None,
                    linger_s: float = 0.5) -> int:
    """Send what is typed on ``stdin``, print what the kiosk sends on ``stdout``; returns an exit status.

    After the input ends, keeps listening ``linger_s`` seconds so the last replies are shown.
    """
    lock = threading.Lock()

    def out(text: str) -> None:
        with lock:
            stdout.write(text + "\n")
            stdout.flush()

    receiver = _Receiver(port, out, by_line=pole is None)
    receiver.start()
    try:
        _type_loop(port, stdin, out, pole)
        time.sleep(linger_s)
    finally:
        receiver.stop()
    return 0


def _type_loop(port: serial.SerialBase, stdin: TextIO, out: Callable[[str], None], pole: str | None) -> None:
    while True:
        typed = _read_line(stdin)
        if typed is None or typed.strip().lower() in _QUIT_WORDS:
            return
        if not typed.strip():
            continue
        if pole is None:
            if not typed.isascii():
                out("! only ASCII can be sent in line mode")
                continue
            data = typed.strip().encode("ascii") + b"\r\n"
        else:
            maybe = pole_bytes(pole, typed)
            if maybe is None:
                out('! type "line1|line2", "total 12.50" or "clear"')
                continue
            data = maybe
        try:
            port.write(data)
            port.flush()
        except (serial.SerialException, OSError) as exc:
            out(f"! cannot write to the port: {exc}")
            return


def _read_line(stdin: TextIO) -> str | None:
    if stdin is sys.stdin and stdin.isatty():
        try:
            return input()  # gives the technician line editing and history
        except EOFError:
            return None
    line = stdin.readline()
    return line.rstrip("\r\n") if line else None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``pos-console`` options, for the ``kiosk`` command line."""
    parser.add_argument("--port", required=True, help="serial port path or pyserial URL, e.g. /dev/ttyUSB0")
    parser.add_argument("--baudrate", type=int, default=9600, help="baud rate (default 9600, 8N1)")
    parser.add_argument("--pole", choices=POLE_SETS, default=None,
                        help="send pole-display bytes of this command set instead of protocol lines")


def run_console(port: str, *, pole: str | None = None, baudrate: int = 9600) -> int:
    """Open ``port`` (a path or pyserial URL) and run the console on this terminal; returns the exit status."""
    if pole is not None and pole not in POLE_SETS:
        print(f"unknown pole command set {pole}; expected one of {', '.join(POLE_SETS)}", file=sys.stderr)
        return 2
    try:
        link = serial.serial_for_url(port, baudrate=baudrate, timeout=0.1, write_timeout=1.0)
    except (serial.SerialException, OSError, ValueError) as exc:
        print(f"cannot open {port}: {exc}", file=sys.stderr)
        return 2
    try:
        mode = f"pole display ({pole})" if pole else "line protocol"
        print(f"connected to {port} at {baudrate} baud, {mode}; type quit or Ctrl-D to leave")
        return console_session(link, sys.stdin, sys.stdout, pole=pole)
    finally:
        link.close()


def main(argv: list[str] | None = None) -> int:
    """Entry point for ``kiosk pos-console``."""
    parser = argparse.ArgumentParser(prog="kiosk pos-console", description="Stand in for the till on the kiosk's serial link.")
    add_arguments(parser)
    args = parser.parse_args(argv)
    return run_console(args.port, pole=args.pole, baudrate=args.baudrate)
