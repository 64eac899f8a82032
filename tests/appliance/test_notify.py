"""The systemd notifier, against a datagram socket standing in for systemd."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from clocks import FakeMonotonic

from kiosk.appliance.notify import SystemdNotifier


@pytest.fixture
def systemd_socket(tmp_path: Path) -> Iterator[tuple[str, socket.socket]]:
    """A bound datagram socket at a file path, and its NOTIFY_SOCKET spelling."""
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(1.0)
    yield str(path), sock
    sock.close()


@pytest.fixture
def abstract_socket() -> Iterator[tuple[str, socket.socket]]:
    """A bound datagram socket with an abstract name, spelled '@name' as systemd does."""
    name = f"kiosk-test-{uuid.uuid4().hex}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(1.0)
    yield "@" + name, sock
    sock.close()


def received(sock: socket.socket) -> str:
    return sock.recv(4096).decode("utf-8")


def nothing_pending(sock: socket.socket) -> bool:
    sock.settimeout(0.05)
    try:
        sock.recv(4096)
    except TimeoutError:
        return True
    finally:
        sock.settimeout(1.0)
    return False


def test_ready_status_and_stopping_reach_a_path_socket(systemd_socket: tuple[str, socket.socket]) -> None:
    address, sock = systemd_socket
    notifier = SystemdNotifier.from_environ({"NOTIFY_SOCKET": address})

    assert notifier.ready("showing the idle screen")
    assert received(sock) == "READY=1\nSTATUS=showing the idle screen"
    assert notifier.status("Mion unreachable, retrying")
    assert received(sock) == "STATUS=Mion unreachable, retrying"
    assert notifier.stopping()
    assert received(sock) == "STOPPING=1"


def test_abstract_socket_names_work(abstract_socket: tuple[str, socket.socket]) -> None:
    address, sock = abstract_socket
    notifier = SystemdNotifier.from_environ({"NOTIFY_SOCKET": address})

    assert notifier.ready()
    assert received(sock) == "READY=1"


def test_watchdog_is_sent_and_throttled(abstract_socket: tuple[str, socket.socket]) -> None:
    address, sock = abstract_socket
    clock = FakeMonotonic()
    # WatchdogSec=30 -> WATCHDOG_USEC=30000000: send at least every 15 s, at most every 7.5 s.
    notifier = SystemdNotifier(address, watchdog_usec=30_000_000, clock=clock)
    assert notifier.watchdog_interval_s == 15.0

    assert notifier.watchdog()
    assert received(sock) == "WATCHDOG=1"

    clock.now += 1.0
    assert not notifier.watchdog()  # every loop turn calls it: no flood of datagrams
    assert nothing_pending(sock)

    clock.now += 7.0
    assert notifier.watchdog()
    assert received(sock) == "WATCHDOG=1"


def test_watchdog_for_another_process_is_ignored(abstract_socket: tuple[str, socket.socket]) -> None:
    address, sock = abstract_socket
    env = {"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid() + 1)}
    notifier = SystemdNotifier.from_environ(env)

    assert notifier.watchdog_interval_s is None
    assert not notifier.watchdog()
    assert notifier.ready()  # notifications still go out
    assert received(sock) == "READY=1"


def test_watchdog_for_this_process_is_used(abstract_socket: tuple[str, socket.socket]) -> None:
    address, _ = abstract_socket
    env = {"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "20000000", "WATCHDOG_PID": str(os.getpid())}

    assert SystemdNotifier.from_environ(env).watchdog_interval_s == 10.0


def test_without_notify_socket_everything_is_a_no_op() -> None:
    notifier = SystemdNotifier.from_environ({"WATCHDOG_USEC": "30000000"})

    assert not notifier.enabled
    assert notifier.watchdog_interval_s is None
    assert not notifier.ready()
    assert not notifier.watchdog()
    assert not notifier.status("x")
    assert not notifier.stopping()


def test_status_cannot_inject_other_assignments(abstract_socket: tuple[str, socket.socket]) -> None:
    address, sock = abstract_socket
    notifier = SystemdNotifier.from_environ({"NOTIFY_SOCKET": address})

    notifier.status("till says\nREADY=1")

    assert received(sock) == "STATUS=till says READY=1"


def test_a_vanished_systemd_socket_is_logged_not_raised(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    notifier = SystemdNotifier.from_environ({"NOTIFY_SOCKET": str(tmp_path / "gone")})

    assert not notifier.ready()
    assert "not sent" in caplog.text


@pytest.mark.parametrize("env", [
    {"NOTIFY_SOCKET": "relative/path"},
    {"NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "soon"},
    {"NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "-5"},
])
def test_malformed_variables_disable_rather_than_crash(env: dict[str, str]) -> None:
    notifier = SystemdNotifier.from_environ(env)

    assert notifier.watchdog_interval_s is None
    assert not notifier.watchdog()
