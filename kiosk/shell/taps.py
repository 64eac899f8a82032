"""The main thread's side of card taps: pin the invoice for a reader, keep what the screen says, route keys.

The loop hands every ``TapUpdate`` here. A reader that is about to call a card service asks for the
shown invoice to be pinned (``kiosk.core.tap``) and waits for the answer (``PaymentReader.pinned``);
a tap that ended without the service taking the invoice releases it. What the screen says about the
tap is kept for the sale it belongs to only, and forgotten when the offered invoice changes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from kiosk.core import tap as tap_rules
from kiosk.core.register import Register
from kiosk.core.tap_view import TapView
from kiosk.inputs.payment_reader import OfferedInvoice, PaymentReader
from kiosk.shell.messages import TapUpdate

log = logging.getLogger(__name__)


class Taps:
    """What the invoice screen says about taps, and the pin requests. Main thread only."""

    def __init__(self) -> None:
        self.view: TapView | None = None
        self._reference: str | None = None

    def offered(self, invoice: OfferedInvoice | None) -> None:
        """The invoice on screen changed: what was said about taps on another one goes."""
        if invoice is None or invoice.reference != self._reference:
            self.view = None
            self._reference = invoice.reference if invoice is not None else None

    def update(self, message: TapUpdate, register: Register, readers: Sequence[PaymentReader], now: datetime,
               min_left_s: float) -> None:
        sale = register.sale
        if message.released:
            tap_rules.release(sale, message.reference)
        if message.wants_pin:
            refusal = tap_rules.pin(sale, register.phase, message.reference, message.invoice, now, register.timing,
                                    min_left_s)
            if refusal is not None:
                log.info("card tap for sale %s not started: %s", message.reference, refusal.value)
            for reader in readers:
                if reader.name == message.reader:
                    reader.pinned(message.invoice, None if refusal is None else refusal.value)
        if message.reference == self._reference:
            self.view = message.tap

    @staticmethod
    def key(key: str, readers: Sequence[PaymentReader]) -> bool:
        """Hand a keypad key to the first reader that takes it (its PIN entry); True when taken."""
        return any(reader.key(key) for reader in readers)
