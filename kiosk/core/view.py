"""View models: everything a screen shows, as plain data derived from the sale's state.

The display draws these and nothing else; it keeps no state of its own and makes no decisions.
Words the customer reads are not here: views carry enums and numbers, and ``kiosk.core.text``
turns them into the configured language.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from kiosk.core.model import sats_for
from kiosk.core.tap_view import TapView
from kiosk.core.till_notice import TillNotice


class EntryError(enum.Enum):
    """Why the amount being typed cannot be charged."""

    ZERO = "zero"
    TOO_LARGE = "too_large"
    MALFORMED = "malformed"


class MessageKind(enum.Enum):
    """The one-sentence screens that end or interrupt a sale."""

    EXPIRED = "expired"
    CANCELLED = "cancelled"
    BLOCKED = "blocked"
    """Mion's compliance checks blocked this payment."""
    INVOICE_INVALID = "invoice_invalid"
    """The invoice failed the kiosk's own checks (network, amount); no QR is shown."""
    ERROR = "error"
    UNCONFIRMED = "unconfirmed"
    """Mion reported a payment at a time that cannot be (``kiosk.core.plausible``) until the session
    ended: not taken as paid, but perhaps paid, so the customer must not pay again unasked."""
    RECOVERING = "recovering"
    """At start-up, unfinished sales are being checked with Mion."""
    CONFIG_ERROR = "config_error"
    OUT_OF_SERVICE = "out_of_service"
    """The journal cannot be written (the card is full): no new sale; payments received are kept."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ShopStatus:
    """The small, calm indicator for the shop's staff. ``None`` means 'not in use'."""

    mion_reachable: bool | None = None
    till_connected: bool | None = None
    printer_problem: str | None = None
    """Short technical word such as 'paper out' or 'offline'; None when fine or not in use."""
    reader_problem: str | None = None
    """A payment (card) reader's problem, such as 'no reader' or 'pyscard missing'; None when fine or not in use."""
    demo: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class IdleView:
    shop_name: str
    logo_path: str | None = None
    pole_lines: tuple[str, str] | None = None
    """The till's two text lines in pole-display mode, shown like a real pole display would."""
    pending_total_cents: int | None = None
    """A total recognised from the pole display that waits for the cashier's Lightning key."""
    dimmed: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class AmountEntryView:
    typed: str
    """What the cashier typed so far, digits and at most one decimal separator (``"12,5"``)."""
    amount_cents: int | None
    """The typed amount in cents, or None while nothing valid is typed."""
    max_amount_cents: int
    error: EntryError | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PreparingView:
    amount_cents: int
    elapsed_s: float
    """Seconds since the sale started: drives the calm progress animation."""


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceView:
    amount_cents: int
    amount_msat: int
    invoice: str
    seconds_left: int
    """Whole seconds the shown invoice is still payable (countdown shows mm:ss)."""
    lifetime_s: int
    """Seconds from the invoice's arrival to its expiry: the countdown ring's full circle."""
    checking: bool = False
    """True while the kiosk cannot reach Mion and keeps checking: the customer sees it working."""
    reference: str = ""
    tip_cents: int = 0
    """The tip within ``amount_cents`` (shown as "incl. tip")."""
    show_rate: bool = False
    more_time_hint: bool = False
    """Say which key gives a fresh invoice (late in the countdown, when it can be granted)."""
    """Show the rate of this invoice: ``amount_msat`` over ``amount_cents`` (``[display] show_rate``)."""

    @property
    def amount_sat(self) -> int:
        return sats_for(self.amount_msat)


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckingView:
    """No payable invoice can be shown, but the sale is open and its outcome unknown."""

    amount_cents: int
    elapsed_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class PaidView:
    amount_cents: int
    amount_msat: int | None
    late: bool = False
    """The payment arrived after the invoice had expired on screen."""

    @property
    def amount_sat(self) -> int | None:
        return None if self.amount_msat is None else sats_for(self.amount_msat)


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageView:
    kind: MessageKind
    amount_cents: int | None = None
    detail: str | None = None
    """Extra text for the technician, e.g. the setting named by a config error. Never a secret."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TipOption:
    key: str
    """The key that picks it: ``"1"``.. or ``"0"`` for no tip."""
    pct: int
    tip_cents: int
    total_cents: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TipView:
    """The customer chooses a tip: every option shows its exact total."""

    amount_cents: int
    options: tuple[TipOption, ...]
    """The presets that fit under the amount limit, then "no tip" (key 0, pct 0)."""
    custom: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class TipCustomView:
    """The customer types a tip amount."""

    amount_cents: int
    typed: str
    tip_cents: int | None
    max_tip_cents: int
    error: EntryError | None = None


View = (IdleView | AmountEntryView | PreparingView | InvoiceView | CheckingView | PaidView | MessageView
        | TipView | TipCustomView)


@dataclass(frozen=True, slots=True, kw_only=True)
class Frame:
    """One full screen: the view plus the shop's status indicator."""

    view: View
    status: ShopStatus = ShopStatus()
    tap: TapView | None = None
    """On the invoice screen with tap to pay: what the screen says about card taps."""
    notice: TillNotice | None = None
    """Payments the till did not book, for the cashier (never on the invoice screen)."""
