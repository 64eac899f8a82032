"""What a sale's outcome sends out: the receipt copies and the message to the till.

One function per outcome, from the settings and the facts alone, used by the running kiosk
(``kiosk.shell.ledger``) and by ``kiosk reconcile``, so both queue the same slips and the same till
message for the same payment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kiosk.config import Settings
from kiosk.core.model import Phase
from kiosk.inputs.till_protocol import PaidSale, protocol_class


@dataclass(frozen=True, slots=True)
class PaidOutputs:
    print_copies: tuple[str, ...]
    """Receipt copies to print, in order ("customer", "merchant"); empty without a printer."""
    till_message: str | None
    """What the till is told; None when its protocol tells nothing (pole) or there is no till."""


def receipt_copies(settings: Settings) -> tuple[str, ...]:
    printer = settings.printer
    if printer.kind == "none":
        return ()
    return ("customer", "merchant") if printer.merchant_copy else ("customer",)


def paid_outputs(settings: Settings, paid: PaidSale) -> PaidOutputs:
    """The slips and the till message one payment queues (in the same journal write as the payment)."""
    protocol = protocol_class(settings)
    return PaidOutputs(print_copies=receipt_copies(settings),
                       till_message=None if protocol is None else protocol.paid_message(paid))


def ended_message(settings: Settings, reference: str, phase: Phase, detail: str | None) -> str | None:
    """What the till is told of a sale that ended unpaid."""
    protocol = protocol_class(settings)
    return None if protocol is None else protocol.ended_message(reference, phase, detail)


def invoice_message(settings: Settings, reference: str, amount_sat: int, shown_until: datetime) -> str | None:
    """What the till is told when an invoice goes on screen."""
    protocol = protocol_class(settings)
    return None if protocol is None else protocol.invoice_message(reference, amount_sat, shown_until)
