"""``[nfc]``: off by default, each bad value refused with one line naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.config import load_settings
from kiosk.errors import ConfigError


def load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path)


def test_tap_to_pay_is_off_by_default_and_loads_no_reader(tmp_path: Path) -> None:
    nfc = load(tmp_path, "").nfc
    assert not nfc.enabled and nfc.reader == "pcsc"


@pytest.mark.parametrize(("text", "line"), [
    ('[nfc]\nreader = "acr122"', '[nfc] reader: expected pcsc, pn532-uart, pn532-i2c or demo, got "acr122"'),
    ('[nfc]\nenabled = true\nreader = "pn532-uart"',
     '[nfc] device: expected a serial port (such as /dev/serial0) for reader pn532-uart, got ""'),
    ("[nfc]\nmin_time_left_s = 9.9", "[nfc] min_time_left_s: expected"),
    ("[nfc]\nmax_tap_amount_cents = 0", "[nfc] max_tap_amount_cents: expected"),
])
def test_a_bad_value_gets_one_line_naming_the_setting(tmp_path: Path, text: str, line: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load(tmp_path, text)
    assert str(refused.value).startswith(line) and "\n" not in str(refused.value)


def test_the_edges_hold(tmp_path: Path) -> None:
    nfc = load(tmp_path, '[nfc]\nenabled = true\nreader = "pn532-uart"\ndevice = "/dev/serial0"\n'
                         "min_time_left_s = 10\nmax_tap_amount_cents = 1").nfc
    assert (nfc.min_time_left_s, nfc.max_tap_amount_cents) == (10, 1)
