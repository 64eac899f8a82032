"""Recorded contracts: ``kiosk doctor --live --record`` writes one, ``kiosk simulator --contract`` answers with it.

Every contract under docs/contracts/ is played against the kiosk's own Mion client, step by step, so
a recording from a real Mion shows at once which parts of the kiosk would break with it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kiosk.cli import main
from kiosk.config import MionSettings
from kiosk.core.invoice import check_invoice
from kiosk.errors import KioskError
from kiosk.mion.client import MionClient
from kiosk.mion.contract import load_contract, redact
from kiosk.mion.simulator import MionSimulator
from tests.mion.test_invoice_check import decode_fields

CONTRACTS = sorted((Path(__file__).parents[2] / "docs" / "contracts").glob("*.json"))
CANARY = "canary-Kf83Qz1x-9d2e7b"


def kiosk_against(contract: Path) -> dict[str, str]:
    """Each step of a sale by the kiosk's client against a simulator speaking ``contract``: "ok" or what broke."""
    steps: dict[str, str] = {}
    with MionSimulator(api_key=CANARY, contract=load_contract(contract)) as sim:
        mion = MionSettings(base_url=sim.base_url, invoice_network="regtest", connect_timeout_s=2, read_timeout_s=2)
        with MionClient(mion, CANARY) as client:
            def step(name: str, action: Callable[[], Any]) -> Any:
                try:
                    result = action()
                except KioskError as exc:
                    steps[name] = f"{type(exc).__name__}: {exc}"
                    return None
                steps[name] = "ok"
                return result

            expires = datetime.now(UTC) + timedelta(minutes=5)
            session = step("create_session", lambda: client.create_session(amount_cents=1250, reference="K1-C1",
                                                                           expires_at=expires))
            if session is None:
                return steps
            attempt = step("create_attempt", lambda: client.create_attempt(session.session_id))
            if attempt is not None:
                step("invoice", lambda: check_invoice(attempt.invoice, network="regtest",
                                                      amount_msat=attempt.amount_msat))
            step("session_status", lambda: client.session_status(session.session_id))
            step("session_by_id", lambda: client.session_by_id(session.session_id))
            step("session_by_reference", lambda: client.session_by_reference("K1-C1") or KioskError("none"))
            sim.mark_paid()
            step("paid", lambda: client.session_status(session.session_id).is_paid or KioskError("not paid"))
    return steps


@pytest.mark.parametrize("contract", CONTRACTS, ids=[path.name for path in CONTRACTS])
def test_the_kiosk_works_with_every_shipped_contract(contract: Path) -> None:
    steps = kiosk_against(contract)
    assert steps == dict.fromkeys(("create_session", "create_attempt", "invoice", "session_status",
                                   "session_by_id", "session_by_reference", "paid"), "ok")


def test_the_simulators_own_contract_is_shipped() -> None:
    assert "simulator.json" in [path.name for path in CONTRACTS]


def _renamed(tmp_path: Path) -> Path:
    """The simulator's contract as a Mion with the attempt's expiry as validUntil and the status path moved."""
    document = json.loads((Path(__file__).parents[2] / "docs" / "contracts" / "simulator.json").read_text())
    document["settings"]["attempt_expiry_field"] = "validUntil"
    document["settings"]["paths"]["session_status"] = "GET /payment-sessions/status/{id}"
    for exchange in document["exchanges"]:
        if exchange["endpoint"] == "create_attempt":
            body = exchange["response"]["body"]
            body["validUntil"] = body.pop("expiry")
    path = tmp_path / "renamed.json"
    path.write_text(json.dumps(document))
    return path


def test_a_recorded_contract_shows_which_parts_of_the_kiosk_break(tmp_path: Path) -> None:
    steps = kiosk_against(_renamed(tmp_path))

    assert steps["create_attempt"] == "MionMalformed: attempt: expiry missing"
    assert steps["session_status"].startswith("MionRejected: Mion refused the request: HTTP 404")
    assert steps["paid"] != "ok"  # the status poll is the one that says paid
    assert {steps[name] for name in ("create_session", "session_by_id", "session_by_reference")} == {"ok"}


