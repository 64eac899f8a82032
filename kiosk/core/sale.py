"""The data of one open sale and of the sales still watched after they ended, plus timing rules.

Kept apart from the state machine so that the machine reads as a table of transitions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from kiosk.core import effects as fx
from kiosk.core.events import Request
from kiosk.core.model import Attempt, Phase, SaleSource, SessionStatus
from kiosk.core.view import MessageKind


@dataclass(frozen=True, slots=True, kw_only=True)
class Timing:
    """The register's rules of time, money and sale starts, from the settings (times in seconds).

    The defaults here are the settings' defaults too (``kiosk.config.SaleSettings`` reads them).
    """

    max_amount_cents: int = 100_000
    poll_interval_s: float = 0.5
    refresh_margin_s: float = 10.0
    refresh_lead_s: float = 10.0
    session_lifetime_s: float = 300.0
    late_grace_s: float = 120.0
    paid_screen_s: float = 6.0
    message_screen_s: float = 6.0
    max_backoff_s: float = 8.0
    give_up_creating_s: float = 45.0
    """With no invoice ever shown nobody can have paid, so the kiosk may give up creating one."""
    entry_timeout_s: float = 60.0
    """An amount typed but not charged is dropped after this long without a key."""
    watch_poll_s: float = 2.0
    """How often an ended (cancelled/expired) sale is re-checked for a late payment."""
    min_attempt_s: float = 20.0
    """Do not ask for a new invoice when the session has less than margin plus this left."""
    dim_after_s: float = 0.0
    show_rate: bool = False
    more_time: bool = True
    """Enter on the invoice screen asks for a fresh invoice (``kiosk.core.more_time``)."""
    """The invoice screen shows the rate of its invoice (``[display] show_rate``)."""
    lookup_confirm_s: float = 24.0
    """After a session-create with an unknown outcome, a lookup that finds nothing leads to a new create
    only this long after the first was sent (a create Mion handles late must be found, not doubled)."""
    recovery_unpayable: str = "expired"
    """How a recovered sale that can no longer be paid ends: "expired" or "cancelled"."""
    busy_policy: str = "refuse"
    """A sale requested while another is open: "refuse" it, or "replace" (cancel the open one first)."""
    pole_auto_start: bool = False
    """A total the till showed on the emulated pole display starts a sale by itself (else: the
    Lightning key charges it)."""
    rate_band_pct: int = 10
    """An invoice whose rate (msat per cent) is more than this many percent off the rate of the last
    invoice shown is not shown (``kiosk.core.plausible``)."""
    rate_memory_s: float = 600.0
    """How long the last invoice shown serves as the reference rate; older, only the bounds apply."""
    min_rate_msat_per_cent: int = 1_000
    """The lowest plausible rate: 1 000 msat per cent is 1 BTC at 1 000 000 €."""
    max_rate_msat_per_cent: int = 1_000_000
    """The highest plausible rate: 1 000 000 msat per cent is 1 BTC at 1 000 €."""
    paid_at_slack_s: float = 300.0
    """A ``paidAt`` counts only from the sale's creation minus this to now plus this (clock skew
    between Mion and the kiosk); outside it the sale is not paid (``kiosk.core.plausible``)."""

    def amount_refusal(self, amount_cents: int) -> str | None:
        """Why an amount cannot be charged (None: it can). The one place the range is decided."""
        if amount_in_range(amount_cents, self.max_amount_cents):
            return None
        return f"amount {amount_cents} is outside 1 to {self.max_amount_cents} cents"

    def backoff_s(self, failures: int, retry_after_s: float | None = None) -> float:
        """Wait before retry number ``failures`` (1-based): doubling from the poll interval, capped."""
        wait: float = min(self.max_backoff_s, self.poll_interval_s * 2.0 ** max(0, failures - 1))
        if retry_after_s is not None:
            wait = max(wait, min(retry_after_s, 60.0))
        return wait


def amount_in_range(amount_cents: int, max_amount_cents: int) -> bool:
    """An amount the kiosk charges: at least one cent, at most the shop's maximum."""
    return 1 <= amount_cents <= max_amount_cents


