"""``kiosk run`` under a stand-in for systemd: READY after the first frame, WATCHDOG from the loop,
and a bad configuration shown on screen instead of a restart loop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.mion.simulator import MionSimulator

KEY = "runner-test-key-5d1e"


@pytest.fixture
def systemd(tmp_path: Path) -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    sock.settimeout(10.0)
    yield sock
    sock.close()


def _start(tmp_path: Path, config: Path, **env: str) -> subprocess.Popen[str]:
    environ = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy",
               "GPIOZERO_PIN_FACTORY": "mock", "NOTIFY_SOCKET": str(tmp_path / "notify"), **env}
    return subprocess.Popen([sys.executable, "-m", "kiosk", "--config", str(config), "--state-dir",
                             str(tmp_path / "state"), "run", "--window", "800x480"],
                            env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _messages(sock: socket.socket, until: str, timeout_s: float = 15.0) -> list[str]:
    seen: list[str] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            seen.append(sock.recv(4096).decode())
        except TimeoutError:
            break
        if until in seen[-1]:
            return seen
    raise AssertionError(f"no {until!r} from the kiosk; got {seen}")


def _stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=15)
    return process.returncode, err


def test_ready_after_the_first_frame_then_the_watchdog_is_fed(tmp_path: Path, systemd: socket.socket) -> None:
    with MionSimulator(api_key=KEY, network="regtest") as sim:
        config = tmp_path / "kiosk.toml"
        config.write_text(f'[mion]\nbase_url = "{sim.base_url}"\ninvoice_network = "regtest"\n')
        process = _start(tmp_path, config, MION_API_KEY=KEY, WATCHDOG_USEC="400000")
        try:
            seen = _messages(systemd, "READY=1")
            seen += _messages(systemd, "WATCHDOG=1")
            seen += _messages(systemd, "WATCHDOG=1")
        finally:
            code, err = _stop(process)
        seen += _messages(systemd, "STOPPING=1")
    assert code == 0, err
    ready_at = next(i for i, m in enumerate(seen) if "READY=1" in m)
    assert ready_at < seen.index("WATCHDOG=1"), "READY comes first, after the first frame"
    assert KEY not in err and not any(KEY in m for m in seen)


def test_a_bad_config_is_shown_and_waits_instead_of_a_restart_loop(tmp_path: Path, systemd: socket.socket) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('[sale]\nmax_amount_cents = "12.50"\n')
    process = _start(tmp_path, config)
    try:
        seen = _messages(systemd, "READY=1")
        time.sleep(1.0)
        assert process.poll() is None, "the kiosk must not exit into a restart loop"
    finally:
        code, err = _stop(process)
    assert any("max_amount_cents" in m for m in seen), seen
    assert code == 2
    assert '[sale] max_amount_cents: expected a whole number, got "12.50"' in err


def test_a_missing_key_is_a_configuration_error_on_screen(tmp_path: Path, systemd: socket.socket) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('[mion]\napi_key_env = "KIOSK_TEST_NO_SUCH_KEY"\n')
    process = _start(tmp_path, config)
    try:
        seen = _messages(systemd, "READY=1")
    finally:
        code, _ = _stop(process)
    assert any("API key" in m for m in seen), seen
    assert code == 2