def _config(tmp_path: Path, base_url: str, extra: str = "") -> Path:
    (tmp_path / "mion-api-key").write_text(CANARY)
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[mion]\nbase_url = "{base_url}"\napi_key_file = "mion-api-key"\ninvoice_network = "regtest"\n'
                      f"{extra}")
    return config


def test_doctor_live_names_the_differences_of_a_recorded_contract_and_prints_the_fix(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with MionSimulator(api_key=CANARY, contract=load_contract(_renamed(tmp_path))) as sim:
        assert main(["--config", str(_config(tmp_path, sim.base_url)), "doctor", "--live"]) == 1
        out = capsys.readouterr().out
        assert "MISSING" in out and "'validUntil'" in out and "no such path" in out
        fix = out[out.index("Put these lines in kiosk.toml"):].splitlines()[1:]
        assert [line.strip() for line in fix] == ["[mion]", 'attempt_expiry_field = "validUntil"', "[mion.paths]",
                                                  'session_status = "GET /payment-sessions/status/{id}"']
        # the [mion] line joins the section the file has; [mion.paths] follows it
        fixed = _config(tmp_path, sim.base_url, 'attempt_expiry_field = "validUntil"\n[mion.paths]\n'
                                                'session_status = "GET /payment-sessions/status/{id}"\n')
        assert main(["--config", str(fixed), "doctor", "--live"]) == 0


def test_a_record_holds_no_key_no_auth_header_no_payment_secret_and_loads(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = tmp_path / "mion.json"
    with MionSimulator(api_key=CANARY) as sim:
        assert main(["--config", str(_config(tmp_path, sim.base_url)), "doctor", "--live", "--record",
                     str(record)]) == 0
    printed = capsys.readouterr()
    text = record.read_text()
    assert CANARY not in text and CANARY not in printed.out + printed.err
    assert CANARY[:8] not in text and "Authorization" not in text and "Bearer" not in text
    invoices = [exchange["response"]["body"]["lnInvoice"] for exchange in json.loads(text)["exchanges"]
                if exchange["endpoint"] == "create_attempt"]
    assert len(invoices) == 1 and decode_fields(invoices[0])[1]["s"] == bytes(32)

    # and the simulator answers with it as the kiosk expects
    assert set(kiosk_against(record).values()) == {"ok"}


def test_a_key_echoed_in_an_answer_is_scrubbed_even_in_part() -> None:
    document = {"message": f"bad header Bearer {CANARY}", "cut": f"...{CANARY[:12]}", "n": 5}
    cleaned = json.dumps(redact(document, {CANARY}))
    assert CANARY[:8] not in cleaned and "***" in cleaned and '"n": 5' in cleaned


def test_the_shipped_simulator_contract_has_the_simulators_current_shapes(tmp_path: Path) -> None:
    record = tmp_path / "now.json"
    with MionSimulator(api_key=CANARY) as sim:
        assert main(["--config", str(_config(tmp_path, sim.base_url)), "doctor", "--live", "--record",
                     str(record)]) == 0
    now, shipped = load_contract(record), load_contract(CONTRACTS[CONTRACTS.index(
        Path(__file__).parents[2] / "docs" / "contracts" / "simulator.json")])
    assert (now.paths, now.attempt_expiry_field, now.session_expiry_field) == \
        (shipped.paths, shipped.attempt_expiry_field, shipped.session_expiry_field)
    for endpoint, answer in now.answers.items():
        sample = answer[0] if isinstance(answer, list) else answer
        kept = shipped.answers[endpoint]
        assert set(sample) == set(kept[0] if isinstance(kept, list) else kept), endpoint


def test_record_needs_live(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--record", str(tmp_path / "x.json")]) == 2
    assert "--record needs --live" in capsys.readouterr().err and not (tmp_path / "x.json").exists()