def secs(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


@dataclass(slots=True, kw_only=True)
class Sale:
    """The one sale the screen is about. Mutated only by the register's handlers."""

    reference: str
    amount_cents: int
    source: SaleSource
    started_at: datetime
    session_expires_at: datetime
    create_sent_at: datetime
    """When the last session-create was sent (for a recovered sale: when the sale was journaled)."""
    session_id: str | None = None
    attempt: Attempt | None = None
    """The invoice being shown (or last shown)."""
    attempt_received_at: datetime | None = None
    ever_shown: bool = False
    """Some invoice of this sale has been on screen, so the customer may have paid."""
    recovered: bool = False
    """Found unfinished in the journal at start-up."""
    last_status: SessionStatus | None = None
    doubt: str | None = None
    """Why the ``paidAt`` of the last status is not believed (``kiosk.core.plausible``); None: no doubt."""
    refused_attempts: int = 0
    tip_cents: int = 0
    """The tip within ``amount_cents`` (shown on the invoice screen)."""
    """Invoices refused in a row for their rate (``kiosk.core.plausible``)."""
    failures: dict[Request, int] = field(default_factory=dict)
    due: dict[Request, datetime] = field(default_factory=dict)
    """When each request should next be sent (absent: not wanted now)."""
    in_flight: set[Request] = field(default_factory=set)
    tap_pinned_until: datetime | None = None
    """A card tap may be paying the shown invoice until then: no fresh one replaces it (``kiosk.core.tap``)."""

    @property
    def opened_at(self) -> datetime:
        """The start of the sale's life: nothing can have paid it earlier. For a sale started here it is
        ``started_at`` (its session-create is sent then or later); for one recovered after a restart,
        ``started_at`` is the restart and ``create_sent_at`` its journaled creation."""
        return min(self.started_at, self.create_sent_at)

    @property
    def checking(self) -> bool:
        """Mion has not answered the last request(s) usefully, or said paid at a time that cannot be:
        the outcome is being checked."""
        asking = (Request.POLL, Request.FIND_SESSION, Request.CREATE_SESSION)
        return self.doubt is not None or any(self.failures.get(r, 0) > 0 for r in asking)

    def shown_until(self, timing: Timing) -> datetime | None:
        """The moment the current invoice must leave the screen (margin before it expires)."""
        if self.attempt is None:
            return None
        end = min(self.attempt.expires_at, self.session_expires_at)
        return end - secs(timing.refresh_margin_s)

    def qr_visible(self, now: datetime, timing: Timing) -> bool:
        """The invoice may be on screen: before its time is up, and not while a ``paidAt`` is doubted."""
        until = self.shown_until(timing)
        return until is not None and now < until and self.doubt is None

    def last_invoice_at(self, timing: Timing) -> datetime:
        """From this moment on no fresh invoice is worth showing: less than the margin plus
        ``min_attempt_s`` of the session is left."""
        return self.session_expires_at - secs(timing.refresh_margin_s + timing.min_attempt_s)

    def invoice_fits(self, now: datetime, timing: Timing) -> bool:
        """A fresh invoice is still worth asking for: the one rule for every new invoice, and for
        resuming a sale after a restart."""
        return now < self.last_invoice_at(timing)

    def stranded(self, now: datetime, timing: Timing) -> bool:
        """Found unfinished after a restart, never showed an invoice, and no time is left for one:
        nobody can have paid it, and nobody can. It ends at once instead of waiting on screen."""
        return self.recovered and not self.ever_shown and not self.invoice_fits(now, timing)

    def wants_fresh_attempt(self, now: datetime, timing: Timing) -> bool:
        """Time to ask for the next invoice, so it arrives before the shown one must go."""
        if self.session_id is None or Request.CREATE_ATTEMPT in self.in_flight or self.doubt is not None:
            return False
        if self.tap_pinned_until is not None and now < self.tap_pinned_until:
            return False  # a card tap may be paying the shown invoice (kiosk.core.tap)
        if not self.invoice_fits(now, timing):
            return False
        until = self.shown_until(timing)
        return until is None or now >= until - secs(timing.refresh_lead_s)

    def take_due(self, phase: Phase, now: datetime, timing: Timing) -> list[fx.Effect]:
        """The requests of this (open) sale that are due and not in flight, marked in flight."""
        out: list[fx.Effect] = []
        for request, at in sorted(self.due.items(), key=lambda item: item[1]):
            if at > now or request in self.in_flight:
                continue
            if request is Request.FIND_SESSION:
                out.append(fx.FindSession(reference=self.reference))
            elif request is Request.CREATE_SESSION:
                out.append(fx.CreateSession(reference=self.reference, amount_cents=self.amount_cents,
                                            expires_at=self.session_expires_at))
            elif self.session_id is not None and request is Request.POLL:
                out.append(fx.PollStatus(reference=self.reference, session_id=self.session_id))
            else:
                continue
            self.in_flight.add(request)
            del self.due[request]
        if self._wants_attempt(phase, now, timing):
            assert self.session_id is not None
            self.due.pop(Request.CREATE_ATTEMPT, None)
            self.in_flight.add(Request.CREATE_ATTEMPT)
            out.append(fx.CreateAttempt(reference=self.reference, session_id=self.session_id,
                                        amount_cents=self.amount_cents))
        return out

    def _wants_attempt(self, phase: Phase, now: datetime, timing: Timing) -> bool:
        if self.due.get(Request.CREATE_ATTEMPT, now) > now:
            return False  # backing off after a failure
        if self.recovered and self.last_status is None:
            return False  # a recovered sale first learns whether it was paid meanwhile, whatever it showed
        if phase is Phase.CREATING_ATTEMPT:
            return self.wants_fresh_attempt(now, timing)
        return phase is Phase.AWAITING_PAYMENT and self.wants_fresh_attempt(now, timing)

    def failed(self, request: Request, now: datetime, timing: Timing, retry_after_s: float | None) -> None:
        self.in_flight.discard(request)
        count = self.failures.get(request, 0) + 1
        self.failures[request] = count
        self.due[request] = now + secs(timing.backoff_s(count, retry_after_s))

    def succeeded(self, request: Request) -> None:
        self.in_flight.discard(request)
        self.failures.pop(request, None)
        self.due.pop(request, None)


@dataclass(slots=True, kw_only=True)
class Watch:
    """An ended sale whose invoice was shown: re-checked until ``until`` so a late payment is caught."""

    reference: str
    session_id: str
    amount_cents: int
    amount_msat: int | None
    until: datetime
    next_poll_at: datetime
    opened_at: datetime
    """When the sale was journaled: the start of its life for a ``paidAt`` (``kiosk.core.plausible``)."""
    doubted_paid_at: datetime | None = None
    """The last ``paidAt`` refused for it, so the same doubt is journaled once."""
    in_flight: bool = False
    failures: int = 0
    ends_sale: bool = False
    """The journal still has this sale open (it was found unfinished at start-up, not on screen): when the
    watch runs out and Mion confirms it unpaid, the sale is ended, or every start would find it again."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Ending:
    """What the final screen shows, and since when."""

    kind: MessageKind | None
    """None for paid."""
    amount_cents: int
    amount_msat: int | None
    at: datetime
    late: bool = False
    detail: str | None = None
