"""The register: the sale state machine. Pure: events and the time in, effects out.

Theory of operation
-------------------
One sale is on screen at a time. It starts from the keypad (ENTER gives ``RequestSale``; the app answers
``SaleRequested`` with a fresh reference), a pole-display total (the Lightning key, or ``pole_auto_start``)
or the till (``SaleRequested``).
The amount range and the busy policy (refuse, or replace the open sale) are decided here and nowhere
else; a refusal raises ``SaleRefused`` and changes nothing. The phases and their moves are drawn in
``docs/state-machine.md``, generated from the table (``python -m kiosk.core.diagram``).

Every step is journaled before it is acted on: the ``Record*`` effect always precedes the effect it
describes. Requests to Mion are effects too; their answers come back as events naming the sale's
reference, so an answer that arrives after its sale ended is never applied to the next one.

Money rules, in order of importance:

* Paid means a ``StatusReceived`` carrying ``paidAt`` within the session's life. Nothing else is paid.
* An invoice far off the recent rate is never shown (``kiosk.core.plausible``).
* A session-create of unknown outcome is followed by a lookup by reference: one sale, one Mion session.
* The shown invoice leaves ``refresh_margin_s`` before it expires; a fresh one is asked ``refresh_lead_s`` earlier.
* A sale ends as EXPIRED only after Mion answered, after the session's expiry, without ``paidAt``; while
  Mion cannot be reached it stays open, "checking". (Except a recovered sale that never showed an
  invoice and has no session or no time for one: it ends at once, ``register_recover``.)
* A sale that ended unpaid after showing an invoice is watched ``late_grace_s`` more for a late payment.

Timers act only when the app passes the time (``handle(Tick(), now)`` by ``next_deadline``). Transitions
are the table ``TRANSITIONS`` at the end: a (phase, event type) not in it raises ``IllegalTransition``.
With tips on, ``kiosk.core.tip_step`` holds each new sale until the customer chose a tip.
"""

from __future__ import annotations

from datetime import datetime

from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.core.entry import AmountEntry
from kiosk.core.events import Failure, Key, Request
from kiosk.core.model import OPEN_PHASES, Phase, SaleSource
from kiosk.core.plausible import REFUSALS_TO_END, RateGuard, take_status
from kiosk.core.register_recover import TOO_LITTLE_TIME, plan_recovery, unpayable_ending, unpayable_phase
from kiosk.core.register_view import derive_view, next_deadline
from kiosk.core.register_watch import Watches
from kiosk.core.sale import Ending, Sale, Timing, secs
from kiosk.core.tip_step import TipRules, TipStep
from kiosk.core.transitions import ANSWERS, ANY_FINAL, EVERYWHERE, IDLE_LIKE, OPENED, Table, Transition
from kiosk.core.view import MessageKind, View
from kiosk.errors import IllegalTransition, SaleRefused

Effects = list[fx.Effect]
P = Phase
LIGHT_FOR_PHASE = {P.PAID: fx.Light.PAID, P.ERROR: fx.Light.ERROR, P.BLOCKED: fx.Light.ERROR}


