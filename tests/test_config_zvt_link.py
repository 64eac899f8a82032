"""``[pos] mode = "zvt"`` needs a way in for the till: a serial port or ``[zvt] listen``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parent.parent
NEITHER = '[pos]\nenabled = true\nmode = "zvt"\n'


def test_zvt_with_neither_a_port_nor_listen_names_both_settings_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(NEITHER)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert "[pos] port" in message and "[zvt] listen" in message and "\n" not in message


@pytest.mark.parametrize("extra", ['port = "/dev/ttyUSB0"\n', '[zvt]\nlisten = "127.0.0.1:20007"\n'])
def test_zvt_with_a_port_or_listen_loads(tmp_path: Path, extra: str) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(NEITHER + extra)
    settings = load_settings(path)
    assert settings.pos.mode == "zvt"


def test_a_disabled_till_or_another_mode_needs_no_listen(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text('[pos]\nenabled = false\nmode = "zvt"\n')
    assert load_settings(path).pos.enabled is False


def test_the_kiosk_refuses_to_start_with_the_one_line(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(NEITHER)
    done = subprocess.run([sys.executable, "-m", "kiosk", "--config", str(path), "--state-dir", str(tmp_path), "history"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if "[zvt] listen" in line]
    assert len(lines) == 1 and "[pos] port" in lines[0]
