"""``kiosk doctor``'s fleet lines: the metrics listener and where the last update stands.

Given a real metrics server on a free loopback port (or none), and an update root laid out by the real
``Updater`` (installs stood in for); when the doctor checks them; then each line says plainly whether
it is ok, what is wrong, and what to do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID

from kiosk.appliance import bundle as b
from kiosk.appliance.confirm import confirm_running
from kiosk.appliance.doctor import SystemPaths, format_results, run_doctor
from kiosk.appliance.doctor_fleet import check_metrics, check_pending, check_rollback, check_version
from kiosk.config_metrics import MetricsSettings
from kiosk.shell.metrics import KioskMetrics, Snapshot
from kiosk.shell.metrics_server import MetricsServer
from tests.appliance.test_update import Installs, fake_wheel, layout
from tests.clocks import FakeMonotonic

PASSWORD = "scrape-pass-7d1e"


@pytest.fixture
def serving(tmp_path: Path, fake_monotonic: FakeMonotonic) -> Iterator[tuple[KioskMetrics, MetricsSettings]]:
    """A metrics server with basic auth, on a free loopback port; yields its metrics and the settings
    a doctor would read (the password file named as a systemd credential)."""
    (tmp_path / "metrics-password").write_text(PASSWORD)
    metrics = KioskMetrics(tmp_path / "journal.sqlite3", stale_after_s=10, monotonic=fake_monotonic)
    served = MetricsSettings(listen="127.0.0.1:0", basic_auth_user="prometheus",
                             basic_auth_password_file="metrics-password")
    server = MetricsServer(served, metrics, password=PASSWORD)
    server.start()
    try:
        yield metrics, MetricsSettings(listen=f":{server.port}", basic_auth_user="prometheus",
                                       basic_auth_password_file="metrics-password")
    finally:
        server.stop()


def test_the_metrics_line_says_healthy_unhealthy_or_that_it_cannot_tell(
        tmp_path: Path, serving: tuple[KioskMetrics, MetricsSettings]) -> None:
    metrics, settings = serving
    credentials = {"CREDENTIALS_DIRECTORY": str(tmp_path)}
    status, detail, hint = check_metrics(settings, credentials, 5.0)
    assert status == "fail" and "answers 503: the kiosk is starting" in detail and "journalctl" in hint
    metrics.loop_turned(Snapshot)
    status, detail, _ = check_metrics(settings, credentials, 5.0)
    assert (status, detail) == ("ok", f"http://127.0.0.1:{settings.listen[1:]}/healthz answers 200: healthy")
    status, detail, hint = check_metrics(settings, {}, 5.0)  # not root: the credential cannot be read
    assert status == "unknown" and "asks for the password" in detail and "sudo kiosk doctor" in hint
    assert PASSWORD not in detail + hint


def test_the_metrics_line_fails_when_nothing_listens_and_is_skipped_when_off(tmp_path: Path) -> None:
    assert check_metrics(MetricsSettings(), {}, 1.0)[0] == "skipped"
    server = MetricsServer(MetricsSettings(listen="127.0.0.1:0"), KioskMetrics(tmp_path / "j", stale_after_s=10),
                           password=None)
    server.start()
    port = server.port
    server.stop()  # the port is free again: nothing answers there
    status, detail, hint = check_metrics(MetricsSettings(listen=f"127.0.0.1:{port}"), {}, 5.0)
    assert (status, detail) == ("fail", f"http://127.0.0.1:{port}/healthz: nothing listens there")
    assert "systemctl status kiosk" in hint


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kiosk")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2)).sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "metrics.crt", folder / "metrics.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_the_metrics_line_asks_a_tls_listener_over_https(tmp_path: Path, fake_monotonic: FakeMonotonic) -> None:
    cert, key = self_signed(tmp_path)
    tls = MetricsSettings(listen="127.0.0.1:0", tls_cert_file=str(cert), tls_key_file=str(key))
    metrics = KioskMetrics(tmp_path / "j", stale_after_s=10, monotonic=fake_monotonic)
    metrics.loop_turned(Snapshot)
    server = MetricsServer(tls, metrics, password=None)
    server.start()
    try:
        asked = MetricsSettings(listen=f"127.0.0.1:{server.port}", tls_cert_file=str(cert), tls_key_file=str(key))
        assert check_metrics(asked, {}, 5.0)[:2] == ("ok", (f"https://127.0.0.1:{server.port}/healthz answers "
                                                           "200: healthy"))
    finally:
        server.stop()


def test_the_update_lines_follow_an_install_its_wait_for_ready_and_a_rollback(
        tmp_path: Path, usb: Path, key: Ed25519PrivateKey) -> None:
    now = [1000.0]
    updater = layout(tmp_path, key, Installs(), clock=now)
    root, state = updater.root, updater.state_dir
    assert check_version(root)[:2] == ("ok", (f"{root / 'current'} -> {(root / 'venv').resolve()} "
                                             "(the image's own environment)"))
    assert check_pending(root, state) == ("ok", "none: the running version is confirmed", "")
    assert check_rollback(root) == ("ok", "no update was ever rolled back", "")

    updater.install_from([usb])
    new = updater.current.resolve()
    assert check_version(root)[1].endswith("(version 0.2.0)")
    status, detail, _ = check_pending(root, state, clock=lambda: 1300.0)  # the deadline, not past it
    assert (status, detail) == ("unknown", ("version 0.2.0 switched to 300 s ago, waiting for it to reach READY "
                                           "(rolled back after 300 s)"))
    status, detail, hint = check_pending(root, state, clock=lambda: 1301.0)
    assert status == "fail" and "has not reached READY: it will be rolled back" in detail and hint

    now[0] = 1400.0
    updater.settle(at_boot=True)  # it never reached READY
    status, detail, hint = check_rollback(root)
    assert status == "fail" and detail.startswith(f"{new.name} rolled back to venv at 1970-01-01 00:23 UTC: "
                                                  "it did not reach READY before the kiosk restarted")
    assert "refused from now on" in hint
    assert check_pending(root, state)[0] == "ok"

    wheels = tmp_path / "wheels-0.3.0"
    wheels.mkdir()
    fake_wheel(wheels, version="0.3.0")
    b.make_bundle(wheels, "0.3.0", key, usb / "kiosk-update-0.3.0.tar")
    now[0] = 2000.0
    updater.install_from([usb])
    confirm_running(state, prefix=str(updater.current))
    assert check_pending(root, state, clock=lambda: 9999.0)[:2] == (
        "ok", "version 0.3.0 reached READY; confirmed at the next boot or settle run")
    status, detail, _ = check_rollback(root)  # the rollback is history once another version was installed
    assert status == "ok" and detail.startswith(f"last one: {new.name} rolled back") and "updated since" in detail


def test_kiosk_doctor_prints_the_fleet_lines_with_their_verdicts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                 ) -> None:
    from kiosk.appliance import doctor

    for name in ("_check_mion", "_check_clock", "_check_display"):  # nothing but the fleet lines here
        monkeypatch.setattr(doctor, name, lambda ctx, name=name: doctor._skipped(name, "not asked"))
    update = tmp_path / "opt" / "update"
    update.mkdir(parents=True)
    (tmp_path / "opt" / "venv").mkdir()
    (tmp_path / "opt" / "current").symlink_to("venv")
    (update / "rollback.json").write_text('{"at": 5, "version": "0.2.0-abc", "to": "venv", "why": "no READY"}')
    (update / "last.json").write_text('{"at": 5, "what": "rolled back to venv: no READY"}')
    system = SystemPaths(dev_dir=tmp_path, update_root=tmp_path / "opt", kiosk_state=tmp_path)
    text = format_results(run_doctor(None, environ={}, system=system), as_json=False)
    lines = {line.split()[1]: line for line in text.splitlines()}
    assert lines["metrics"].startswith("SKIPPED") and "[metrics] listen is not set" in lines["metrics"]
    assert lines["version"].startswith("OK") and "(the image's own environment)" in lines["version"]
    assert lines["update"].startswith("OK") and "none" in lines["update"]
    assert lines["last"].startswith("FAIL") and "0.2.0-abc rolled back to venv" in lines["last"]
    assert "-> fix: that bundle is refused" in lines["last"]
    (tmp_path / "opt" / "current").unlink()  # a kiosk run from a checkout: no update lines to judge
    text = format_results(run_doctor(None, environ={}, system=system), as_json=False)
    lines = {line.split()[1]: line for line in text.splitlines()}
    assert lines["version"].startswith("OK") and "not installed from the image" in lines["version"]
    assert lines["update"].startswith("SKIPPED") and lines["last"].startswith("SKIPPED")


