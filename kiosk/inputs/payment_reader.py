"""The payment-reader seam: inputs that pay the invoice on screen rather than start a sale.

Theory of operation
-------------------
A payment reader (tap-to-pay over NFC is the first kind planned) never decides that a sale is paid:
only Mion's ``paidAt`` does, through the status polls the register already makes. A reader is told
which invoice the customer sees (:meth:`PaymentReader.offer`), may get it paid by other means, and
reports what it is doing as events that the loop hands on. It runs its own thread for any waiting
(card presence is waited for, never busy-polled) and touches neither pygame nor the register.

The contract, in the manner of a pin factory's:

Must override
    :meth:`PaymentReader.start` and :meth:`PaymentReader.stop`: open and close the device and any
    thread; ``stop`` returns within a second.
    :meth:`PaymentReader.offer`: the invoice now on screen, or None when none is (no QR shown, the sale
    ended, the invoice is being replaced). Called on the main thread whenever that changes; it must
    not block. A reader pays only the invoice offered last, and pins nothing by itself.

May override
    :meth:`PaymentReader.pinned`: the loop's answer when the reader asked it to pin an invoice for a
    payment in flight. :meth:`PaymentReader.key`: keypad keys, while the reader takes them (a PIN).
    :attr:`PaymentReader.problem`: a short word for the shop's status indicator ("no reader", ...),
    None when fine. Changes are announced by posting :class:`kiosk.shell.messages.ReaderState`.

Adding a reader: one new module with a ``PaymentReader`` subclass, its name in :data:`READERS`, and
its settings section.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

READERS: dict[str, str] = {"nfc": "kiosk.inputs.boltcard.reader:BoltCardReader"}
"""Reader name -> ``module:class`` (imported only when configured)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferedInvoice:
    """The invoice the customer sees, as a reader needs it."""

    reference: str
    session_id: str
    invoice: str
    amount_msat: int
    shown_until: datetime
    amount_cents: int = 0
    pay_until: datetime | None = None
    """The last moment it can be paid: it expires or its session ends (None: ``shown_until``)."""


class PaymentReader(abc.ABC):
    """A device that can pay the invoice on screen. See the module docstring for the contract."""

    name: ClassVar[str] = "reader"

    def __init__(self, post: Callable[[Any], None]) -> None:
        self.post = post
        """Hand a message to the main loop (thread-safe)."""

    @abc.abstractmethod
    def start(self) -> None:
        """Open the device and start waiting for it."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Close the device; return within a second."""

    @abc.abstractmethod
    def offer(self, invoice: OfferedInvoice | None) -> None:
        """The invoice on screen now (None: none). Main thread; must not block."""

    def pinned(self, invoice: str, refusal: str | None) -> None:
        """The loop's answer to a ``TapUpdate(wants_pin=True)``: None when ``invoice`` is pinned, else why
        not (a ``kiosk.core.tap.PinRefusal`` value). Main thread; must not block. Readers that pay
        nothing by themselves need not override it."""

    def key(self, key: str) -> bool:
        """A keypad key while this reader wants keys (its PIN entry); True when taken. Main thread."""
        return False

    @property
    def problem(self) -> str | None:
        """A short word for the status indicator when the reader cannot be used; None when fine."""
        return None
