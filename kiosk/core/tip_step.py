"""The tip step: after the amount and before the invoice, the customer picks a tip on the keypad.

Theory of operation
-------------------
With tips on, every new sale (keypad, pole display or till) first waits here. The register hands
each event to :meth:`TipStep.intercept` before its own table; while no sale waits, only a
``SaleRequested`` without a tip is taken (it is checked exactly as the register would check it, so
a refusal still changes nothing) and held. While one waits, the register stays idle underneath (its
late-payment watches keep running on the ticks passed through) and the screen shows
:class:`TipView` or :class:`TipCustomView`. The customer's keys:

* ``1`` .. ``3``: the presets (``[tips] preset1_pct`` ..); ``0``: no tip;
* ``.`` (the separator): type an amount (``[tips] custom``), Enter confirms, Cancel goes back;
* Cancel: the sale is cancelled; nothing is asked of Mion.

The choice becomes an ordinary ``SaleRequested`` for the TOTAL with its ``tip_cents``: one Mion
session for the total, and the journal keeps the tip apart. Money rule: the total charged is the one
the screen showed, because both come from :func:`tip_for` on the same amount.

A sale abandoned here (Cancel, ``[tips] choose_timeout_s`` without a key, replaced by a newer one) is
journaled as cancelled, so a till that was told ``OK SALE`` hears ``EVENT CANCELLED``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.core.entry import AmountEntry
from kiosk.core.events import Key
from kiosk.core.model import Phase, SaleSource
from kiosk.core.more_time import ask_more_time
from kiosk.core.sale import Ending, Sale, Timing, secs
from kiosk.core.transitions import OPENED
from kiosk.core.view import EntryError, MessageKind, TipCustomView, TipOption, TipView, View
from kiosk.errors import SaleRefused

ABANDONED = "cancelled at the tip step"


def tip_for(amount_cents: int, pct: int) -> int:
    """The tip of ``pct`` percent on ``amount_cents``, in whole cents, rounded half up.

    Integers only: ``(amount * pct + 50) // 100``. 5 % of 12,50 € is 62,5 cents -> 63 cents.
    """
    if amount_cents < 0 or pct < 0:
        raise ValueError("amount and percentage must not be negative")
    return (amount_cents * pct + 50) // 100


@dataclass(frozen=True, slots=True, kw_only=True)
class TipRules:
    """The tip step's settings, as the register needs them (from ``[tips]``)."""

    presets_pct: tuple[int, ...] = (5, 10, 15)
    """Offered in this order on keys 1, 2, 3."""
    custom: bool = True
    choose_timeout_s: float = 60.0


class Host(Protocol):
    """What the tip step reads and sets on the register."""

    timing: Timing
    phase: Phase
    sale: Sale | None
    entry: AmountEntry
    ending: Ending | None
    pole_lines: tuple[str, str] | None
    pending_total_cents: int | None

    def handle(self, event: ev.Event, now: datetime) -> list[fx.Effect]: ...


