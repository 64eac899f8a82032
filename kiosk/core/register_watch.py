"""The register's memory beyond the sale on screen: recovering after a restart, and watching ended
sales whose invoice was shown, so that a payment arriving late is still caught.

A mixin of ``Register`` (``kiosk.core.register``); kept apart so each module reads in one sitting.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.core.events import Request
from kiosk.core.model import OPEN_PHASES, Phase
from kiosk.core.sale import Sale, Timing, Watch, secs
from kiosk.core.view import MessageKind

Effects = list[fx.Effect]
P = Phase


class WatchAndRecover:
    """Recovery at start-up and the watch list of ended sales. Needs the Register's state and helpers."""

    timing: Timing
    phase: Phase
    sale: Sale | None
    watches: dict[str, Watch]

    if TYPE_CHECKING:
        def _send_due(self, now: datetime) -> Effects: ...

        def _end(self, sale: Sale, phase: Phase, kind: MessageKind, now: datetime, *,
                 detail: str | None = None) -> Effects: ...

        def _paid(self, reference: str, session_id: str, paid_at: datetime, amount_cents: int,
                  amount_msat: int | None, late: bool, now: datetime, *, take_screen: bool = True) -> Effects: ...

    def _on_recovered(self, event: ev.Recovered, now: datetime) -> Effects:
        """Resume the newest unfinished sale on screen; watch the others until their truth is known."""
        out: Effects = []
        for found in event.sales:
            if found.ended:
                self._watch_ended(found, now)
        still_open = [found for found in event.sales if not found.ended]
        for index, found in enumerate(sorted(still_open, key=lambda s: s.created_at, reverse=True)):
            expires_at = found.created_at + secs(self.timing.session_lifetime_s)
            sale = Sale(reference=found.reference, amount_cents=found.amount_cents, source=found.source,
                        started_at=now, session_expires_at=expires_at, create_sent_at=found.created_at,
                        session_id=found.session_id,
                        attempt=found.last_attempt, ever_shown=found.last_attempt is not None, recovered=True,
                        attempt_received_at=now if found.last_attempt is not None else None)
            if index == 0:
                self.sale = sale
                out.extend(self._resume(sale, now))
            elif found.session_id is not None:
                self._watch(sale, now, until=max(now, expires_at) + secs(self.timing.late_grace_s), ends_sale=True)
            else:
                # No session in the journal means no invoice was ever shown (the session is journaled
                # before the attempt is asked for), so nobody can have paid it: end it now.
                out.append(fx.RecordEnded(reference=found.reference, phase=self._unpayable_phase(),
                                          detail="no invoice was shown before the restart"))
        return out

    def _watch_ended(self, found: ev.RecoveredSale, now: datetime) -> None:
        """An ended sale whose invoice may still be paid late: watch it for what is left of its grace."""
        if found.session_id is None or found.last_attempt is None:
            return  # never shown, so never payable
        session_end = found.created_at + secs(self.timing.session_lifetime_s)
        until = min(found.last_attempt.expires_at, session_end) + secs(self.timing.late_grace_s)
        if until <= now:
            return
        self.watches[found.reference] = Watch(
            reference=found.reference, session_id=found.session_id, amount_cents=found.amount_cents,
            amount_msat=found.last_attempt.amount_msat, until=until, next_poll_at=now)

    def _resume(self, sale: Sale, now: datetime) -> Effects:
        if sale.session_id is None and now >= sale.session_expires_at:
            # No session journaled, so no invoice was ever shown, and its time is over: nothing to resume.
            phase = self._unpayable_phase()
            kind = MessageKind.CANCELLED if phase is P.CANCELLED else MessageKind.EXPIRED
            return self._end(sale, phase, kind, now, detail="no invoice was shown before the restart")
        if sale.session_id is None:
            self.phase = P.CREATING_SESSION
            sale.due[Request.FIND_SESSION] = now
        else:
            self.phase = P.AWAITING_PAYMENT if sale.ever_shown else P.CREATING_ATTEMPT
            sale.due[Request.POLL] = now
        return self._send_due(now)

    def _on_closed_answer(self, event: ev.Event, now: datetime) -> Effects:
        """An answer for a sale that is not open any more: only a late payment matters."""
        reference = getattr(event, "reference", None)
        watch = self.watches.get(reference) if isinstance(reference, str) else None
        if watch is None:
            return []
        watch.in_flight = False
        if isinstance(event, ev.StatusReceived):
            watch.failures = 0
            watch.next_poll_at = now + secs(self.timing.watch_poll_s)
            if event.status.paid_at is not None:
                del self.watches[watch.reference]
                return [fx.RecordStatus(reference=watch.reference, status=event.status)] + self._paid(
                    watch.reference, watch.session_id, event.status.paid_at, watch.amount_cents,
                    watch.amount_msat, True, now, take_screen=self.phase not in OPEN_PHASES)
            if now >= watch.until:
                del self.watches[watch.reference]
                mion_end = event.status.expires_at
                if watch.ends_sale and (mion_end is None or now >= mion_end):
                    return [fx.RecordStatus(reference=watch.reference, status=event.status),
                            fx.RecordEnded(reference=watch.reference, phase=self._unpayable_phase(),
                                           detail=f"Mion status {event.status.status} after the session ended")]
                if watch.ends_sale:
                    self._watch_again(watch, until=mion_end or now)
            return []
        watch.failures += 1
        watch.next_poll_at = now + secs(self.timing.backoff_s(watch.failures))
        return []


    def _poll_watches(self, now: datetime) -> Effects:
        out: Effects = []
        for watch in list(self.watches.values()):
            if watch.in_flight or now < watch.next_poll_at:
                continue
            watch.in_flight = True
            out.append(fx.PollStatus(reference=watch.reference, session_id=watch.session_id))
        return out


    def _watch(self, sale: Sale, now: datetime, *, until: datetime, ends_sale: bool = False) -> None:
        assert sale.session_id is not None
        self.watches[sale.reference] = Watch(
            reference=sale.reference, session_id=sale.session_id, amount_cents=sale.amount_cents,
            amount_msat=sale.attempt.amount_msat if sale.attempt else None, until=until,
            next_poll_at=now + secs(self.timing.watch_poll_s), ends_sale=ends_sale)

    def _watch_again(self, watch: Watch, *, until: datetime) -> None:
        """Mion says the session ends later than the kiosk thought: keep watching until then."""
        watch.until = until
        self.watches[watch.reference] = watch

    def _unpayable_phase(self) -> Phase:
        return P.CANCELLED if self.timing.recovery_unpayable == "cancelled" else P.EXPIRED

