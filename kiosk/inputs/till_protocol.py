"""The till seam: how one way of talking to a till plugs into the kiosk.

Theory of operation
-------------------
A till reaches the kiosk over one link (today a serial port, :class:`~kiosk.inputs.serial_link.SerialLink`).
What the bytes mean is a *till protocol*: the kiosk's own line protocol
(:class:`~kiosk.inputs.pos_service.LineTill`) or pole-display emulation
(:class:`~kiosk.inputs.pole.PoleTill`). ``kiosk.shell.till`` owns the link and one protocol object,
and calls the protocol on the main thread only, so a protocol never needs a lock.

A protocol asks for sales through a :class:`SaleDesk` (synchronous: the answer is known before the
reply is written) or hands the register an event through ``post``. What it tells the till about a
sale's outcome (invoice shown, paid, ended) is a *message*: text that the journal queues in the same
write as the fact it reports, and that the till link sends once it can. Messages are static methods,
so ``kiosk reconcile`` can word them without a link.

The contract, in the manner of a pin factory's:

Must override
    :meth:`TillProtocol.receive`: take bytes from the till, yield each reply (bytes) as soon as it is
    decided. The caller writes each reply, then sends the event messages the request caused, before it
    asks for the next reply: a reply always precedes the events it causes.

May override
    :attr:`TillProtocol.quiet_after_s` with :meth:`TillProtocol.on_quiet`: told when the till stopped
    writing for that long (pole emulation reads the settled screen there).
    :meth:`TillProtocol.reset`: the link was reopened; drop half-received input.
    :meth:`TillProtocol.on_tick`: time passed (called once per loop iteration, at least once a
    second); yield bytes to send unasked (ZVT's intermediate status, a resend).
    :meth:`TillProtocol.message_bytes`: the bytes a queued message goes out as (default: the line and
    CR LF; ZVT hands it to its terminal, which answers in its own protocol).
    :meth:`TillProtocol.invoice_message`, :meth:`TillProtocol.paid_message`,
    :meth:`TillProtocol.ended_message`: the message for each outcome, or None (the default) when this
    protocol cannot tell the till anything.

Adding a protocol: one new module with a ``TillProtocol`` subclass, its name in :data:`PROTOCOLS`
and in ``[pos] mode``'s allowed values.
"""

from __future__ import annotations

import abc
import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Protocol

from kiosk.config import Settings
from kiosk.core import events as ev
from kiosk.core.model import Phase
from kiosk.store.records import SaleRecord
from kiosk.store.zvt_book import ZvtBook

PROTOCOLS: dict[str, str] = {
    "line": "kiosk.inputs.pos_service:LineTill",
    "pole": "kiosk.inputs.pole:PoleTill",
    "zvt": "kiosk.inputs.zvt.till:ZvtTill",
}
"""``[pos] mode`` -> ``module:class`` of its protocol (imported only when that mode is used)."""


class SaleDesk(Protocol):
    """What a till may ask of the kiosk. Called on the main thread; every call answers at once.

    Refusals raise :class:`kiosk.errors.SaleRefused` with a code and a reason, and change nothing.
    """

    def start_sale(self, amount_cents: int, reference: str | None) -> str:
        """Open a sale for ``amount_cents``; return its reference (the till's, or a generated one)."""
        ...

    def cancel_sale(self, reference: str | None) -> str:
        """Cancel the open sale (None) or the sale with ``reference``; return the cancelled reference."""
        ...

    def sale_state(self, reference: str | None) -> SaleRecord | None:
        """The journal's record of the current sale (None) or of ``reference``; None if there is none."""
        ...

    def last_paid(self) -> SaleRecord | None:
        """The journal's most recently paid sale (a till asks for its last receipt again)."""
        ...

    def not_booked(self, reference: str, reason: str) -> None:
        """The till was told of this payment but did not book it: note it for a manual booking or refund."""
        ...

    def zvt_book(self) -> ZvtBook:
        """Where a ZVT terminal keeps its trace and receipt numbers and totals (the journal)."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class PaidSale:
    """A payment as the till is told of it."""

    reference: str
    session_id: str
    paid_at: datetime
    amount_msat: int | None
    late: bool = False
    tip_cents: int = 0
    """The customer's tip within the sale's amount (``[tips]``)."""


class TillProtocol(abc.ABC):
    """One way a till talks to the kiosk. See the module docstring for the contract."""

    quiet_after_s: ClassVar[float | None] = None
    """Call :meth:`on_quiet` once the till stopped writing for this long (None: never)."""

    def __init__(self, settings: Settings, desk: SaleDesk, post: Callable[[ev.Event], None]) -> None:
        self.settings = settings
        self.desk = desk
        self.post = post

    @abc.abstractmethod
    def receive(self, data: bytes) -> Iterator[bytes]:
        """Take bytes from the till (any split); yield each reply as it is decided. Never raises for
        anything the till sent."""

    def on_quiet(self) -> None:
        """The till stopped writing for :attr:`quiet_after_s`."""

    def reset(self) -> None:
        """The link was (re)opened: forget any half-received input."""

    def on_tick(self, now: datetime) -> Iterator[bytes]:
        """Time passed (``now``: the kiosk's clock); yield anything to send unasked."""
        return iter(())

    def message_bytes(self, line: str) -> bytes:
        """What a queued message is written to the till as (b"": nothing right now)."""
        return line.encode("ascii", "replace") + b"\r\n"

    @staticmethod
    def invoice_message(reference: str, sat: int, expires_at: datetime, *, tip_cents: int = 0) -> str | None:
        """The message for an invoice put on screen for ``sat`` sats until ``expires_at`` (when the
        customer stops seeing it); None: not told. ``tip_cents`` is passed only when the customer added a
        tip (``[tips]``), so an override must accept it as a keyword."""
        return None

    @staticmethod
    def paid_message(paid: PaidSale) -> str | None:
        """The message for a payment; None: not told."""
        return None

    @staticmethod
    def ended_message(reference: str, phase: Phase, detail: str | None) -> str | None:
        """The message for a sale that ended unpaid (expired, cancelled, blocked, error); None: not told."""
        return None


def protocol_class(settings: Settings) -> type[TillProtocol] | None:
    """The till protocol the settings ask for; None when no till is connected."""
    if not settings.pos.enabled:
        return None
    module_name, _, class_name = PROTOCOLS[settings.pos.mode].partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    assert isinstance(cls, type) and issubclass(cls, TillProtocol)
    return cls
