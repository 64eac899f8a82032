"""SerialLink over real ptys: the test holds the till's end (the pty master), the link opens a symlink."""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from clocks import wait_until

from kiosk.config import PosSettings
from kiosk.errors import ConfigError
from kiosk.inputs.serial_link import SerialLink, next_backoff_s

MAX_BACKOFF_S = 0.2



class Till:
    """The far end of the cable: a pty master, reachable by the kiosk through a stable symlink."""

    def __init__(self, link_path: Path) -> None:
        self.link_path = link_path
        self.master: int | None = None
        self.plug_in()

    def plug_in(self) -> None:
        master, slave = os.openpty()
        name = os.ttyname(slave)
        os.close(slave)  # the kiosk opens the slave by name, as it would open /dev/serial/by-id/...
        tmp = self.link_path.with_suffix(".new")
        tmp.symlink_to(name)
        os.replace(tmp, self.link_path)
        self.master = master

    def unplug(self) -> None:
        # As udev does on a real unplug, the by-id name goes away with the device.
        self.link_path.unlink(missing_ok=True)
        if self.master is not None:
            os.close(self.master)
            self.master = None

    def send(self, data: bytes) -> None:
        assert self.master is not None
        os.write(self.master, data)

    def receive(self, count: int, timeout_s: float = 2.0) -> bytes:
        assert self.master is not None
        os.set_blocking(self.master, False)
        got = b""
        deadline = time.monotonic() + timeout_s
        while len(got) < count and time.monotonic() < deadline:
            try:
                got += os.read(self.master, count - len(got))
            except BlockingIOError:
                time.sleep(0.01)
        return got


class Recorder:
    def __init__(self) -> None:
        self.data: queue.Queue[bytes] = queue.Queue()
        self.states: list[bool] = []
        self.idles = 0
        self.lock = threading.Lock()

    def on_data(self, data: bytes) -> None:
        self.data.put(data)

    def on_connection(self, up: bool) -> None:
        with self.lock:
            self.states.append(up)

    def on_idle(self) -> None:
        self.idles += 1

    def received(self, count: int, timeout_s: float = 2.0) -> bytes:
        got = b""
        deadline = time.monotonic() + timeout_s
        while len(got) < count and time.monotonic() < deadline:
            try:
                got += self.data.get(timeout=0.05)
            except queue.Empty:
                pass
        return got


@pytest.fixture
def till(tmp_path: Path) -> Iterator[Till]:
    till = Till(tmp_path / "ttyPOS")
    yield till
    till.unplug()


def make_link(port: str, recorder: Recorder, **kwargs: object) -> SerialLink:
    return SerialLink(PosSettings(enabled=True, port=port, baudrate=9600), on_data=recorder.on_data,
                      on_connection=recorder.on_connection, on_idle=recorder.on_idle,
                      min_backoff_s=0.05, max_backoff_s=MAX_BACKOFF_S, **kwargs)  # type: ignore[arg-type]


def test_bytes_flow_both_ways(till: Till) -> None:
    recorder = Recorder()
    link = make_link(str(till.link_path), recorder, idle_s=0.1)
    assert link.write(b"early") is False  # not connected yet: nothing sent, caller keeps it
    link.start()
    try:
        assert wait_until(lambda: link.connected)
        till.send(b"SALE 1250 R1\r\n\x00\xff")
        assert recorder.received(16) == b"SALE 1250 R1\r\n\x00\xff"
        assert link.write(b"OK SALE ref=R1 amount=1250\r\n") is True
        assert till.receive(28) == b"OK SALE ref=R1 amount=1250\r\n"
        assert wait_until(lambda: recorder.idles == 1)  # the line went quiet after the data
    finally:
        link.stop()
    assert recorder.states == [True, False]
    assert not link.connected


def test_unplug_and_replug_reconnects_within_the_backoff_bound(till: Till) -> None:
    recorder = Recorder()
    link = make_link(str(till.link_path), recorder)
    link.start()
    try:
        assert wait_until(lambda: recorder.states == [True])
        till.unplug()
        assert wait_until(lambda: recorder.states == [True, False])
        assert link.write(b"lost") is False
        time.sleep(6 * MAX_BACKOFF_S)  # long enough for the backoff to reach its ceiling
        till.plug_in()
        replugged = time.monotonic()
        assert wait_until(lambda: recorder.states == [True, False, True])
        # Bounded: the next try comes within max_backoff_s (plus scheduling slack).
        assert time.monotonic() - replugged < MAX_BACKOFF_S + 0.3
        till.send(b"PING\r\n")
        assert recorder.received(6) == b"PING\r\n"
    finally:
        link.stop()


def test_the_port_is_opened_exclusively(till: Till) -> None:
    first, second = Recorder(), Recorder()
    holder = make_link(str(till.link_path), first)
    intruder = make_link(str(till.link_path), second)
    holder.start()
    try:
        assert wait_until(lambda: holder.connected)
        intruder.start()
        time.sleep(0.3)
        assert second.states == [] and not intruder.connected
    finally:
        intruder.stop()
        holder.stop()


def test_missing_port_keeps_retrying_quietly_and_stops_promptly(tmp_path: Path) -> None:
    recorder = Recorder()
    link = make_link(str(tmp_path / "nothing-here"), recorder)
    link.start()
    time.sleep(0.3)
    started = time.monotonic()
    link.stop()
    assert time.monotonic() - started < 1.0
    assert recorder.states == []


def test_pyserial_urls_work(till: Till) -> None:
    recorder = Recorder()
    link = make_link("loop://", recorder)
    link.start()
    try:
        assert wait_until(lambda: link.connected)
        assert link.write(b"PING\r\n")
        assert recorder.received(6) == b"PING\r\n"  # loop:// echoes what is written
    finally:
        link.stop()


def test_a_failing_callback_does_not_stop_the_link(till: Till) -> None:
    seen: list[bytes] = []

    def on_data(data: bytes) -> None:
        seen.append(data)
        raise RuntimeError("bug in the app")

    link = SerialLink(PosSettings(enabled=True, port=str(till.link_path)), on_data=on_data,
                      on_connection=lambda up: None, min_backoff_s=0.05, max_backoff_s=0.2)
    link.start()
    try:
        assert wait_until(lambda: link.connected)
        till.send(b"A")
        assert wait_until(lambda: seen == [b"A"])
        till.send(b"B")
        assert wait_until(lambda: seen == [b"A", b"B"])
        assert link.connected
    finally:
        link.stop()


def test_backoff_doubles_up_to_its_ceiling() -> None:
    delays = [0.5]
    for _ in range(6):
        delays.append(next_backoff_s(delays[-1], max_s=4.0))
    assert delays == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0]


def test_an_empty_port_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"\[pos\] port"):
        SerialLink(PosSettings(), on_data=lambda d: None, on_connection=lambda up: None)


def test_a_write_that_meets_a_vanishing_port_reports_false_and_raises_nothing() -> None:
    """Given the reader thread closing the port while the main thread writes (the till unplugged at
    that instant), the write says it sent nothing; the caller keeps the message for later."""
    from kiosk.config import PosSettings
    from kiosk.inputs.serial_link import SerialLink

    class VanishingPort:
        def write(self, data: bytes) -> int:
            raise ValueError("filedescriptor out of range in select()")

        def flush(self) -> None:  # pragma: no cover - never reached
            pass

    link = SerialLink(PosSettings(enabled=True, port="loop://"), on_data=lambda _: None,
                      on_connection=lambda _: None)
    link._port = VanishingPort()  # type: ignore[assignment]
    assert link.write(b"EVENT PAID ref=R-1\r\n") is False
