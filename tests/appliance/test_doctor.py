"""``kiosk doctor`` against the Mion simulator, fake devices and a fake clock service."""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from kiosk.appliance.doctor import CheckResult, SystemPaths, exit_code, format_results, run_doctor
from kiosk.mion.simulator import MionSimulator

KEY = "doctor-test-key-0123"
BASE_ENV = {"SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "PATH": os.environ.get("PATH", "")}


@pytest.fixture(scope="module")
def sim() -> Iterator[MionSimulator]:
    simulator = MionSimulator(api_key=KEY, port=0)
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def system(tmp_path: Path) -> SystemPaths:
    """A machine with no GPIO chip, no USB devices and a synchronised clock."""
    dev = tmp_path / "dev"
    dev.mkdir()
    flag = tmp_path / "synchronized"
    flag.touch()
    return SystemPaths(dev_dir=dev, timesync_flag=flag, update_root=tmp_path / "opt-kiosk",
                       kiosk_state=tmp_path / "var-lib-kiosk",
                       timedatectl=("false",), subprocess_timeout_s=20.0, network_timeout_s=1.0)


def write_config(directory: Path, base_url: str, extra: str = "", key: str | None = KEY) -> Path:
    config = directory / "kiosk.toml"
    config.write_text(f'[mion]\nbase_url = "{base_url}"\napi_key_file = "mion-api-key"\n'
                      f"[light]\nenabled = false\n{extra}")
    if key is not None:
        (directory / "mion-api-key").write_text(key)
    return config


def by_name(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {r.name: r for r in results}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_healthy_kiosk_passes_every_check(tmp_path: Path, sim: MionSimulator, system: SystemPaths) -> None:
    config = write_config(tmp_path, sim.base_url)

    results = run_doctor(config, environ=BASE_ENV, system=system)

    checks = by_name(results)
    assert [r.name for r in results] == ["config", "api key", "mion", "clock", "display", "till port", "printer",
                                         "gpio", "nfc reader", "metrics", "version", "update pending",
                                         "last rollback"]
    assert checks["config"].status == "ok"
    assert checks["api key"].status == "ok"
    assert checks["mion"].status == "ok" and "key accepted" in checks["mion"].detail
    assert checks["clock"].status == "ok"
    assert checks["display"].status == "ok" and "dummy" in checks["display"].detail
    assert {checks[n].status for n in ("till port", "printer", "gpio")} == {"skipped"}
    assert exit_code(results) == 0


def test_the_key_is_never_printed(tmp_path: Path, sim: MionSimulator, system: SystemPaths) -> None:
    config = write_config(tmp_path, sim.base_url)

    results = run_doctor(config, environ=BASE_ENV, system=system)

    assert KEY not in format_results(results, as_json=False)
    assert KEY not in format_results(results, as_json=True)


def test_wrong_key_is_reported_as_refused(tmp_path: Path, sim: MionSimulator, system: SystemPaths) -> None:
    config = write_config(tmp_path, sim.base_url, key="not-the-right-key")

    results = run_doctor(config, environ=BASE_ENV, system=system)

    mion = by_name(results)["mion"]
    assert mion.status == "fail" and "refused" in mion.detail and "401" in mion.detail
    assert "mion-api-key" in mion.hint
    assert exit_code(results) == 1


def test_a_wrong_lookup_path_fails_rather_than_reading_as_no_session(tmp_path: Path, sim: MionSimulator,
                                                                     system: SystemPaths) -> None:
    config = write_config(tmp_path, sim.base_url,
                          '[mion.paths]\nsession_by_reference = "GET /payment-sessions/by-ref/{reference}"\n')

    mion = by_name(run_doctor(config, environ=BASE_ENV, system=system))["mion"]

    assert mion.status == "fail" and "404 for a path it does not have" in mion.detail
    assert "session_by_reference" in mion.hint and "--live" in mion.hint


def test_unreachable_mion(tmp_path: Path, system: SystemPaths) -> None:
    config = write_config(tmp_path, f"http://127.0.0.1:{free_port()}")

    mion = by_name(run_doctor(config, environ=BASE_ENV, system=system))["mion"]

    assert mion.status == "fail" and "unreachable" in mion.detail
    assert "network" in mion.hint


def test_plain_http_to_another_machine_fails_the_config(tmp_path: Path, system: SystemPaths) -> None:
    config = write_config(tmp_path, "http://192.168.1.20:8080")

    results = run_doctor(config, environ=BASE_ENV, system=system)

    checks = by_name(results)
    assert checks["config"].status == "fail"
    assert checks["config"].detail.startswith("[mion] base_url: plain http is allowed only to this machine")
    assert checks["mion"].status == "skipped"
    assert exit_code(results) == 1


def test_plain_http_on_loopback_is_reported_as_such(tmp_path: Path, sim: MionSimulator, system: SystemPaths) -> None:
    config = write_config(tmp_path, sim.base_url.replace("127.0.0.1", "localhost"))

    mion = by_name(run_doctor(config, environ=BASE_ENV, system=system))["mion"]

    assert mion.status == "ok" and "plain http to this machine" in mion.detail


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[str]:
    """An HTTPS server on loopback whose self-signed certificate no client trusts."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"],
                   check=True, capture_output=True)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(404)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


def test_untrusted_tls_certificate_is_named(tmp_path: Path, https_server: str, system: SystemPaths) -> None:
    config = write_config(tmp_path, https_server)

    mion = by_name(run_doctor(config, environ=BASE_ENV, system=system))["mion"]

    assert mion.status == "fail" and "TLS" in mion.detail
    assert "clock" in mion.hint


def test_invalid_config_fails_and_skips_what_depends_on_it(tmp_path: Path, system: SystemPaths) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('[shop]\nlanguage = "xx"\n')

    results = run_doctor(config, environ=BASE_ENV, system=system)

    checks = by_name(results)
    assert checks["config"].status == "fail" and "[shop] language" in checks["config"].detail
    assert checks["config"].hint
    assert {checks[n].status for n in ("api key", "mion", "till port", "printer", "gpio")} == {"skipped"}
    assert checks["clock"].status == "ok" and checks["display"].status == "ok"
    assert exit_code(results) == 1


def test_refused_provisioning_is_reported(tmp_path: Path, sim: MionSimulator, system: SystemPaths) -> None:
    config = write_config(tmp_path, sim.base_url)
    (tmp_path / "config-error").write_text("[sale] max_amount_cents: expected a whole number\n")

    check = by_name(run_doctor(config, environ=BASE_ENV, system=system))["config"]

    assert check.status == "fail" and "max_amount_cents" in check.detail


def test_missing_key(tmp_path: Path, sim: MionSimulator, system: SystemPaths) -> None:
    config = write_config(tmp_path, sim.base_url, key=None)

    checks = by_name(run_doctor(config, environ=BASE_ENV, system=system))

    assert checks["api key"].status == "fail" and "boot partition" in checks["api key"].hint
    assert checks["mion"].status == "skipped"


def test_key_comes_from_the_credentials_directory_under_systemd(tmp_path: Path, sim: MionSimulator,
                                                                 system: SystemPaths) -> None:
    config = write_config(tmp_path, sim.base_url, key=None)
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "mion-api-key").write_text(KEY)

    checks = by_name(run_doctor(config, environ={**BASE_ENV, "CREDENTIALS_DIRECTORY": str(credentials)},
                                system=system))

    assert checks["api key"].status == "ok" and checks["mion"].status == "ok"


def test_missing_devices_fail_with_hints(tmp_path: Path, sim: MionSimulator, system: SystemPaths) -> None:
    extra = (f'[pos]\nenabled = true\nport = "{tmp_path}/ttyUSB9"\n'
             f'[printer]\nkind = "file"\ndevice = "{tmp_path}/lp0"\n')
    config = write_config(tmp_path, sim.base_url, extra.replace("[light]", ""))
    config.write_text(config.read_text().replace("enabled = false", "enabled = true", 1))

    results = run_doctor(config, environ=BASE_ENV, system=system)

    checks = by_name(results)
    assert checks["till port"].status == "fail" and "dialout" in checks["till port"].hint
    assert checks["printer"].status == "fail" and checks["printer"].hint
    assert checks["gpio"].status == "fail" and "gpiochip" in checks["gpio"].detail
    assert exit_code(results) == 1


def test_present_devices_pass(tmp_path: Path, sim: MionSimulator, system: SystemPaths) -> None:
    controller, terminal = os.openpty()
    try:
        (system.dev_dir / "gpiochip0").touch()
        extra = f'[pos]\nenabled = true\nport = "{os.ttyname(terminal)}"\n[printer]\nkind = "dummy"\n'
        config = write_config(tmp_path, sim.base_url, extra)
        config.write_text(config.read_text().replace("enabled = false", "enabled = true", 1))

        checks = by_name(run_doctor(config, environ=BASE_ENV, system=system))
    finally:
        os.close(controller)
        os.close(terminal)

    assert checks["till port"].status == "ok"
    assert checks["printer"].status == "ok" and "paper: unknown" in checks["printer"].detail
    assert checks["gpio"].status == "ok" and "gpiochip0" in checks["gpio"].detail


@pytest.fixture
def paperless_printer() -> Iterator[int]:
    """A network printer that answers every status query with 'paper end'."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    if conn.recv(16):
                        conn.sendall(bytes([0x12 | 0x60]))  # DLE EOT 4 answer: paper end sensor set
                except OSError:
                    pass

    thread = threading.Thread(target=serve)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    thread.join(timeout=5)
    server.close()


def test_printer_out_of_paper(tmp_path: Path, sim: MionSimulator, system: SystemPaths,
                              paperless_printer: int) -> None:
    extra = f'[printer]\nkind = "network"\nhost = "127.0.0.1"\nport = {paperless_printer}\n'
    config = write_config(tmp_path, sim.base_url, extra)

    printer = by_name(run_doctor(config, environ=BASE_ENV, system=system))["printer"]

    assert printer.status == "fail" and "paper: out" in printer.detail and "paper" in printer.hint


def test_display_driver_that_cannot_start(tmp_path: Path, sim: MionSimulator, system: SystemPaths) -> None:
    config = write_config(tmp_path, sim.base_url)

    display = by_name(run_doctor(config, environ={**BASE_ENV, "SDL_VIDEODRIVER": "nosuchdriver"},
                                 system=system))["display"]

    assert display.status == "fail" and "nosuchdriver" in display.detail and display.hint


@pytest.mark.parametrize(("answer", "status"), [("yes", "ok"), ("no", "fail"), (None, "unknown")])
def test_clock(tmp_path: Path, system: SystemPaths, answer: str | None, status: str) -> None:
    command = (sys.executable, "-c", f"print({answer!r})") if answer else ("false",)
    probe = SystemPaths(dev_dir=system.dev_dir, 
                        timesync_flag=tmp_path / "absent", timedatectl=command)

    clock = by_name(run_doctor(None, environ=BASE_ENV, system=probe))["clock"]

    assert clock.status == status


def test_json_output_for_tools(tmp_path: Path, sim: MionSimulator, system: SystemPaths) -> None:
    config = write_config(tmp_path, sim.base_url, key="wrong-key-000")

    data = json.loads(format_results(run_doctor(config, environ=BASE_ENV, system=system), as_json=True))

    assert data["ok"] is False
    mion = next(c for c in data["checks"] if c["name"] == "mion")
    assert mion["status"] == "fail" and mion["hint"]
    assert set(mion) == {"name", "status", "detail", "hint"}


def test_text_output_is_one_line_per_check_with_hints() -> None:
    results = [CheckResult(name="config", status="ok", detail="valid"),
               CheckResult(name="mion", status="fail", detail="unreachable", hint="check the network")]

    text = format_results(results, as_json=False)

    assert text.splitlines() == ["OK      config  valid", "FAIL    mion    unreachable  -> fix: check the network"]
    assert exit_code(results) == 1
    assert exit_code(results[:1]) == 0


def test_no_screen_is_a_failure_not_sdls_offscreen_fallback(tmp_path: Path, sim: MionSimulator,
                                                              system: SystemPaths) -> None:
    config = write_config(tmp_path, sim.base_url)
    environ = {k: v for k, v in BASE_ENV.items() if k not in ("SDL_VIDEODRIVER", "DISPLAY", "WAYLAND_DISPLAY")}
    environ["XDG_RUNTIME_DIR"] = str(tmp_path)
    display = by_name(run_doctor(config, environ=environ, system=system))["display"]
    assert display.status == "fail" and "no screen found" in display.detail and display.hint


def test_a_zvt_till_over_tcp_needs_no_serial_port(tmp_path: Path, sim: MionSimulator, system: SystemPaths) -> None:
    extra = '[pos]\nenabled = true\nmode = "zvt"\n[zvt]\nlisten = "0.0.0.0:20007"\n'
    config = write_config(tmp_path, sim.base_url, extra)
    checks = by_name(run_doctor(config, environ=BASE_ENV, system=system))
    assert checks["till port"].status == "skipped" and "0.0.0.0:20007" in checks["till port"].detail
