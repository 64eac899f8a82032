"""A key pasted into the wrong setting is never shown: not in a config error, doctor, the log or config-error.

Every text setting of every section is found by walking the settings dataclasses and given a
canary key in turn. Wherever the kiosk could show the value (the config error on the customer
screen, ``kiosk doctor``'s lines and JSON, the ``config-error`` file provisioning writes, the log),
the canary must not appear.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from kiosk.appliance.doctor import SystemPaths, format_results, run_doctor
from kiosk.appliance.provision import provision
from kiosk.config import ConfigError, load_settings
from kiosk.config_check import looks_secret, secret_parts
from tests.helpers import every_setting

CANARIES = [
    "sk_live_CANARY0123456789abcdefXYZ",   # a prefixed key
    "4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c",    # 32 hex digits
    "Zm9vYmFy/YmF6cXV4+MTIzNDU2Nzg5MA==",  # base64, with a slash and padding
]

ENABLERS: dict[tuple[str, str], str] = {
    # Settings that are only used (and so could be shown) when another setting turns them on.
    ("pos", "port"): "enabled = true",
    ("printer", "device"): 'kind = "file"',
    ("printer", "usb_id"): 'kind = "usb"',
    ("printer", "profile"): 'kind = "dummy"',
}
REFUSED = {
    # They reach the customer's screen or receipt, or the log, or lie next to the key's own setting.
    ("shop", "name"), ("shop", "address_lines"), ("printer", "footer"), ("pos", "port"),
    ("mion", "auth_header"), ("mion", "auth_scheme"), ("mion", "api_key_env"), ("mion", "api_key_file"),
    ("mion", "session_expiry_field"), ("mion", "attempt_expiry_field"), ("accessibility", "speech_command"),
    ("metrics", "basic_auth_user"), ("metrics", "basic_auth_password_file"),
}


TEXTS = [(section, name, hint is not str) for section, name, hint in every_setting()
         if hint is str or typing.get_origin(hint) is tuple]
IDS = [f"{section}.{name}" for section, name, _ in TEXTS]


def write_config(path: Path, section: str, name: str, is_list: bool, canary: str) -> Path:
    value = f'["{canary}"]' if is_list else f'"{canary}"'
    enabler = ENABLERS.get((section, name), "")
    path.write_text(f"[light]\nenabled = false\n[{section}]\n{name} = {value}\n{enabler}\n", encoding="utf-8")
    return path


@pytest.fixture
def quick_system(tmp_path: Path) -> SystemPaths:
    """No GPIO, a synchronised clock, and a display check that answers at once."""
    dev = tmp_path / "dev"
    dev.mkdir()
    flag = tmp_path / "synchronized"
    flag.touch()
    return SystemPaths(dev_dir=dev, timesync_flag=flag, timedatectl=("false",), python="true",
                       subprocess_timeout_s=5.0, network_timeout_s=0.5)


def test_the_walk_finds_the_texts_of_every_section() -> None:
    assert {section for section, _, _ in TEXTS} == {"shop", "sale", "mion", "mion.paths", "pos", "light", "printer",
                                                       "display", "accessibility", "metrics", "nfc", "zvt"}
    assert ("mion", "api_key_file", False) in TEXTS and ("shop", "address_lines", True) in TEXTS


@pytest.mark.parametrize("canary", CANARIES)
def test_the_canaries_look_like_keys(canary: str) -> None:
    assert looks_secret(canary) and looks_secret(f"Bearer {canary}") and looks_secret(f"/etc/kiosk/{canary}")


@pytest.mark.parametrize("harmless", [
    "Lightning Shop", "Kaffee Eck, Hauptstraße 12", "www.kaffeehaus24.de", "Europe/Helsinki", "GPIO17",
    "/dev/ttyUSB0", "mion-api-key", "/etc/kiosk/mion-api-key", "MION_API_KEY", "http://127.0.0.1:54321",
    "https://api.mion.group/api/v1", "GET /payment-sessions?reference={reference}", "04b8:0202", "TM-T20II",
])
def test_ordinary_values_do_not_look_like_keys(harmless: str) -> None:
    assert not looks_secret(harmless), secret_parts(harmless)


@pytest.mark.parametrize("canary", CANARIES)
@pytest.mark.parametrize(("section", "name", "is_list"), TEXTS, ids=IDS)
def test_a_key_in_any_text_setting_is_never_shown(tmp_path: Path, quick_system: SystemPaths,
                                                  caplog: pytest.LogCaptureFixture, section: str, name: str,
                                                  is_list: bool, canary: str) -> None:
    caplog.set_level(logging.DEBUG)
    etc, boot = tmp_path / "etc", tmp_path / "boot"
    etc.mkdir()
    boot.mkdir()
    config = write_config(etc / "kiosk.toml", section, name, is_list, canary)

    try:
        load_settings(config)
        error = ""
    except ConfigError as exc:
        error = str(exc)
    assert canary not in error
    if (section, name) in REFUSED:
        assert error.startswith(f"[{section}] {name}: looks like an API key"), error

    results = run_doctor(config, environ={"PATH": os.environ.get("PATH", "")}, system=quick_system)
    assert canary not in format_results(results, as_json=False)
    assert canary not in format_results(results, as_json=True)

    write_config(boot / "kiosk.toml", section, name, is_list, canary)
    result = provision(boot, etc)
    assert canary not in repr(result)
    error_file = etc / "config-error"
    assert not error_file.exists() or canary not in error_file.read_text(encoding="utf-8")

    assert canary not in caplog.text


@pytest.mark.parametrize(("section", "name"), [("mion", "api_key_file"), ("mion", "auth_header"), ("pos", "port")])
def test_kiosk_doctor_never_prints_a_misplaced_key(tmp_path: Path, section: str, name: str) -> None:
    canary = CANARIES[0]
    config = write_config(tmp_path / "kiosk.toml", section, name, False, canary)
    env = {k: v for k, v in os.environ.items() if k != "MION_API_KEY"}
    env.update(SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", PYGAME_HIDE_SUPPORT_PROMPT="1")

    for as_json in ([], ["--json"]):
        done = subprocess.run([sys.executable, "-m", "kiosk", "--config", str(config), "doctor", *as_json],
                              capture_output=True, text=True, env=env, timeout=120, check=False)
        assert done.returncode == 1  # the misplaced key fails a check
        assert canary not in done.stdout and canary not in done.stderr
        if as_json:
            assert json.loads(done.stdout)["ok"] is False


def test_harmless_values_are_still_repeated_to_help(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('[shop]\nlanguage = "sv"\n')
    with pytest.raises(ConfigError, match='got "sv"'):
        load_settings(config)
