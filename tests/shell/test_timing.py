"""The register's rules come from the settings, each written once: ``[sale]`` takes ``Timing``'s
defaults, and every ``[sale]`` setting reaches the register under its own name."""

from __future__ import annotations

import dataclasses

from kiosk.config import SaleSettings, Settings
from kiosk.core.sale import Timing
from kiosk.shell.app import timing_from

SHARED = sorted({f.name for f in dataclasses.fields(SaleSettings)} & {f.name for f in dataclasses.fields(Timing)})


def test_every_sale_setting_is_a_rule_of_the_register() -> None:
    assert SHARED == sorted(f.name for f in dataclasses.fields(SaleSettings))


def test_the_settings_take_the_registers_defaults() -> None:
    settings, timing = SaleSettings(), Timing()
    assert {name: getattr(settings, name) for name in SHARED} == {name: getattr(timing, name) for name in SHARED}


def test_every_sale_setting_reaches_the_register() -> None:
    changed = {name: ("cancelled" if name == "recovery_unpayable" else getattr(SaleSettings(), name) + 1)
               for name in SHARED}
    settings = dataclasses.replace(Settings(), sale=dataclasses.replace(SaleSettings(), **changed))
    timing = timing_from(settings)
    assert {name: getattr(timing, name) for name in SHARED} == changed


def test_the_rules_from_other_sections() -> None:
    base = Settings()
    settings = dataclasses.replace(
        base, pos=dataclasses.replace(base.pos, busy_policy="replace", on_total="start"),
        display=dataclasses.replace(base.display, dim_after_s=30),
        mion=dataclasses.replace(base.mion, connect_timeout_s=2, read_timeout_s=3))
    timing = timing_from(settings)
    assert (timing.busy_policy, timing.pole_auto_start, timing.dim_after_s, timing.lookup_confirm_s) == (
        "replace", True, 30, 15)
