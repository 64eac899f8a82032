"""Prometheus metrics and /healthz: a real sale shows in /metrics, counters survive a restart, basic
auth refuses a wrong password, and health says 503 when the loop stops turning or the journal fails.

Given a kiosk wired to the simulator with ``[metrics] listen`` on a free loopback port; when one sale
is paid; then ``/metrics`` parses with prometheus_client's own parser and shows it.
"""

from __future__ import annotations

import base64
import logging
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from kiosk.config import Settings
from kiosk.config_metrics import MetricsSettings, split_listen
from kiosk.core.model import Phase, SaleSource
from kiosk.core.view import InvoiceView
from kiosk.errors import ConfigError
from kiosk.mion.simulator import MionSimulator
from kiosk.shell.app import KioskApp
from kiosk.shell.metrics import KioskMetrics, Snapshot
from kiosk.shell.metrics_server import MetricsApp
from kiosk.store.journal import Journal
from kiosk.store.tallies import count, read_tallies
from tests.clocks import FakeMonotonic
from tests.helpers import charge, drive, running_kiosk, settings_for


def fetch(url: str, *, auth: tuple[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url)
    if auth is not None:
        request.add_header("Authorization", "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample by (name, sorted labels), parsed by prometheus_client's own parser."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def metrics_settings(simulator: MionSimulator, tmp_path: Path, **metrics: object) -> Settings:
    return settings_for(simulator, tmp_path, metrics={"listen": "127.0.0.1:0", **metrics})


def url(app: KioskApp, path: str) -> str:
    assert app.metrics_server is not None
    return f"http://127.0.0.1:{app.metrics_server.port}{path}"


def pay_one_sale(app: KioskApp, simulator: MionSimulator) -> str:
    charge(app, "12.5")
    drive(app, lambda a: isinstance(a.register.view(a.now()), InvoiceView))
    sale = app.register.sale
    assert sale is not None and sale.session_id is not None
    simulator.mark_paid(sale.session_id)
    drive(app, lambda a: a.register.phase is Phase.PAID)
    return sale.reference


def test_one_paid_sale_shows_in_metrics_and_survives_a_restart(simulator: MionSimulator, tmp_path: Path,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    settings = metrics_settings(simulator, tmp_path)
    with running_kiosk(settings, tmp_path) as app:
        status, health = fetch(url(app, "/healthz"))
        assert (status, health) == (503, "the kiosk is starting: its main loop has not turned yet\n")
        reference = pay_one_sale(app, simulator)
        status, text = fetch(url(app, "/metrics"))
        assert fetch(url(app, "/healthz")) == (200, "ok\n")
    assert status == 200
    found = samples(text)
    assert found[("kiosk_sales_total", (("outcome", "paid"),))] == 1
    assert found[("kiosk_sales_total", (("outcome", "expired"),))] == 0
    assert found[("kiosk_paid_cents_total", ())] == 1250
    assert found[("kiosk_paid_sats_total", ())] > 0
    assert found[("kiosk_tips_cents_total", ())] == 0
    assert found[("kiosk_late_payments_total", ())] == 0
    assert found[("kiosk_mion_request_duration_seconds_count", (("endpoint", "create_session"),))] == 1
    assert found[("kiosk_mion_request_duration_seconds_count", (("endpoint", "create_attempt"),))] >= 1
    assert found[("kiosk_mion_polls_total", ())] >= 1
    assert found[("kiosk_mion_errors_total", (("kind", "unavailable"),))] == 0
    assert found[("kiosk_mion_reachable", ())] == 1
    assert found[("kiosk_printer_ok", ())] == 1
    assert ("kiosk_till_link_up", ()) not in found  # no till configured: no sample, not a false "down"
    assert found[("kiosk_journal_bytes", ())] > 0 and found[("kiosk_disk_free_bytes", ())] > 0
    paid_at = found[("kiosk_last_paid_timestamp_seconds", ())]
    assert abs(paid_at - datetime.now(UTC).timestamp()) < 600
    assert any(name == "kiosk_build_info" for name, _ in found)
    # The journal's structured fields (kiosk.appliance.journald) come with the sale's log lines.
    paid_lines = [r for r in caplog.records if getattr(r, "kiosk_sale", None) == reference
                  and getattr(r, "kiosk_phase", None) == "paid"]
    assert len(paid_lines) == 1 and paid_lines[0].mion_session  # type: ignore[attr-defined]

    # A restart starts from the journal's totals: the counter does not fall back to 0.
    with running_kiosk(settings, tmp_path) as app:
        drive(app, lambda a: True)
        again = samples(fetch(url(app, "/metrics"))[1])
    assert again[("kiosk_sales_total", (("outcome", "paid"),))] == 1
    assert again[("kiosk_paid_cents_total", ())] == 1250
    assert again[("kiosk_last_paid_timestamp_seconds", ())] == pytest.approx(paid_at, abs=1e-3)


def test_basic_auth_refuses_a_wrong_password_and_logs_no_password(
        simulator: MionSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "metrics-password").write_text("s3cret-horse\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    settings = metrics_settings(simulator, tmp_path, basic_auth_user="prometheus",
                                basic_auth_password_file="metrics-password")
    with running_kiosk(settings, tmp_path) as app:
        drive(app, lambda a: True)
        assert fetch(url(app, "/metrics"))[0] == 401
        assert fetch(url(app, "/metrics"), auth=("prometheus", "s3cret-hors"))[0] == 401
        assert fetch(url(app, "/metrics"), auth=("prometheu", "s3cret-horse"))[0] == 401
        assert fetch(url(app, "/healthz"), auth=("prometheus", "wrong"))[0] == 401
        status, text = fetch(url(app, "/metrics"), auth=("prometheus", "s3cret-horse"))
        assert fetch(url(app, "/healthz"), auth=("prometheus", "s3cret-horse")) == (200, "ok\n")
    assert status == 200 and "kiosk_sales_total" in text
    assert "s3cret" not in caplog.text and "refused a request" in caplog.text


def test_metrics_that_cannot_start_leave_the_kiosk_selling(simulator: MionSimulator, tmp_path: Path,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    settings = metrics_settings(simulator, tmp_path, basic_auth_user="prometheus",
                                basic_auth_password_file=str(tmp_path / "nowhere"))
    with running_kiosk(settings, tmp_path) as app:
        assert app.metrics is None and app.metrics_server is None  # never served without its password
        pay_one_sale(app, simulator)
    assert "metrics are off: [metrics] basic_auth_password_file: cannot read" in caplog.text


def health_app(monotonic: FakeMonotonic, stale_after_s: float = 10.0) -> tuple[KioskMetrics, MetricsApp]:
    metrics = KioskMetrics(Path("/nonexistent/journal.sqlite3"), stale_after_s=stale_after_s, monotonic=monotonic)
    return metrics, MetricsApp(metrics)


def call(app: MetricsApp, path: str) -> tuple[str, str]:
    got: list[str] = []
    body = app({"PATH_INFO": path, "REQUEST_METHOD": "GET"}, lambda status, headers: got.append(status))
    return got[0], b"".join(body).decode()


def test_health_is_503_when_the_loop_stops_turning_or_the_journal_fails(fake_monotonic: FakeMonotonic) -> None:
    metrics, app = health_app(fake_monotonic, stale_after_s=10.0)
    assert call(app, "/healthz")[0].startswith("503")
    metrics.loop_turned(Snapshot)
    assert call(app, "/healthz") == ("200 OK", "ok\n")
    fake_monotonic.advance(10.0)
    assert call(app, "/healthz")[0] == "200 OK"  # exactly at the limit: still healthy
    fake_monotonic.advance(1.0)
    assert call(app, "/healthz") == ("503 Service Unavailable", "the main loop has not turned for 11 s\n")
    metrics.loop_turned(lambda: Snapshot(journal_problem="disk I/O error"))
    assert call(app, "/healthz") == ("503 Service Unavailable", "the journal cannot be written: disk I/O error\n")
    metrics.loop_turned(Snapshot)
    assert call(app, "/healthz")[0] == "200 OK"
    assert call(app, "/nothing")[0].startswith("404")


def test_device_states_come_from_the_loops_snapshot(fake_monotonic: FakeMonotonic) -> None:
    metrics, app = health_app(fake_monotonic)
    metrics.loop_turned(lambda: Snapshot(mion_reachable=False, till_connected=False, printer=True,
                                         printer_problem="paper out", reader_problems=(("nfc", "unplugged"),)))
    found = samples(call(app, "/metrics")[1])
    assert found[("kiosk_mion_reachable", ())] == 0
    assert found[("kiosk_till_link_up", ())] == 0
    assert found[("kiosk_printer_ok", ())] == 0
    assert found[("kiosk_printer_problem", (("problem", "paper out"),))] == 1
    assert found[("kiosk_reader_problem", (("problem", "unplugged"), ("reader", "nfc")))] == 1
    assert found[("kiosk_healthy", ())] == 1
    fake_monotonic.advance(11)
    assert samples(call(app, "/metrics")[1])[("kiosk_healthy", ())] == 0


def test_a_late_payment_reads_back_as_its_ended_sale_and_a_late_payment(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    with Journal(path) as journal:
        for reference, cents in (("A-1", 100), ("A-2", 250), ("A-3", 999)):
            journal.create_sale(reference=reference, amount_cents=cents, source=SaleSource.KEYPAD, at=now)
            journal.set_session(reference, f"s-{reference}", now)
        journal.mark_paid("A-1", paid_at=now, amount_msat=1_000_000, late=False, at=now, print_copies=(),
                          till_line=None)
        journal.end_sale("A-2", Phase.EXPIRED, now)
        journal.mark_paid("A-2", paid_at=now, amount_msat=2_500_500, late=True, at=now, print_copies=(),
                          till_line=None)
        journal.end_sale("A-3", Phase.CANCELLED, now)
    tallies = read_tallies(path)
    assert tallies.outcomes["paid"] == 1 and tallies.outcomes["expired"] == 1 and tallies.outcomes["cancelled"] == 1
    assert (tallies.paid_cents, tallies.paid_msat, tallies.late_payments, tallies.tips_cents) == (350, 3_500_500, 1, 0)
    assert tallies.last_paid_at == now
    assert read_tallies(tmp_path / "none.sqlite3").outcomes["paid"] == 0


def test_tips_are_read_back_once_the_journal_has_a_tip_column() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE sale (phase TEXT, late INTEGER, amount_cents INTEGER, amount_msat INTEGER, "
                 "paid_at_us INTEGER, tip_cents INTEGER)")
    conn.execute("INSERT INTO sale VALUES ('paid', 0, 1000, 5000000, 1, 150)")
    assert count(conn).tips_cents == 150


@pytest.mark.parametrize("listen", ["9810", "127.0.0.1", "127.0.0.1:65536", "host name:9810", "::1:9810"])
def test_a_bad_listen_address_is_refused_naming_the_setting(listen: str) -> None:
    with pytest.raises(ConfigError, match=r"^\[metrics\] listen: expected empty, or an address and a port"):
        MetricsSettings(listen=listen).check()


def test_listen_addresses_split_into_host_and_port() -> None:
    assert split_listen("127.0.0.1:9810") == ("127.0.0.1", 9810)
    assert split_listen("[::1]:65535") == ("::1", 65535)
    assert split_listen(":9810") == ("", 9810)
    MetricsSettings(listen="[::1]:65535").check()


def test_auth_and_tls_settings_come_in_pairs() -> None:
    with pytest.raises(ConfigError, match=r"^\[metrics\] basic_auth_password_file: expected a file name"):
        MetricsSettings(listen=":9810", basic_auth_user="prometheus").check()
    with pytest.raises(ConfigError, match=r"^\[metrics\] basic_auth_password_file: expected a file name"):
        MetricsSettings(listen=":9810", basic_auth_password_file="metrics-password").check()
    with pytest.raises(ConfigError, match=r"^\[metrics\] tls_key_file: expected a key file"):
        MetricsSettings(listen=":9810", tls_cert_file="/etc/kiosk/metrics.crt").check()
    with pytest.raises(ConfigError, match=r"^\[metrics\] stale_after_s: expected seconds from 2 to 600"):
        MetricsSettings(stale_after_s=601).check()


def test_a_kiosk_without_metrics_never_loads_prometheus_client() -> None:
    code = ("import sys, kiosk.shell.app, kiosk.commands.run\n"
            "print('prometheus_client' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


def test_metrics_are_served_over_tls_with_the_configured_certificate(simulator: MionSimulator,
                                                                      tmp_path: Path) -> None:
    import shutil
    import ssl

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: no certificate to serve")
    cert, key = tmp_path / "metrics.crt", tmp_path / "metrics.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-days", "2",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=30)
    settings = metrics_settings(simulator, tmp_path, tls_cert_file=str(cert), tls_key_file=str(key))
    with running_kiosk(settings, tmp_path) as app:
        drive(app, lambda a: True)
        assert app.metrics_server is not None
        port = app.metrics_server.port
        context = ssl.create_default_context(cafile=str(cert))
        with urllib.request.urlopen(f"https://127.0.0.1:{port}/healthz", context=context, timeout=10) as answer:
            assert answer.read() == b"ok\n"
        with pytest.raises((urllib.error.URLError, ConnectionError)):  # plain HTTP gets no answer from TLS
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10)


def test_a_port_in_use_leaves_the_kiosk_running_without_metrics(simulator: MionSimulator, tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = settings_for(simulator, tmp_path, metrics={"listen": f"127.0.0.1:{port}"})
        with running_kiosk(settings, tmp_path) as app:
            drive(app, lambda a: True)
            assert app.metrics_server is None
    assert f"metrics are off: [metrics] listen: cannot listen on 127.0.0.1:{port}" in caplog.text


def test_a_paid_sale_with_a_tip_counts_it_and_a_late_one_counts_as_late(fake_monotonic: FakeMonotonic) -> None:
    from types import SimpleNamespace

    metrics, app = health_app(fake_monotonic)
    paid_at = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    tipped = SimpleNamespace(amount_cents=1150, amount_msat=2_000_000, tip_cents=150, ended_as=None)
    metrics.sale_paid(tipped, late=False, paid_at=paid_at)  # type: ignore[arg-type]
    metrics.sale_ended(Phase.EXPIRED)
    expired = SimpleNamespace(amount_cents=500, amount_msat=None, tip_cents=0, ended_as=Phase.EXPIRED)
    metrics.sale_paid(expired, late=True, paid_at=paid_at.replace(hour=11))  # type: ignore[arg-type]
    found = samples(call(app, "/metrics")[1])
    assert found[("kiosk_tips_cents_total", ())] == 150
    assert found[("kiosk_paid_cents_total", ())] == 1650 and found[("kiosk_paid_sats_total", ())] == 2000
    assert found[("kiosk_sales_total", (("outcome", "paid"),))] == 1  # the late one counted when it expired
    assert found[("kiosk_sales_total", (("outcome", "expired"),))] == 1
    assert found[("kiosk_late_payments_total", ())] == 1
    assert found[("kiosk_last_paid_timestamp_seconds", ())] == paid_at.timestamp()  # the later of the two
