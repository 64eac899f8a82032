"""Every number in the settings has a finite range: found from the dataclasses, checked at its edges.

The numeric settings are discovered by walking the settings dataclasses, so a new one is tested the
day it is added, and fails here until it is declared with a range (``kiosk.config_check.number``) and
the range is written in docs/kiosk.example.toml.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from kiosk.config import ConfigError, Settings, load_settings
from kiosk.config_check import Bounds, bounds_of
from tests.helpers import every_setting

EXAMPLE = Path(__file__).parent.parent / "docs" / "kiosk.example.toml"

COMPANIONS: dict[tuple[str, str], dict[str, object]] = {
    # max_backoff_s may not be below poll_interval_s: each one's edges are tried with the other out of the way.
    ("sale", "max_backoff_s"): {"poll_interval_s": 0.1},
    ("sale", "poll_interval_s"): {"max_backoff_s": 120},
    # the rate bounds may not cross either
    ("sale", "max_rate_msat_per_cent"): {"min_rate_msat_per_cent": 1},
    ("sale", "min_rate_msat_per_cent"): {"max_rate_msat_per_cent": 100_000_000},
}


NUMERIC = [(section, name, hint) for section, name, hint in every_setting() if hint in (int, float)]
IDS = [f"{section}.{name}" for section, name, _ in NUMERIC]


def literal(value: float, hint: type) -> str:
    """``value`` as TOML writes it for a setting of type ``hint``."""
    if hint is int and not (isinstance(value, float) and not math.isfinite(value)):
        return str(int(value))
    return repr(float(value))  # nan, inf and -inf are TOML's own spellings


def load(tmp_path: Path, section: str, name: str, value: str, extra: dict[str, object] | None = None) -> Settings:
    lines = [f"[{section}]", f"{name} = {value}"]
    lines += [f"{key} = {other!r}" for key, other in (extra or {}).items()]
    path = tmp_path / "kiosk.toml"
    path.write_text("\n".join(lines) + "\n")
    return load_settings(path)


def the_bounds(section: str, name: str) -> Bounds:
    bounds = bounds_of(Settings, section, name)
    assert bounds is not None, f"[{section}] {name} has no range: declare it with number(default, min, max)"
    return bounds


def example_comment(section: str, name: str) -> str:
    current = ""
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        code, _, comment = line.partition("#")
        if code.strip().startswith("["):
            current = code.strip().strip("[]")
        elif current == section and code.split("=")[0].strip() == name:
            return comment
    raise AssertionError(f"[{section}] {name} is not in {EXAMPLE.name}")


def test_the_walk_finds_the_numbers_of_every_section() -> None:
    sections = {section for section, _, _ in NUMERIC}
    assert sections == {"sale", "mion", "display", "pos", "light", "printer", "tips", "accessibility", "metrics", "nfc",
                        "zvt"}
    assert ("display", "dim_after_s", float) in NUMERIC and ("sale", "max_amount_cents", int) in NUMERIC


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf", "negative", "huge", "enormous"])
@pytest.mark.parametrize(("section", "name", "hint"), NUMERIC, ids=IDS)
def test_every_number_refuses_nan_infinities_negatives_and_huge_values(
        tmp_path: Path, section: str, name: str, hint: type, bad: str) -> None:
    value = {"nan": "nan", "inf": "inf", "-inf": "-inf", "negative": literal(-1, hint),
             "huge": literal(1e12, hint), "enormous": "9" * 400}[bad]

    with pytest.raises(ConfigError) as caught:
        load(tmp_path, section, name, value, COMPANIONS.get((section, name)))

    message = str(caught.value)
    assert message.startswith(f"[{section}] {name}: "), message
    assert the_bounds(section, name).text() in message, message
    assert "\n" not in message and len(message) < 200


@pytest.mark.parametrize(("section", "name", "hint"), NUMERIC, ids=IDS)
def test_every_number_has_a_documented_range_that_holds_at_its_edges(
        tmp_path: Path, section: str, name: str, hint: type) -> None:
    bounds = the_bounds(section, name)
    default = getattr(getattr(Settings(), section), name)
    extra = COMPANIONS.get((section, name))
    assert math.isfinite(bounds.lo) and math.isfinite(bounds.hi) and 0 <= bounds.lo < bounds.hi
    assert bounds.text() in example_comment(section, name), "write the range in docs/kiosk.example.toml"

    for inside in (default, bounds.lo, bounds.hi):
        loaded = getattr(getattr(load(tmp_path, section, name, literal(inside, hint), extra), section), name)
        assert loaded == inside and type(loaded) is hint

    if hint is int:
        outside = [bounds.lo - 1, bounds.hi + 1]
    else:
        outside = [math.nextafter(bounds.lo, -math.inf), math.nextafter(bounds.hi, math.inf)]
    for value in outside:
        with pytest.raises(ConfigError, match=rf"^\[{section}\] {name}: .*{bounds.text()}"):
            load(tmp_path, section, name, literal(value, hint), extra)