@dataclass
class TipStep:
    """Holds a new sale until the customer chose a tip. See the module docstring."""

    rules: TipRules | None
    """None: tips are off, and the step takes nothing."""
    timing: Timing
    pending: ev.SaleRequested | None = None
    """The sale waiting for the customer's choice."""
    custom: AmountEntry | None = None
    """The tip being typed, on the custom screen."""
    touched_at: datetime | None = None

    def intercept(self, reg: Host, event: ev.Event, now: datetime) -> list[fx.Effect] | None:
        """The effects of ``event`` if the customer's steps take it, else None (the register handles it).

        The customer's steps are the tip step and Enter on the invoice screen ("more time",
        :mod:`kiosk.core.more_time`); both sit in front of the register's table.
        """
        if isinstance(event, ev.KeyPressed) and event.key is Key.ENTER and reg.sale is not None \
                and reg.phase is Phase.AWAITING_PAYMENT:
            return ask_more_time(reg.sale, now, reg.timing)  # "more time": the customer's key on the QR screen
        if self.rules is None:
            return None
        if isinstance(event, ev.SaleRequested) and event.tip_cents is None:
            return self._hold(reg, event, now)
        if self.pending is None:
            return None
        if isinstance(event, ev.KeyPressed):
            return self._key(reg, event.key, now)
        if isinstance(event, ev.PoleUpdated) and self.pending.source is SaleSource.POLE:
            if event.total_cents in (None, self.pending.amount_cents):
                # The till repaints (clears, then writes the same total again): the waiting sale stays.
                reg.pole_lines, reg.pending_total_cents = event.lines, None
                return []
            return self._abandon(reg, now) + reg.handle(event, now)  # a new total replaces the waiting one
        if isinstance(event, ev.CancelRequested) and event.reference in (None, self.pending.reference):
            return self._abandon(reg, now)
        timed_out = self.touched_at is not None and now >= self.touched_at + secs(self.rules.choose_timeout_s)
        if isinstance(event, ev.Tick) and timed_out:
            return self._abandon(reg, now) + reg.handle(event, now)
        return None

    def view(self) -> View | None:
        """The tip screen while a sale waits here, else None."""
        if self.pending is None or self.rules is None:
            return None
        amount = self.pending.amount_cents
        if self.custom is not None:
            return TipCustomView(amount_cents=amount, typed=self.custom.typed, tip_cents=self.custom.amount_cents,
                                 max_tip_cents=self._max_tip(amount), error=self.custom.error)
        return TipView(amount_cents=amount, options=self.options(amount), custom=self.rules.custom)

    def deadline(self, later: datetime | None) -> datetime | None:
        """``later`` or the tip step's own timeout, whichever comes first."""
        if self.pending is None or self.touched_at is None or self.rules is None:
            return later
        own = self.touched_at + secs(self.rules.choose_timeout_s)
        return own if later is None else min(own, later)

    def options(self, amount_cents: int) -> tuple[TipOption, ...]:
        """The presets whose total is still chargeable, then "no tip"."""
        assert self.rules is not None
        limit = self._limit()
        found = []
        for i, pct in enumerate(self.rules.presets_pct, start=1):
            tip = tip_for(amount_cents, pct)
            if amount_cents + tip <= limit:
                found.append(TipOption(key=str(i), pct=pct, tip_cents=tip, total_cents=amount_cents + tip))
        found.append(TipOption(key="0", pct=0, tip_cents=0, total_cents=amount_cents))
        return tuple(found)

    # --- inside ------------------------------------------------------------------------------------------

    def _limit(self) -> int:
        return self.timing.max_amount_cents

    def _max_tip(self, amount_cents: int) -> int:
        """A typed tip may be at most the amount itself, and the total stays chargeable."""
        return max(0, min(amount_cents, self._limit() - amount_cents))

    def _hold(self, reg: Host, event: ev.SaleRequested, now: datetime) -> list[fx.Effect]:
        refusal = reg.timing.amount_refusal(event.amount_cents)
        if refusal is not None:
            raise SaleRefused("AMOUNT_RANGE", refusal)
        out: list[fx.Effect] = []
        waiting = self.pending.reference if self.pending is not None else (
            reg.sale.reference if reg.sale is not None and reg.phase in OPENED else None)
        if waiting is not None:
            if reg.timing.busy_policy != "replace":
                raise SaleRefused("BUSY", f"sale {waiting} is still open; cancel it first")
            out = self._abandon(reg, now) if self.pending is not None else reg.handle(ev.CancelRequested(), now)
        self.pending, self.custom, self.touched_at = event, None, now
        reg.phase, reg.ending, reg.entry, reg.sale = Phase.IDLE, None, AmountEntry(), None
        return out

    def _key(self, reg: Host, key: Key, now: datetime) -> list[fx.Effect]:
        assert self.pending is not None and self.rules is not None
        self.touched_at = now
        amount = self.pending.amount_cents
        if self.custom is not None:
            if key is Key.CANCEL or (key is Key.BACKSPACE and not self.custom.typed):
                self.custom = None
                return []
            entry = self.custom.press(key, self._max_tip(amount))
            tip = entry.amount_cents
            if key is Key.ENTER and entry.error is None and tip is not None:
                if tip <= self._max_tip(amount):
                    return self._choose(reg, tip, now)
                entry = AmountEntry(entry.typed, EntryError.TOO_LARGE)
            self.custom = entry
            return []
        if key is Key.CANCEL:
            return self._abandon(reg, now)
        if key is Key.SEPARATOR and self.rules.custom and self._max_tip(amount) > 0:
            self.custom = AmountEntry()
            return []
        for option in self.options(amount):
            if key.digit == option.key:
                return self._choose(reg, option.tip_cents, now)
        return []

    def _choose(self, reg: Host, tip_cents: int, now: datetime) -> list[fx.Effect]:
        assert self.pending is not None
        chosen = replace(self.pending, amount_cents=self.pending.amount_cents + tip_cents, tip_cents=tip_cents)
        self._clear()
        return reg.handle(chosen, now)

    def _abandon(self, reg: Host, now: datetime) -> list[fx.Effect]:
        assert self.pending is not None
        held = self.pending
        self._clear()
        reg.phase, reg.sale = Phase.CANCELLED, None
        reg.ending = Ending(kind=MessageKind.CANCELLED, amount_cents=held.amount_cents, amount_msat=None, at=now)
        return [fx.RecordSale(reference=held.reference, amount_cents=held.amount_cents, source=held.source),
                fx.RecordEnded(reference=held.reference, phase=Phase.CANCELLED, detail=ABANDONED)]

    def _clear(self) -> None:
        self.pending, self.custom, self.touched_at = None, None, None
