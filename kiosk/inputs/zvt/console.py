"""``kiosk pos-console --zvt``: stand in for a ZVT till (ECR) while installing or demonstrating.

Type ``register [password] [config-hex]``, ``pay 12.50``, ``abort``, ``status``, ``eod [password]``,
``diagnosis``, ``repeat [password]``, ``logoff`` or ``quit``. Every APDU the kiosk sends is printed in
hex with a short reading; the console answers each message of the kiosk with ``80 00 00`` as a till
does (and, on the serial link, acknowledges each frame with ACK).
"""

from __future__ import annotations

import re
import socket
import sys
import threading
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TextIO

import serial

from kiosk.inputs.zvt.apdu import (
    Apdu,
    ApduStream,
    ZvtError,
    amount_bmp,
    bcd,
    decode_apdu,
    encode_apdu,
    from_bcd,
    parse_bmps,
)
from kiosk.inputs.zvt.serial_frame import ACK, BadFrame, Frame, FrameStream, encode_frame

HELP = ("register [password] [config-hex] | pay 12.50 | abort | status | eod [password] | diagnosis | "
        "repeat [password] | logoff | quit")
_NAMES = {(0x80, 0x00): "ok", (0x04, 0x0F): "status information", (0x04, 0xFF): "intermediate status",
          (0x06, 0x0F): "completion", (0x06, 0x1E): "abort", (0x06, 0xD1): "print line"}


def command_bytes(typed: str) -> bytes | None:
    """The APDU for a typed console command; None when it is not understood."""
    words = typed.split()
    if not words:
        return None
    verb, args = words[0].lower(), words[1:]
    password = bytes.fromhex(args[0]) if args and re.fullmatch(r"\d{6}", args[0]) else b"\x00\x00\x00"
    if verb == "register":
        config = int(args[1], 16) if len(args) > 1 and re.fullmatch(r"[0-9A-Fa-f]{2}", args[1]) else 0xBA
        return encode_apdu(0x06, 0x00, password + bytes([config]) + bcd(978, 2) + b"\x03\x00")
    if verb == "pay" and len(args) == 1:
        try:
            cents = int((Decimal(args[0].replace(",", ".")) * 100).to_integral_exact())
        except (InvalidOperation, ValueError):
            return None
        if not 0 < cents < 10 ** 12:
            return None
        return encode_apdu(0x06, 0x01, amount_bmp(cents) + b"\x49" + bcd(978, 2))
    simple = {"abort": (0x06, 0xB0, b""), "status": (0x05, 0x01, b""), "eod": (0x06, 0x50, password),
              "diagnosis": (0x06, 0x70, b""), "repeat": (0x06, 0x20, password), "logoff": (0x06, 0x02, b"")}
    if verb in simple:
        cls, instr, data = simple[verb]
        return encode_apdu(cls, instr, data)
    return None


def describe(apdu: Apdu) -> str:
    """One line for an APDU from the kiosk: hex, then what it says."""
    text = f"< {apdu.encode().hex(' ').upper()}  ({_NAMES.get(apdu.command, 'APDU')}"
    if apdu.cls == 0x84:
        text += f": refused, result code {apdu.instr:02X}"
    elif apdu.command == (0x04, 0x0F):
        try:
            fields = parse_bmps(apdu.data)
        except ZvtError:
            fields = {}
        if 0x27 in fields:
            text += f": result {fields[0x27].hex().upper()}"
        if 0x04 in fields:
            cents = from_bcd(fields[0x04])
            text += f", amount {cents // 100},{cents % 100:02d}"
        if 0x3C in fields:
            text += ", " + fields[0x3C].decode("cp437", "replace")
    elif apdu.command == (0x06, 0x1E) and apdu.data:
        text += f": result code {apdu.data[0]:02X}"
    elif apdu.command == (0x06, 0xD1):
        text += ": " + apdu.data[1:].decode("cp437", "replace")
    return text + ")"


class EcrConsole:
    """The till's end of one link; ``write`` sends bytes, :meth:`received` takes the kiosk's bytes."""

    def __init__(self, write: Callable[[bytes], None], out: Callable[[str], None], *, serial_link: bool) -> None:
        self._write = write
        self._out = out
        self._serial = serial_link
        self._frames = FrameStream()
        self._apdus = ApduStream()

    def send(self, apdu: bytes) -> None:
        self._out("> " + apdu.hex(" ").upper())
        self._write(encode_frame(apdu) if self._serial else apdu)

    def received(self, data: bytes) -> None:
        if not self._serial:
            for apdu in self._apdus.feed(data):
                self._show(apdu)
            return
        for item in self._frames.feed(data):
            if isinstance(item, Frame):
                self._write(bytes([ACK]))
                try:
                    self._show(decode_apdu(item.apdu))
                except ZvtError as exc:
                    self._out(f"! a frame that holds no APDU: {exc}")
            elif isinstance(item, BadFrame):
                self._out(f"! bad frame from the kiosk: {item.reason}")

    def _show(self, apdu: Apdu) -> None:
        self._out(describe(apdu))
        if apdu.cls not in (0x80, 0x84):
            self._write(encode_frame(b"\x80\x00\x00") if self._serial else b"\x80\x00\x00")


def run_zvt_console(port: str | None, tcp: str | None, *, baudrate: int = 9600, stdin: TextIO | None = None,
                    stdout: TextIO | None = None) -> int:
    """Open the serial ``port`` (DLE framing) or connect to ``tcp`` (host:port); type commands."""
    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    lock = threading.Lock()

    def out(text: str) -> None:
        with lock:
            stdout.write(text + "\n")
            stdout.flush()

    read: Callable[[], bytes]
    try:
        if tcp is not None:
            host, _, number = tcp.rpartition(":")
            sock = socket.create_connection((host or "127.0.0.1", int(number)), timeout=5)
            sock.settimeout(0.1)
            read, write, close = (lambda: sock.recv(4096)), sock.sendall, sock.close
        else:
            link = serial.serial_for_url(port, baudrate=baudrate, stopbits=serial.STOPBITS_TWO, timeout=0.1)
            read, write, close = (lambda: link.read(link.in_waiting or 1)), link.write, link.close
    except (OSError, ValueError, serial.SerialException) as exc:
        print(f"cannot connect to {tcp or port}: {exc}", file=sys.stderr)
        return 2
    console = EcrConsole(write, out, serial_link=tcp is None)
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                data = read()
            except TimeoutError:
                continue
            except OSError as exc:
                out(f"! the link stopped working: {exc}")
                return
            if data:
                console.received(data)
            elif tcp is not None:
                out("! the kiosk closed the connection")
                return

    thread = threading.Thread(target=reader, name="zvt-console", daemon=True)
    thread.start()
    out(f"ZVT till console on {tcp or port}; {HELP}")
    try:
        for line in stdin:
            typed = line.strip()
            if typed.lower() in ("quit", "exit"):
                break
            if not typed:
                continue
            apdu = command_bytes(typed)
            if apdu is None:
                out(f"! {HELP}")
                continue
            console.send(apdu)
        stop.wait(0.5)
    finally:
        stop.set()
        thread.join(2.0)
        close()
    return 0
