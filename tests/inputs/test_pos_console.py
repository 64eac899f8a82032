"""pos-console, driven over a pty: the test plays the kiosk on the master side."""

from __future__ import annotations

import io
import os
import select
import sys
import threading
from collections.abc import Iterator

import pytest
import serial
from pos_fakes import FakeDesk

from kiosk.config import PosSettings
from kiosk.inputs.pole import PoleDisplay, PoleUpdate
from kiosk.inputs.pos_console import console_session, main, run_console, show_bytes
from kiosk.inputs.pos_service import PosService


class PtyPair:
    def __init__(self) -> None:
        self.master, slave = os.openpty()
        self.port = serial.Serial(os.ttyname(slave), 9600, timeout=0.05)
        os.close(slave)

    def close(self) -> None:
        self.port.close()
        os.close(self.master)

    def read_all(self) -> bytes:
        got = b""
        while select.select([self.master], [], [], 0.05)[0]:
            got += os.read(self.master, 4096)
        return got


@pytest.fixture
def pty() -> Iterator[PtyPair]:
    pair = PtyPair()
    yield pair
    pair.close()


class FakeKiosk:
    """Answers the console's lines with a real PosService, on a thread of its own."""

    def __init__(self, master: int, greeting: bytes) -> None:
        self.master = master
        self.heard = b""
        self.service = PosService(FakeDesk(max_amount_cents=10_000), version="9.9")
        self.stop = threading.Event()
        os.write(master, greeting)
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def run(self) -> None:
        while not self.stop.is_set():
            if select.select([self.master], [], [], 0.02)[0]:
                data = os.read(self.master, 4096)
                self.heard += data
                for reply in self.service.handle_bytes(data):
                    os.write(self.master, reply)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2.0)


def test_typed_lines_are_sent_and_replies_and_events_printed(pty: PtyPair) -> None:
    kiosk = FakeKiosk(pty.master, b"EVENT EXPIRED ref=OLD\r\n")
    stdin = io.StringIO("PING\nsale 250 R1\n\nSALE 99999\nquit\nPING\n")
    stdout = io.StringIO()
    try:
        assert console_session(pty.port, stdin, stdout, linger_s=0.3) == 0
    finally:
        kiosk.close()
    assert kiosk.heard == b"PING\r\nsale 250 R1\r\nSALE 99999\r\n"  # blank line skipped; nothing after quit
    assert stdout.getvalue().splitlines() == [
        "< EVENT EXPIRED ref=OLD",
        "< OK PONG",
        "< OK SALE ref=R1 amount=250",
        "< ERR AMOUNT_RANGE amount 99999 is outside 1 to 10000 cents",
    ]


def test_non_ascii_is_not_sent_in_line_mode(pty: PtyPair) -> None:
    stdout = io.StringIO()
    console_session(pty.port, io.StringIO("SALE 5 Bär\n"), stdout, linger_s=0.05)
    assert pty.read_all() == b""
    assert "only ASCII" in stdout.getvalue()


def test_pole_mode_sends_display_bytes_the_kiosk_can_read(pty: PtyPair) -> None:
    stdout = io.StringIO()
    stdin = io.StringIO("Coffee|2.50\ntotal 12.50\nwhat is this\n")
    console_session(pty.port, stdin, stdout, pole="cd5220", linger_s=0.05)
    display = PoleDisplay("cd5220", PosSettings().total_pattern)
    updates = display.feed(pty.read_all()) + display.flush()
    assert updates[-1] == PoleUpdate(lines=("TOTAL".ljust(20), "12.50".rjust(20)), total_cents=1250, settled=True)
    assert 'type "line1|line2"' in stdout.getvalue()


def test_unfinished_and_binary_input_is_shown_escaped(pty: PtyPair) -> None:
    os.write(pty.master, b"\x1bQA\xff")
    stdout = io.StringIO()
    console_session(pty.port, io.StringIO(""), stdout, linger_s=0.2)
    assert stdout.getvalue() == "< \\x1bQA\\xff (no line ending)\n"
    assert show_bytes(b"ok\r\n") == "ok\\x0d\\x0a"


def test_a_port_that_cannot_be_opened_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--port", "/nonexistent/ttyX"]) == 2
    assert "cannot open /nonexistent/ttyX" in capsys.readouterr().err


def test_run_console_opens_a_url_and_uses_the_terminal(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("PING\n"))
    assert run_console("loop://", baudrate=19200) == 0  # loop:// echoes, so the typed line comes back
    out = capsys.readouterr().out.splitlines()
    assert out == ["connected to loop:// at 19200 baud, line protocol; type quit or Ctrl-D to leave", "< PING"]
