"""What the register shows, and when it next needs the time: both derived from its state alone."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Protocol

from kiosk.core.entry import AmountEntry
from kiosk.core.events import Request
from kiosk.core.model import Phase
from kiosk.core.more_time import offer_hint
from kiosk.core.sale import Ending, Sale, Timing, secs
from kiosk.core.view import (
    AmountEntryView,
    CheckingView,
    IdleView,
    InvoiceView,
    MessageKind,
    MessageView,
    PaidView,
    PreparingView,
    View,
)


class RegisterState(Protocol):
    """What the view and the deadline are derived from: the register's state, read only."""

    @property
    def timing(self) -> Timing: ...
    @property
    def phase(self) -> Phase: ...
    @property
    def sale(self) -> Sale | None: ...
    @property
    def entry(self) -> AmountEntry: ...
    @property
    def entry_touched_at(self) -> datetime | None: ...
    @property
    def ending(self) -> Ending | None: ...
    @property
    def idle_since(self) -> datetime | None: ...
    @property
    def shop_name(self) -> str: ...
    @property
    def logo_path(self) -> str | None: ...
    @property
    def pole_lines(self) -> tuple[str, str] | None: ...
    @property
    def pending_total_cents(self) -> int | None: ...

    def watch_polls(self) -> list[datetime]:
        """When each late-payment watch without a poll in flight is next due."""
        ...


def derive_view(reg: RegisterState, now: datetime) -> View:
    """The view model for the register's state at ``now``."""
    phase = reg.phase
    if phase is Phase.IDLE:
        dimmed = bool(reg.timing.dim_after_s and reg.idle_since is not None
                      and (now - reg.idle_since).total_seconds() >= reg.timing.dim_after_s)
        return IdleView(shop_name=reg.shop_name, logo_path=reg.logo_path, pole_lines=reg.pole_lines,
                        pending_total_cents=reg.pending_total_cents, dimmed=dimmed)
    if phase is Phase.ENTERING_AMOUNT:
        return AmountEntryView(typed=reg.entry.typed, amount_cents=reg.entry.amount_cents,
                               max_amount_cents=reg.timing.max_amount_cents, error=reg.entry.error)
    if reg.ending is not None and phase.is_final:
        ending = reg.ending
        if ending.kind is None:
            return PaidView(amount_cents=ending.amount_cents, amount_msat=ending.amount_msat, late=ending.late)
        return MessageView(kind=ending.kind, amount_cents=ending.amount_cents, detail=ending.detail)
    sale = reg.sale
    assert sale is not None
    elapsed_s = max(0.0, (now - sale.started_at).total_seconds())
    if sale.recovered and sale.last_status is None and not sale.qr_visible(now, reg.timing):
        return MessageView(kind=MessageKind.RECOVERING, amount_cents=sale.amount_cents)
    if sale.attempt is not None and sale.qr_visible(now, reg.timing):
        shown_until = sale.shown_until(reg.timing)
        assert shown_until is not None and sale.attempt_received_at is not None
        seconds_left = max(0, math.ceil((shown_until - now).total_seconds()))
        lifetime_s = max(1, math.ceil((shown_until - sale.attempt_received_at).total_seconds()))
        return InvoiceView(amount_cents=sale.amount_cents, amount_msat=sale.attempt.amount_msat,
                           invoice=sale.attempt.invoice, seconds_left=seconds_left, lifetime_s=lifetime_s,
                           checking=sale.checking, reference=sale.reference, tip_cents=sale.tip_cents,
                           show_rate=reg.timing.show_rate,
                           more_time_hint=offer_hint(sale, now, reg.timing, seconds_left))
    if sale.ever_shown or sale.checking:
        return CheckingView(amount_cents=sale.amount_cents, elapsed_s=elapsed_s)
    return PreparingView(amount_cents=sale.amount_cents, elapsed_s=elapsed_s)


def next_deadline(reg: RegisterState, now: datetime) -> datetime | None:
    """The earliest moment at which a Tick can change the register's state or its view.

    Pending work (a request due, a watch to poll, a screen to leave) that is already due gives
    ``now``: the app ticks at once. Times that only change the picture count only in the future.
    """
    work: list[datetime] = reg.watch_polls()
    later: list[datetime] = []
    timing = reg.timing
    if reg.phase.is_final and reg.ending is not None:
        hold = timing.paid_screen_s if reg.phase is Phase.PAID else timing.message_screen_s
        work.append(reg.ending.at + secs(hold))
    elif reg.phase is Phase.ENTERING_AMOUNT and reg.entry_touched_at is not None:
        work.append(reg.entry_touched_at + secs(timing.entry_timeout_s))
    elif reg.phase is Phase.IDLE and timing.dim_after_s and reg.idle_since is not None:
        later.append(reg.idle_since + secs(timing.dim_after_s))
    elif reg.sale is not None and reg.phase.is_open:
        sale = reg.sale
        work.extend(at for request, at in sale.due.items()
                    if request not in sale.in_flight and request is not Request.CREATE_ATTEMPT)
        if Request.CREATE_ATTEMPT in sale.due:
            later.append(sale.due[Request.CREATE_ATTEMPT])  # the end of a backoff, not work by itself
        if not sale.ever_shown:
            work.append(sale.started_at + secs(timing.give_up_creating_s))
            if sale.recovered:
                work.append(sale.last_invoice_at(timing))  # stranded from then on: it ends
        shown_until = sale.shown_until(timing)
        if shown_until is not None:
            later.extend([shown_until, shown_until - secs(timing.refresh_lead_s)])
            # The countdown shows whole seconds: wake when the next one begins.
            left = (shown_until - now).total_seconds()
            if left > 0:
                later.append(now + secs(left - math.floor(left) or 1.0))
        later.append(sale.last_invoice_at(timing))
        later.append(sale.session_expires_at)
    if any(t <= now for t in work):
        return now
    future = [t for t in work + later if t > now]
    return min(future) if future else None