class Register:
    """The sale state machine. See the module docstring."""

    def __init__(self, timing: Timing, *, shop_name: str = "", logo_path: str | None = None,
                 tips: TipRules | None = None) -> None:
        self.timing, self.tips = timing, TipStep(tips, timing)
        self.shop_name = shop_name
        self.logo_path = logo_path
        self.phase = P.IDLE
        self.sale: Sale | None = None
        self.entry = AmountEntry()
        self.entry_touched_at: datetime | None = None
        self.ending: Ending | None = None
        self.watches = Watches(timing)
        self.rates = RateGuard()
        self.pole_lines: tuple[str, str] | None = None
        self.pending_total_cents: int | None = None
        self.idle_since: datetime | None = None

    # --- the public surface -------------------------------------------------------------------------

    def handle(self, event: ev.Event, now: datetime) -> Effects:
        """Apply one event at time ``now``; return the effects to carry out, in order.

        Raises:
            IllegalTransition: the event is not allowed in the current phase; nothing changed.
        """
        if (held := self.tips.intercept(self, event, now)) is not None:  # the tip step's, while a sale waits there
            return held
        transition = TRANSITIONS.get((self.phase, type(event)))
        if transition is None:
            raise IllegalTransition(f"{type(event).__name__} is not allowed while {self.phase.value}")
        before = self.phase
        out = transition.handler(self, event, now)
        if self.phase is not before:
            out.extend(self._entered(before, now))
        assert self.phase in transition.targets, (before, event, self.phase)
        return out

    def view(self, now: datetime) -> View:
        """What the screen shows now."""
        return self.tips.view() or derive_view(self, now)

    def next_deadline(self, now: datetime) -> datetime | None:
        """The next moment a ``Tick`` may change something (None: nothing is timed)."""
        return self.tips.deadline(next_deadline(self, now))

    def watch_polls(self) -> list[datetime]:
        return self.watches.next_polls()

    @property
    def open_reference(self) -> str | None:
        """The reference of the sale in progress, if one is."""
        opened = self.sale.reference if self.sale is not None and self.phase in OPEN_PHASES else None
        return self.tips.pending.reference if self.tips.pending is not None else opened

    # --- keypad, pole, new sales ----------------------------------------------------------------------

    def _on_key_idle(self, event: ev.KeyPressed, now: datetime) -> Effects:
        key = event.key
        if key is Key.CANCEL:
            self._go_idle(now)
            return []
        if key is Key.LIGHTNING:
            if self.phase is P.IDLE and self.pending_total_cents is not None:
                return [fx.RequestSale(amount_cents=self.pending_total_cents, source=SaleSource.POLE)]
            return []
        if self.phase is not P.ENTERING_AMOUNT:
            if key in (Key.ENTER, Key.BACKSPACE):
                return []
            self.phase = P.ENTERING_AMOUNT
            self.entry = AmountEntry()
            self.ending = None
        self.entry_touched_at = now
        self.entry = self.entry.press(key, self.timing.max_amount_cents)
        if not self.entry.typed:
            self._go_idle(now)  # the last digit was taken back
        elif key is Key.ENTER and self.entry.error is None and self.entry.amount_cents is not None:
            return [fx.RequestSale(amount_cents=self.entry.amount_cents, source=SaleSource.KEYPAD)]
        return []

    def _on_key_open(self, event: ev.KeyPressed, now: datetime) -> Effects:
        if event.key is Key.CANCEL:
            return self._on_cancel(ev.CancelRequested(), now)
        return []

    def _on_pole(self, event: ev.PoleUpdated, now: datetime) -> Effects:
        self.pole_lines = event.lines
        self.pending_total_cents = event.total_cents
        total = event.total_cents
        if (self.timing.pole_auto_start and total is not None and self.phase not in OPENED
                and self.timing.amount_refusal(total) is None):
            # The till's settled total charges itself, as the Lightning key would.
            return [fx.RequestSale(amount_cents=total, source=SaleSource.POLE)]
        return []

    def _on_sale_requested(self, event: ev.SaleRequested, now: datetime) -> Effects:
        """Start a sale. Every refusal comes before any change: a refused sale changes nothing."""
        refusal = self.timing.amount_refusal(event.amount_cents)
        if refusal is not None:
            raise SaleRefused("AMOUNT_RANGE", refusal)
        out: Effects = []
        if self.phase in OPENED:
            open_sale = self._sale()
            if self.timing.busy_policy != "replace":
                raise SaleRefused("BUSY", f"sale {open_sale.reference} is still open; cancel it first")
            out = self._end(open_sale, P.CANCELLED, MessageKind.CANCELLED, now)
            out.append(fx.SetLight(light=fx.Light.OFF))
        self.sale = Sale(
            reference=event.reference,
            amount_cents=event.amount_cents, tip_cents=event.tip_cents or 0,
            source=event.source,
            started_at=now,
            session_expires_at=now + secs(self.timing.session_lifetime_s),
            create_sent_at=now,
        )
        self.phase = P.CREATING_SESSION
        self.entry = AmountEntry()
        self.ending = None
        if event.source is SaleSource.POLE:
            self.pending_total_cents = None
        self.sale.in_flight.add(Request.CREATE_SESSION)
        return out + [
            fx.RecordSale(reference=event.reference, amount_cents=event.amount_cents, source=event.source,
                          tip_cents=event.tip_cents or 0),
            fx.CreateSession(reference=event.reference, amount_cents=event.amount_cents,
                             expires_at=self.sale.session_expires_at),
        ]

    # --- cancelling ----------------------------------------------------------------------------------

    def _on_cancel_entry(self, event: ev.CancelRequested, now: datetime) -> Effects:
        self._go_idle(now)
        return []

    def _on_cancel(self, event: ev.CancelRequested, now: datetime) -> Effects:
        sale = self._sale()
        if event.reference is not None and event.reference != sale.reference:
            raise IllegalTransition(f"sale {event.reference} is not the open sale")
        return self._end(sale, P.CANCELLED, MessageKind.CANCELLED, now)

    # --- answers from Mion ---------------------------------------------------------------------------

    def _on_closed_answer(self, event: ev.Event, now: datetime) -> Effects:
        """An answer for a sale that is not open any more: only a late payment matters."""
        verdict = self.watches.answer(event, now)
        if verdict is None:
            return []
        watch, status = verdict.watch, verdict.status
        out: Effects = [fx.RecordStatus(reference=watch.reference, status=status)]
        if verdict.doubt is not None:
            return out + [fx.RecordRefusal(reference=watch.reference, detail=verdict.doubt)]
        if verdict.paid:
            assert status.paid_at is not None
            return out + self._paid(watch.reference, watch.session_id, status.paid_at, watch.amount_cents,
                                    watch.amount_msat, True, now, take_screen=self.phase not in OPEN_PHASES)
        return out + [fx.RecordEnded(reference=watch.reference, phase=unpayable_phase(self.timing),
                                     detail=f"Mion status {status.status} after the session ended")]

    def _on_session(self, event: ev.SessionCreated, now: datetime) -> Effects:
        sale = self._sale()
        if event.reference != sale.reference:
            return self._on_closed_answer(event, now)
        sale.succeeded(Request.CREATE_SESSION)
        return self._have_session(sale, event.session.session_id, now)

    def _on_lookup(self, event: ev.SessionLookedUp, now: datetime) -> Effects:
        sale = self._sale()
        if event.reference != sale.reference:
            return self._on_closed_answer(event, now)
        sale.succeeded(Request.FIND_SESSION)
        if event.session is not None:
            return self._have_session(sale, event.session.session_id, now)
        settled_at = sale.create_sent_at + secs(self.timing.lookup_confirm_s)
        if now < settled_at:
            # A create the client gave up on may still be on its way through Mion: look once more, when
            # Mion has had time to finish it, before creating a second session for the same sale.
            sale.due[Request.FIND_SESSION] = settled_at
            return []
        # Nothing, long after the create was sent: it never arrived. Now create it.
        sale.create_sent_at = now
        sale.in_flight.add(Request.CREATE_SESSION)
        return [fx.CreateSession(reference=sale.reference, amount_cents=sale.amount_cents,
                                 expires_at=sale.session_expires_at)]

    def _have_session(self, sale: Sale, session_id: str, now: datetime) -> Effects:
        sale.session_id = session_id
        sale.failures.pop(Request.CREATE_SESSION, None)
        sale.due.pop(Request.FIND_SESSION, None)
        self.phase = P.AWAITING_PAYMENT if sale.ever_shown else P.CREATING_ATTEMPT
        sale.in_flight.add(Request.CREATE_ATTEMPT)
        sale.due[Request.POLL] = now + secs(self.timing.poll_interval_s)
        return [fx.RecordSession(reference=sale.reference, session_id=session_id),
                fx.CreateAttempt(reference=sale.reference, session_id=session_id, amount_cents=sale.amount_cents)]

    def _on_attempt(self, event: ev.AttemptCreated, now: datetime) -> Effects:
        sale = self._sale()
        if event.reference != sale.reference:
            return self._on_closed_answer(event, now)
        attempt = event.attempt
        if attempt.blocked_by_compliance or attempt.missing_compliance_fields:
            missing = ", ".join(attempt.missing_compliance_fields)
            detail = "blocked by compliance" + (f" (missing: {missing})" if missing else "")
            return self._attempt_unusable(sale, Failure.REJECTED, detail, now, blocked=True)
        refusal = self.rates.judge(sale, attempt, now, self.timing)
        if refusal is not None:  # journaled, never shown; one more is asked for, or the sale ends
            refused: Effects = [fx.RecordRefusal(reference=sale.reference, detail=refusal)]
            if sale.refused_attempts < REFUSALS_TO_END:
                return refused
            return refused + self._end(sale, P.ERROR, MessageKind.INVOICE_INVALID, now, detail=refusal)
        sale.succeeded(Request.CREATE_ATTEMPT)
        sale.attempt = attempt
        sale.attempt_received_at = now
        sale.ever_shown = True
        self.phase = P.AWAITING_PAYMENT
        sale.due.setdefault(Request.POLL, now)
        shown_until = min(attempt.expires_at, sale.session_expires_at)
        out: Effects = [fx.RecordAttempt(reference=sale.reference, attempt=attempt, expires_at=shown_until),
                        fx.SetLight(light=fx.Light.INVOICE)]
        return out + self._send_due(now)

    def _on_status(self, event: ev.StatusReceived, now: datetime) -> Effects:
        sale = self._sale()
        if event.reference != sale.reference:
            return self._on_closed_answer(event, now)
        sale.succeeded(Request.POLL)
        status = event.status
        out: Effects = [fx.RecordStatus(reference=sale.reference, status=status)]
        out += take_status(sale, status, now, self.timing)  # a paidAt not believed is journaled, not paid
        if status.paid_at is not None and sale.doubt is None:
            late = sale.attempt is None or now >= min(sale.attempt.expires_at, sale.session_expires_at)
            return out + self._paid(sale.reference, status.session_id, status.paid_at, sale.amount_cents,
                                    sale.attempt.amount_msat if sale.attempt else None, late, now)
        if status.expires_at is not None:
            sale.session_expires_at = status.expires_at
        if now >= sale.session_expires_at:
            # Mion answered after the session's end and it is not paid: the truth is known.
            if sale.doubt is not None:  # ... unless it said paid at a time that cannot be
                return out + self._end(sale, P.ERROR, MessageKind.UNCONFIRMED, now, detail=sale.doubt)
            if sale.recovered and self.timing.recovery_unpayable == "cancelled":
                return out + self._end(sale, P.CANCELLED, MessageKind.CANCELLED, now)
            return out + self._end(sale, P.EXPIRED, MessageKind.EXPIRED, now)
        sale.due[Request.POLL] = now + secs(self.timing.poll_interval_s)
        return out + self._send_due(now)

    def _on_failure(self, event: ev.RequestFailed, now: datetime) -> Effects:
        sale = self._sale()
        if event.reference != sale.reference:
            return self._on_closed_answer(event, now)
        request = event.request
        if request is Request.CREATE_SESSION:
            sale.failed(request, now, self.timing, event.retry_after_s)
            if event.failure is Failure.REJECTED:
                return self._end(sale, P.ERROR, MessageKind.ERROR, now, detail=event.message)
            # Unknown outcome: the session may exist. Look it up by reference before creating again.
            sale.due.pop(Request.CREATE_SESSION, None)
            sale.due[Request.FIND_SESSION] = now + secs(self.timing.backoff_s(sale.failures[request],
                                                                                event.retry_after_s))
            return []
        if request is Request.FIND_SESSION:
            sale.failed(request, now, self.timing, event.retry_after_s)
            if event.failure is Failure.REJECTED and not sale.ever_shown:
                return self._end(sale, P.ERROR, MessageKind.ERROR, now, detail=event.message)
            return []
        if request is Request.CREATE_ATTEMPT:
            return self._attempt_unusable(sale, event.failure, event.message, now, retry_after_s=event.retry_after_s)
        sale.failed(request, now, self.timing, event.retry_after_s)
        return []

    def _attempt_unusable(self, sale: Sale, failure: Failure, detail: str, now: datetime, *,
                          blocked: bool = False, retry_after_s: float | None = None) -> Effects:
        """An attempt failed or came back unusable. With nothing ever shown, nobody can have paid."""
        sale.failed(Request.CREATE_ATTEMPT, now, self.timing, retry_after_s)
        if not sale.ever_shown and failure is not Failure.UNAVAILABLE:
            if blocked:
                return self._end(sale, P.BLOCKED, MessageKind.BLOCKED, now, detail=detail)
            kind = MessageKind.INVOICE_INVALID if failure is Failure.INVOICE_INVALID else MessageKind.ERROR
            return self._end(sale, P.ERROR, kind, now, detail=detail)
        return []

    # --- time ----------------------------------------------------------------------------------------

    def _on_tick(self, event: ev.Tick, now: datetime) -> Effects:
        if self.phase is P.IDLE and self.idle_since is None:
            self.idle_since = now  # idle since start-up: the first tick says when that was
        out = self.watches.polls_due(now)
        if self.phase in ANY_FINAL and self.ending is not None:
            hold = self.timing.paid_screen_s if self.phase is P.PAID else self.timing.message_screen_s
            if now >= self.ending.at + secs(hold):
                self._go_idle(now)
        elif self.phase is P.ENTERING_AMOUNT and self.entry_touched_at is not None:
            if now >= self.entry_touched_at + secs(self.timing.entry_timeout_s):
                self._go_idle(now)
        elif self.phase in OPEN_PHASES:
            sale = self._sale()
            if sale.stranded(now, self.timing):
                return out + self._end(sale, *unpayable_ending(self.timing), now, detail=TOO_LITTLE_TIME)
            if not sale.ever_shown and now >= sale.started_at + secs(self.timing.give_up_creating_s):
                detail = "could not get an invoice from Mion in time"
                return out + self._end(sale, P.ERROR, MessageKind.ERROR, now, detail=detail)
            out.extend(self._send_due(now))
        return out

    def _send_due(self, now: datetime) -> Effects:
        """Send every request of the open sale that is due and not already in flight."""
        return self._sale().take_due(self.phase, now, self.timing)

    # --- endings -------------------------------------------------------------------------------------

    def _paid(self, reference: str, session_id: str, paid_at: datetime, amount_cents: int,
              amount_msat: int | None, late: bool, now: datetime, *, take_screen: bool = True) -> Effects:
        self.watches.drop(reference)
        out: Effects = [fx.RecordPaid(reference=reference, session_id=session_id, paid_at=paid_at,
                                      amount_msat=amount_msat, late=late)]
        if take_screen:
            self.phase = P.PAID
            self.ending = Ending(kind=None, amount_cents=amount_cents, amount_msat=amount_msat, at=now, late=late)
        return out

    def _end(self, sale: Sale, phase: Phase, kind: MessageKind, now: datetime, *, detail: str | None = None) -> Effects:
        self.phase = phase
        self.ending = Ending(kind=kind, amount_cents=sale.amount_cents,
                             amount_msat=sale.attempt.amount_msat if sale.attempt else None, at=now, detail=detail)
        if sale.ever_shown and sale.session_id is not None:
            last_payable = max(now, min(sale.attempt.expires_at, sale.session_expires_at) if sale.attempt else now)
            self.watches.start(sale, now, until=last_payable + secs(self.timing.late_grace_s))
        return [fx.RecordEnded(reference=sale.reference, phase=phase, detail=detail)]

    # --- recovery --------------------------------------------------------------------------------------

    def _on_recovered(self, event: ev.Recovered, now: datetime) -> Effects:
        """Resume the newest unfinished sale on screen; watch the others until their truth is known."""
        plan = plan_recovery(event, self.timing, now)
        for found in plan.watch_ended:
            self.watches.start_ended(found, now)
        out: Effects = []
        if plan.resume is not None:
            self.sale = plan.resume
            if plan.resume_phase is None:  # never shown and no time left for an invoice: nothing to resume
                out.extend(self._end(plan.resume, *unpayable_ending(self.timing), now, detail=TOO_LITTLE_TIME))
            else:
                self.phase = plan.resume_phase
                out.extend(self._send_due(now))
        for sale, until in plan.watch:
            self.watches.start(sale, now, until=until, ends_sale=True)
        if self.phase is P.IDLE and self.idle_since is None:
            self.idle_since = now  # nothing to resume: idle since start-up
        return out + plan.end_now

    def _entered(self, before: Phase, now: datetime) -> Effects:
        if self.phase is P.IDLE:
            self.idle_since = now
        if self.phase in ANY_FINAL:
            return [fx.SetLight(light=LIGHT_FOR_PHASE.get(self.phase, fx.Light.OFF))]
        if self.phase is P.IDLE and before in (P.ERROR, P.BLOCKED):
            # A paid light turns itself off after its time; an error blink has to be stopped.
            return [fx.SetLight(light=fx.Light.OFF)]
        return []

    def _go_idle(self, now: datetime) -> None:
        self.phase = P.IDLE
        self.entry = AmountEntry()
        self.ending = None
        self.sale = None

    def _sale(self) -> Sale:
        assert self.sale is not None, "an open phase always has a sale"
        return self.sale


