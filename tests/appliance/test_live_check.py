"""``kiosk doctor --live`` against the simulator: as it is, with a path and a field renamed, and refusing."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.appliance.live_check import LiveReport, fixes, format_report, run_live_check
from kiosk.config import MionPaths, MionSettings
from kiosk.mion.contract import Contract
from kiosk.mion.simulator import MionSimulator

KEY = "live-check-key-8c1f0e"
ENDPOINTS = ["create_session", "create_attempt", "session_status", "session_by_id", "session_by_reference"]


def settings_for(sim: MionSimulator, **overrides: object) -> MionSettings:
    return dataclasses.replace(MionSettings(base_url=sim.base_url, invoice_network="regtest",
                                            connect_timeout_s=2, read_timeout_s=2), **overrides)  # type: ignore[arg-type]


@pytest.fixture
def sim() -> Iterator[MionSimulator]:
    with MionSimulator(api_key=KEY) as simulator:
        yield simulator


def verdicts(report: LiveReport) -> dict[str, str]:
    return {line.subject.split(" (")[0]: line.verdict for line in report.lines}


def test_against_the_simulator_every_line_is_found_and_nothing_is_paid(sim: MionSimulator) -> None:
    report = run_live_check(settings_for(sim), KEY)

    assert report.ok, format_report(report)
    seen = verdicts(report)
    assert all(seen[name] == "found" for name in ENDPOINTS)
    for field in ("attempt.amountMsat", "attempt.lnInvoice", "attempt.expiry", "invoice.network+amount",
                  "invoice.expiry", "status.status", "status.paidAt", "session.paidAt", "by reference.session"):
        assert seen[field] == "found", field
    (session,) = sim.sessions()
    assert session["reference"] == report.reference and report.reference.startswith("kiosk-check-")
    assert session["amount"] == 1 and session["paidAt"] is None and session["attempts"] == 1
    text = format_report(report)
    assert "Nothing is paid" in text and "it can sell with these settings" in text and fixes(report) == []
    assert json.loads(format_report(report, as_json=True))["ok"] is True


def test_each_line_says_the_raw_json_type_seen(sim: MionSimulator) -> None:
    lines = {line.subject: line for line in run_live_check(settings_for(sim), KEY).lines}

    assert (lines["attempt.amountMsat"].seen, lines["status.paidAt"].seen) == ("integer", "null")
    assert lines["attempt.blockedByCompliance"].seen == "boolean"
    assert lines["status.status"].detail == "'open'" or lines["status.status"].detail == "'pending'"


def test_a_renamed_expiry_field_and_a_moved_path_are_named_with_the_settings_that_fix_them() -> None:
    moved = MionPaths(session_status="GET /payment-sessions/status/{id}")
    contract = Contract(paths=moved, attempt_expiry_field="validUntil")
    with MionSimulator(api_key=KEY, contract=contract) as renamed:
        report = run_live_check(settings_for(renamed), KEY)
        assert not report.ok
        lines = {line.subject: line for line in report.lines}
        assert lines["attempt.expiry"].verdict == "missing" and "validUntil" in lines["attempt.expiry"].detail
        status = lines["session_status (GET /payment-sessions/{id}/status)"]
        assert status.verdict == "missing" and "GET /payment-sessions/status/{id}" in status.detail
        assert fixes(report) == ["[mion]", 'attempt_expiry_field = "validUntil"',
                                 "[mion.paths]", 'session_status = "GET /payment-sessions/status/{id}"']
        assert "Put these lines in kiosk.toml" in format_report(report)

        fixed = settings_for(renamed, attempt_expiry_field="validUntil", paths=moved)
        assert run_live_check(fixed, KEY).ok


def test_a_path_it_cannot_find_is_reported_as_seen() -> None:
    with MionSimulator(api_key=KEY, paths=MionPaths(session_by_id="GET /sessions/{id}")) as odd:
        report = run_live_check(settings_for(odd), KEY)
    line = next(line for line in report.lines if line.subject.startswith("session_by_id"))
    assert line.verdict == "missing" and line.seen.startswith("HTTP 404") and line.fix is None
    assert "Mion's API reference" in line.detail
    assert not report.ok and fixes(report) == []


def test_a_session_that_does_not_exist_is_not_a_wrong_path(sim: MionSimulator) -> None:
    # given a by-id path that routes, but names another session than the one asked for
    report = run_live_check(settings_for(sim, paths=MionPaths(session_by_id="GET /payment-sessions/{id}x")), KEY)

    line = next(line for line in report.lines if line.subject.startswith("session_by_id"))
    assert line.verdict == "unexpected value" and "no such session" in line.detail and line.fix is None


def test_a_refused_key_is_named_and_never_shown(sim: MionSimulator) -> None:
    wrong = "wrong-key-0b5e2c77a1"
    report = run_live_check(settings_for(sim), wrong)

    (line,) = report.lines
    assert line.verdict == "unexpected value" and line.seen.startswith("HTTP 401") and "auth_header" in line.detail
    assert wrong not in format_report(report) and wrong not in format_report(report, as_json=True)
    assert sim.sessions() == []


def test_unreachable(tmp_path: Path) -> None:
    report = run_live_check(MionSettings(base_url="http://127.0.0.1:9", connect_timeout_s=0.5), KEY)
    (line,) = report.lines
    assert line.verdict == "no answer" and not report.ok


def test_an_endless_answer_is_read_only_so_far(sim: MionSimulator) -> None:
    sim.fail_next(1, "huge")

    report = run_live_check(settings_for(sim), KEY)

    (line,) = report.lines
    assert line.verdict == "different type" and "not JSON" in line.detail
    assert len(report.exchanges[0].text) <= 1024 * 1024


def test_an_expiry_mion_ignored_is_said(sim: MionSimulator) -> None:
    report = run_live_check(settings_for(sim, session_expiry_field="validTo"), KEY)

    line = next(line for line in report.lines if line.subject.startswith("session expiry as asked"))
    assert line.verdict == "unexpected value" and "session_expiry_field" in line.detail and not line.required
    assert report.ok  # the kiosk still sells; the session just lives as long as Mion decides
    assert next(line for line in run_live_check(settings_for(sim), KEY).lines
                if line.subject.startswith("session expiry as asked")).verdict == "found"


def test_an_answer_trickled_a_byte_at_a_time_is_cut_at_the_calls_deadline(sim: MionSimulator) -> None:
    """Each read comes in time, the answer never does: the check gives up as the kiosk would (0.4 + 0.4 s)."""
    sim.trickle_s = 0.2
    sim.fail_next(1, "trickle")
    started = time.monotonic()

    report = run_live_check(settings_for(sim, connect_timeout_s=0.4, read_timeout_s=0.4), KEY)

    took = time.monotonic() - started
    (line,) = report.lines
    assert line.verdict == "no answer" and not report.ok
    assert took < 0.8 + 3.0, f"the check waited {took:.1f} s for one call"
