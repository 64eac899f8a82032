"""The register's rules from the settings (``kiosk.core.sale.Timing``), for the kiosk and the tools."""

from __future__ import annotations

import dataclasses

from kiosk.config import Settings
from kiosk.core.sale import Timing
from kiosk.core.tip_step import TipRules


def timing_from(settings: Settings) -> Timing:
    """The register's rules from the settings: every ``[sale]`` setting of the same name, and the few
    that live elsewhere."""
    names = {f.name for f in dataclasses.fields(Timing)}
    sale = {name: getattr(settings.sale, name) for name in names if hasattr(settings.sale, name)}
    return Timing(
        **sale, dim_after_s=settings.display.dim_after_s, show_rate=settings.display.show_rate,
        more_time=settings.accessibility.more_time,
        busy_policy=settings.pos.busy_policy, pole_auto_start=settings.pos.on_total == "start",
        # Three times the longest a request may take: a create Mion finishes late is found by a lookup
        # instead of being doubled (only after a create with an unknown outcome and an empty lookup).
        lookup_confirm_s=3 * (settings.mion.connect_timeout_s + settings.mion.read_timeout_s),
    )


def tip_rules_from(settings: Settings) -> TipRules | None:
    """The tip step's rules from ``[tips]``; None when tips are off."""
    tips = settings.tips
    if not tips.enabled:
        return None
    return TipRules(presets_pct=tips.presets_pct, custom=tips.custom, choose_timeout_s=tips.choose_timeout_s)