def _table() -> Table:
    t, R = Table(), Register
    t.allow((P.IDLE,), ev.Tick, R._on_tick)
    t.allow((P.ENTERING_AMOUNT,) + ANY_FINAL, ev.Tick, R._on_tick, P.IDLE)
    t.allow(OPENED, ev.Tick, R._on_tick, P.ERROR, P.EXPIRED, P.CANCELLED)
    t.allow(EVERYWHERE, ev.PoleUpdated, R._on_pole)
    t.allow(IDLE_LIKE, ev.KeyPressed, R._on_key_idle, P.IDLE, P.ENTERING_AMOUNT)
    t.allow(OPENED, ev.KeyPressed, R._on_key_open, P.CANCELLED)
    t.allow(EVERYWHERE, ev.SaleRequested, R._on_sale_requested, P.CREATING_SESSION, stay=False)
    t.allow((P.ENTERING_AMOUNT,), ev.CancelRequested, R._on_cancel_entry, P.IDLE, stay=False)
    t.allow(OPENED, ev.CancelRequested, R._on_cancel, P.CANCELLED, stay=False)
    t.allow((P.IDLE,), ev.Recovered, R._on_recovered, P.CREATING_SESSION, P.CREATING_ATTEMPT,
            P.AWAITING_PAYMENT, P.EXPIRED, P.CANCELLED)
    # Answers for a sale that is no longer open only matter if they reveal a late payment.
    for answer in ANSWERS:
        t.allow(IDLE_LIKE, answer, R._on_closed_answer, P.PAID)
    t.allow(OPENED, ev.SessionCreated, R._on_session, P.CREATING_ATTEMPT, P.PAID)
    t.allow(OPENED, ev.SessionLookedUp, R._on_lookup, P.CREATING_ATTEMPT, P.PAID, P.ERROR)
    t.allow(OPENED, ev.AttemptCreated, R._on_attempt, P.AWAITING_PAYMENT, P.BLOCKED, P.ERROR, P.PAID)
    t.allow(OPENED, ev.StatusReceived, R._on_status, P.PAID, P.EXPIRED, P.CANCELLED, P.ERROR, P.AWAITING_PAYMENT)
    t.allow(OPENED, ev.RequestFailed, R._on_failure, P.ERROR, P.BLOCKED, P.PAID)
    return t


TRANSITIONS: dict[tuple[Phase, type], Transition] = _table()
