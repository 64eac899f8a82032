"""The desk: where sales are opened, cancelled and looked up, for the keypad, the pole and the till.

Implements :class:`~kiosk.inputs.till_protocol.SaleDesk`. It gives new sales their reference and
refuses a reference the journal already holds; every other rule of starting a sale (the amount
range, what happens to a sale still open) belongs to the register, whose refusal comes back here as
:class:`~kiosk.errors.SaleRefused` with nothing changed. Main thread only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime

from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.core.model import SaleSource
from kiosk.core.register import Register
from kiosk.errors import SaleRefused, StoreError
from kiosk.store.journal import Journal
from kiosk.store.records import SaleRecord

log = logging.getLogger(__name__)

Apply = Callable[[ev.Event], list[fx.Effect]]
"""Hand the register an event and carry out its effects; raises the register's refusals."""


class Desk:
    def __init__(self, journal: Journal, register: Register, apply: Apply, *, terminal_id: str,
                 clock: Callable[[], datetime]) -> None:
        self._journal = journal
        self._register = register
        self._apply = apply
        self._terminal_id = terminal_id
        self._clock = clock

    def open_sale(self, amount_cents: int, source: SaleSource, reference: str | None = None) -> str:
        """Give the sale a reference (unless the till named one), hand it to the register, return it.

        Raises:
            SaleRefused: the register refused it (amount range, busy); nothing changed.
            StoreError: the journal could not draw a reference.
        """
        if reference is None:
            reference = self._new_reference()
        self._apply(ev.SaleRequested(reference=reference, amount_cents=amount_cents, source=source))
        return reference

    def _new_reference(self) -> str:
        """A generated reference no sale has: a till may have named a sale with the next one already."""
        day = _local_day(self._clock())
        while True:
            reference = self._journal.next_reference(self._terminal_id, day)
            if self._journal.get(reference) is None:
                return reference
            log.info("reference %s was already used by the till; drawing the next", reference)

    # --- SaleDesk, for the till ----------------------------------------------------------------------

    def start_sale(self, amount_cents: int, reference: str | None) -> str:
        if reference is not None and self._journal.get(reference) is not None:
            raise SaleRefused("DUPLICATE_REFERENCE", f"reference {reference} was already used for a sale")
        try:
            started = self.open_sale(amount_cents, SaleSource.POS, reference)
        except StoreError as exc:
            log.error("could not record a sale from the till: %s", exc)
            raise SaleRefused("UNAVAILABLE", "the kiosk cannot record sales right now") from exc
        if self._register.open_reference != started:
            raise SaleRefused("UNAVAILABLE", "the kiosk could not start the sale")
        return started

    def cancel_sale(self, reference: str | None) -> str:
        open_reference = self._register.open_reference
        if reference is None or reference == open_reference:
            if open_reference is None:
                raise SaleRefused("NO_SALE", "no sale is open")
            self._apply(ev.CancelRequested(reference=open_reference))
            return open_reference
        if self._journal.get(reference) is None:
            raise SaleRefused("UNKNOWN_REFERENCE", f"no sale has reference {reference}")
        raise SaleRefused("FINISHED", f"sale {reference} has already ended")

    def sale_state(self, reference: str | None) -> SaleRecord | None:
        reference = reference or self._register.open_reference
        return None if reference is None else self._journal.get(reference)


def _local_day(now: datetime) -> date:
    return now.astimezone().date()
