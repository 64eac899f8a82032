"""The desk: where sales are opened, cancelled and looked up, for the keypad and for the till.

Implements the till link's ``SaleDesk``. It runs on the main thread (the till's bytes are handed
over to it there), so it may use the register directly.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from kiosk.core import events as ev
from kiosk.core.model import SaleSource
from kiosk.errors import StoreError
from kiosk.inputs.pos_service import SaleRefused
from kiosk.store.records import SaleRecord

if TYPE_CHECKING:
    from kiosk.app import KioskApp

log = logging.getLogger(__name__)


class Desk:
    """Opens and cancels sales on behalf of the keypad, the pole display and the till."""

    def __init__(self, app: KioskApp) -> None:
        self._app = app

    @property
    def app(self) -> KioskApp:
        return self._app

    def begin(self, amount_cents: int, reference: str | None, source: SaleSource) -> str:
        """Give the sale a reference, hand it to the register and return the reference."""
        app = self._app
        now = app.now()
        if reference is None:
            reference = app.journal.next_reference(app.settings.shop.terminal_id, _local_day(now))
        app.feed(ev.SaleRequested(reference=reference, amount_cents=amount_cents, source=source))
        return reference

    # --- SaleDesk, for the till ----------------------------------------------------------------------

    def start_sale(self, amount_cents: int, reference: str | None) -> str:
        app = self._app
        # Every check comes before the replace-cancel: a refused sale must change nothing.
        if reference is not None and app.journal.get(reference) is not None:
            raise SaleRefused("DUPLICATE_REFERENCE", f"reference {reference} was already used for a sale")
        if not 1 <= amount_cents <= app.settings.sale.max_amount_cents:
            raise SaleRefused("AMOUNT_RANGE", f"amount must be 1 to {app.settings.sale.max_amount_cents} cents")
        open_reference = app.register.open_reference
        if open_reference is not None:
            if app.settings.pos.busy_policy != "replace":
                raise SaleRefused("BUSY", f"sale {open_reference} is still open; cancel it first")
            self.cancel_sale(open_reference)
        try:
            started = self.begin(amount_cents, reference, SaleSource.POS)
        except StoreError as exc:
            log.error("could not record a sale from the till: %s", exc)
            raise SaleRefused("UNAVAILABLE", "the kiosk cannot record sales right now") from exc
        if app.register.open_reference != started:
            raise SaleRefused("UNAVAILABLE", "the kiosk could not start the sale")
        return started

    def cancel_sale(self, reference: str | None) -> str:
        app = self._app
        open_reference = app.register.open_reference
        if reference is None or reference == open_reference:
            if open_reference is None:
                raise SaleRefused("NO_SALE", "no sale is open")
            app.feed(ev.CancelRequested(reference=open_reference))
            return open_reference
        if app.journal.get(reference) is None:
            raise SaleRefused("UNKNOWN_REFERENCE", f"no sale has reference {reference}")
        raise SaleRefused("FINISHED", f"sale {reference} has already ended")

    def sale_state(self, reference: str | None) -> SaleRecord | None:
        app = self._app
        reference = reference or app.register.open_reference
        if reference is None:
            return None
        return app.journal.get(reference)


def _local_day(now: datetime):  # type: ignore[no-untyped-def]
    return now.astimezone().date()
