"""``kiosk doctor``'s NFC check: what a technician sees for each reader kind."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from kiosk.appliance.doctor_nfc import check_nfc
from kiosk.config_nfc import NfcSettings


def test_off_or_demo_is_skipped() -> None:
    assert check_nfc(NfcSettings())[0] == "skipped"
    assert check_nfc(NfcSettings(enabled=True, reader="demo"))[0] == "skipped"


def test_pcsc_without_pyscard_fails_with_the_install_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "smartcard" else real(name, *a))
    status, detail, hint = check_nfc(NfcSettings(enabled=True, reader="pcsc"))
    assert (status, detail) == ("fail", "pyscard is not installed") and "pcscd" in hint


def test_pn532_on_i2c_needs_its_bus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: object() if name == "adafruit_pn532" else real(name, *a))
    nfc = NfcSettings(enabled=True, reader="pn532-i2c", device="1")
    status, detail, hint = check_nfc(nfc, tmp_path)
    assert status == "fail" and "i2c-1 does not exist" in detail and "raspi-config" in hint
    (tmp_path / "i2c-1").touch()
    assert check_nfc(nfc, tmp_path)[0] == "ok"


def test_pn532_on_the_uart_needs_nfcpy_and_its_port(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: object() if name == "nfc" else real(name, *a))
    port = tmp_path / "serial0"
    nfc = NfcSettings(enabled=True, reader="pn532-uart", device=str(port))
    assert check_nfc(nfc)[:2] == ("fail", f"{port} does not exist")
    port.touch()
    assert check_nfc(nfc)[0] == "ok"
