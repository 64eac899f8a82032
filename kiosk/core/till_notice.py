"""The cashier's notice for payments the till did not book (its words: ``kiosk.core.till_notice_text``).

A ZVT till that refused or never acknowledged a paid status, or gave up before the payment landed,
has not booked money the shop received. The kiosk cannot reverse a Lightning payment, so the cashier
must book it by hand or refund it: the screen says so until a key acknowledges it (docs/zvt.md).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class TillNotice:
    """Payments the till did not book, not yet acknowledged by the cashier."""

    count: int
    reference: str
    """The most recent one."""
    amount_cents: int | None
    """Its amount; None when the journal could not be read."""
