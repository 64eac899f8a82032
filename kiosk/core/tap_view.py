"""What the invoice screen says about card taps (``kiosk.core.tap`` has the rules)."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class TapStage(enum.Enum):
    OFFERED = "offered"
    """An invoice is on screen and a tap is welcome ("or tap your card")."""
    PROCESSING = "processing"
    """A card was read; its service is being asked."""
    PIN = "pin"
    """The customer types the card's PIN on the keypad."""
    INITIATED = "initiated"
    """The service took the invoice; only Mion's paidAt says paid."""
    FAILED = "failed"
    """The tap ended without the service taking the invoice; the QR stays."""
    IGNORED = "ignored"
    """A tap came while another was in flight, or after one was taken: nothing done."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TapView:
    """What the invoice screen says about card taps."""

    stage: TapStage
    reason: str | None = None
    """For FAILED/IGNORED: why (a code from :mod:`kiosk.core.tap_text`, or the service's own words)."""
    from_service: bool = False
    """``reason`` is the card service's own text (shown after a translated "The card service says:")."""
    sat: int | None = None
    """For the reasons above_max and below_min: the card's limit in sat."""
    pin_digits: int = 0
    """For PIN: how many digits are typed (shown as dots; the digits themselves never leave the reader)."""
