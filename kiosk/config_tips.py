"""``[tips]``: the customer's tip step, between the amount and the invoice (``kiosk.core.tip_step``)."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.config_check import check_numbers, number, require


@dataclass(frozen=True, slots=True, kw_only=True)
class TipsSettings:
    enabled: bool = False
    """Ask the customer for a tip before each invoice."""
    preset1_pct: int = number(5, 0, 100, "percent")
    """The tip on key 1, in whole percent of the amount; 0 offers no preset on that key."""
    preset2_pct: int = number(10, 0, 100, "percent")
    preset3_pct: int = number(15, 0, 100, "percent")
    custom: bool = True
    """Offer "other amount" (the separator key): the customer types a tip in euros."""
    choose_timeout_s: float = number(60.0, 10, 600, "seconds")
    """With no key pressed for this long, the sale waiting for a tip is cancelled."""

    @property
    def presets_pct(self) -> tuple[int, ...]:
        """The offered percentages, in key order (0 means none)."""
        return tuple(p for p in (self.preset1_pct, self.preset2_pct, self.preset3_pct) if p > 0)

    def check(self) -> None:
        check_numbers(self, "tips")
        offered = self.presets_pct
        require(len(set(offered)) == len(offered), "tips", "preset1_pct", "three different percentages",
                f"{self.preset1_pct}, {self.preset2_pct}, {self.preset3_pct}")
        require(not self.enabled or bool(offered) or self.custom, "tips", "enabled",
                "at least one preset above 0 % or custom = true when tips are on", "no choice")
