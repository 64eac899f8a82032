"""The watch list: ended sales whose invoice was shown, re-checked so a payment arriving late is caught.

The register owns one :class:`Watches` and asks it three things: which polls are due, when the next
one is, and what an answer for a sale that is no longer on screen means. The answer comes back as a
:class:`Verdict` (paid late, confirmed unpaid, or a ``paidAt`` not believed); the register turns it
into effects, so the rules of what a payment records live in one place (``Register._paid``). A
``paidAt`` outside the sale's life is no payment here either (``kiosk.core.plausible``): the watch
goes on, and the doubt is journaled once for each distinct ``paidAt``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.core.model import SessionStatus
from kiosk.core.plausible import paid_at_refusal
from kiosk.core.sale import Sale, Timing, Watch, secs


@dataclass(frozen=True, slots=True)
class Verdict:
    """What an answer revealed about a watched sale."""

    watch: Watch
    status: SessionStatus
    paid: bool
    """True: paid late (``status.paid_at`` is set). False: unpaid after its session ended, and the
    journal still holds the sale open, so it must be ended now; or, with ``doubt``, see there."""
    doubt: str | None = None
    """Mion gave a ``paidAt`` that is not believed: journal why; the sale stays watched."""


class Watches:
    """Ended sales still payable, by reference. Pure: the time comes in with every call."""

    def __init__(self, timing: Timing) -> None:
        self._timing = timing
        self._by_reference: dict[str, Watch] = {}

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Watches) and self._timing == other._timing
                and self._by_reference == other._by_reference)

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __len__(self) -> int:
        return len(self._by_reference)

    def __iter__(self) -> Iterator[Watch]:
        return iter(list(self._by_reference.values()))

    def __contains__(self, reference: object) -> bool:
        return reference in self._by_reference

    def start(self, sale: Sale, now: datetime, *, until: datetime, ends_sale: bool = False) -> None:
        """Watch ``sale`` until ``until``; its first poll comes one watch interval from now."""
        assert sale.session_id is not None
        self._by_reference[sale.reference] = Watch(
            reference=sale.reference, session_id=sale.session_id, amount_cents=sale.amount_cents,
            amount_msat=sale.attempt.amount_msat if sale.attempt else None, until=until,
            next_poll_at=now + secs(self._timing.watch_poll_s), opened_at=sale.opened_at, ends_sale=ends_sale)

    def start_ended(self, found: ev.RecoveredSale, now: datetime) -> None:
        """A sale found ended in the journal at start-up: watch it for what is left of its grace."""
        if found.session_id is None or found.last_attempt is None:
            return  # never shown, so never payable
        session_end = found.created_at + secs(self._timing.session_lifetime_s)
        until = min(found.last_attempt.expires_at, session_end) + secs(self._timing.late_grace_s)
        if until <= now:
            return
        self._by_reference[found.reference] = Watch(
            reference=found.reference, session_id=found.session_id, amount_cents=found.amount_cents,
            amount_msat=found.last_attempt.amount_msat, until=until, next_poll_at=now, opened_at=found.created_at)

    def drop(self, reference: str) -> None:
        self._by_reference.pop(reference, None)

    def polls_due(self, now: datetime) -> list[fx.Effect]:
        """A status poll for every watch that is due and has none in flight."""
        out: list[fx.Effect] = []
        for watch in self._by_reference.values():
            if watch.in_flight or now < watch.next_poll_at:
                continue
            watch.in_flight = True
            out.append(fx.PollStatus(reference=watch.reference, session_id=watch.session_id))
        return out

    def next_polls(self) -> list[datetime]:
        """When each watch without a poll in flight is next due."""
        return [w.next_poll_at for w in self._by_reference.values() if not w.in_flight]

    def answer(self, event: ev.Event, now: datetime) -> Verdict | None:
        """Take an answer for a sale that is not on screen; None when it settles nothing."""
        reference = getattr(event, "reference", None)
        watch = self._by_reference.get(reference) if isinstance(reference, str) else None
        if watch is None:
            return None
        watch.in_flight = False
        if not isinstance(event, ev.StatusReceived):
            watch.failures += 1
            watch.next_poll_at = now + secs(self._timing.backoff_s(watch.failures))
            return None
        status = event.status
        watch.failures = 0
        watch.next_poll_at = now + secs(self._timing.watch_poll_s)
        if status.paid_at is not None:
            doubt = paid_at_refusal(status.paid_at, opened_at=watch.opened_at, now=now, timing=self._timing)
            if doubt is None:
                del self._by_reference[watch.reference]
                return Verdict(watch=watch, status=status, paid=True)
            if status.paid_at != watch.doubted_paid_at:
                watch.doubted_paid_at = status.paid_at
                return Verdict(watch=watch, status=status, paid=False, doubt=doubt)
        if now < watch.until:
            return None
        del self._by_reference[watch.reference]
        if not watch.ends_sale:
            return None
        mion_end = status.expires_at
        if mion_end is not None and now < mion_end:
            # Mion says the session ends later than the kiosk thought: keep watching until then.
            watch.until = mion_end
            self._by_reference[watch.reference] = watch
            return None
        return Verdict(watch=watch, status=status, paid=False)
