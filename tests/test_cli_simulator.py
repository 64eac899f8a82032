"""``kiosk simulator``: its key comes from a file or the environment, never only from the command line."""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from kiosk.cli import _parser
from kiosk.config import simulator_api_key
from kiosk.errors import ConfigError

KEY = "sim-key-7c1e5b2d4f60"


def simulator_parser() -> argparse.ArgumentParser:
    sub = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices["simulator"]  # type: ignore[no-any-return]


def test_every_option_says_what_it_does() -> None:
    options = [a for a in simulator_parser()._actions if a.option_strings and a.dest != "help"]
    assert {a.dest for a in options} >= {"port", "api_key", "api_key_file", "network"}
    assert all(a.help for a in options), [a.dest for a in options if not a.help]
    api_key = next(a for a in options if a.dest == "api_key")
    assert "visible to every user" in str(api_key.help) and "--api-key-file" in str(api_key.help)


def args(*argv: str) -> argparse.Namespace:
    return _parser().parse_args(["simulator", *argv])


def _simulator_key(parsed: argparse.Namespace, environ: dict[str, str]) -> str:
    return simulator_api_key(parsed.api_key_file, parsed.api_key, environ)


def test_the_key_from_a_file_from_the_environment_or_the_command_line(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(f"\ufeff{KEY}\n")  # as an editor may save it
    env = {"MION_SIMULATOR_API_KEY": "from-the-environment"}

    assert _simulator_key(args("--api-key-file", str(key_file)), env) == KEY
    assert _simulator_key(args(), env) == "from-the-environment"
    assert _simulator_key(args("--api-key", "typed"), env) == "typed"  # still works, and the help warns
    assert _simulator_key(args(), {}) == "demo-key"


def test_a_key_file_that_cannot_be_used_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--api-key-file: cannot read .*: No such file"):
        _simulator_key(args("--api-key-file", str(tmp_path / "missing")), {})
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(ConfigError, match="--api-key-file: .* is empty"):
        _simulator_key(args("--api-key-file", str(tmp_path / "empty")), {})


def test_a_key_on_the_command_line_and_in_a_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        args("--api-key", "a", "--api-key-file", str(tmp_path / "key"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("how", ["file", "environment"])
def test_the_running_simulator_accepts_the_key_that_is_not_on_its_command_line(tmp_path: Path, how: str) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "MION_SIMULATOR_API_KEY"}
    argv = [sys.executable, "-m", "kiosk", "simulator", "--port", str(port)]
    if how == "file":
        (tmp_path / "key").write_text(KEY)
        argv += ["--api-key-file", str(tmp_path / "key")]
    else:
        env["MION_SIMULATOR_API_KEY"] = KEY
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/payment-sessions?reference=nobody"
        deadline = time.monotonic() + 30
        while True:
            try:
                wrong = requests.get(url, headers={"Authorization": "Bearer wrong"}, timeout=2)
                break
            except requests.ConnectionError:
                assert process.poll() is None and time.monotonic() < deadline, "the simulator did not start"
                time.sleep(0.1)
        right = requests.get(url, headers={"Authorization": f"Bearer {KEY}"}, timeout=2)
        assert wrong.status_code == 401 and right.status_code != 401
        assert KEY not in Path(f"/proc/{process.pid}/cmdline").read_bytes().decode(errors="replace")
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_simulator_answers_with_a_recorded_contract(tmp_path: Path) -> None:
    document = json.loads((Path(__file__).parent.parent / "docs" / "contracts" / "simulator.json").read_text())
    document["settings"]["paths"]["session_by_reference"] = "GET /lookup/{reference}"
    contract = tmp_path / "contract.json"
    contract.write_text(json.dumps(document))
    port = free_port()
    env = {**os.environ, "MION_SIMULATOR_API_KEY": KEY}
    argv = [sys.executable, "-m", "kiosk", "simulator", "--port", str(port), "--contract", str(contract)]
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        auth = {"Authorization": f"Bearer {KEY}"}
        deadline = time.monotonic() + 30
        while True:
            try:
                moved = requests.get(f"http://127.0.0.1:{port}/lookup/nobody", headers=auth, timeout=2)
                break
            except requests.ConnectionError:
                assert process.poll() is None and time.monotonic() < deadline, "the simulator did not start"
                time.sleep(0.1)
        old = requests.get(f"http://127.0.0.1:{port}/payment-sessions?reference=nobody", headers=auth, timeout=2)
        assert moved.status_code == 200 and moved.json() == [] and old.status_code == 404
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_contract_that_cannot_be_read_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{}")
    done = subprocess.run([sys.executable, "-m", "kiosk", "simulator", "--contract", str(tmp_path / "bad.json")],
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 2 and "not a recorded contract" in done.stderr
