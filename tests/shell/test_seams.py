"""The seams through the real loop: a payment reader is offered exactly the invoice on screen, and the
print worker's view of the printer reaches the shop's indicator as a message on the loop's queue."""

from __future__ import annotations

import socket
from pathlib import Path

from kiosk.core.view import InvoiceView, PaidView
from kiosk.inputs.payment_reader import OfferedInvoice, PaymentReader
from kiosk.mion.simulator import MionSimulator
from kiosk.shell.app import KioskApp
from kiosk.shell.messages import PrinterState, ReaderState
from tests.helpers import API_KEY, charge, drive, settings_for


class RecordingReader(PaymentReader):
    name = "recording"

    def __init__(self) -> None:
        super().__init__(post=lambda message: None)
        self.offers: list[OfferedInvoice | None] = []
        self.started = self.stopped = False

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.stopped = True

    def offer(self, invoice: OfferedInvoice | None) -> None:
        self.offers.append(invoice)


def test_a_reader_is_offered_the_invoice_on_screen_and_nothing_once_it_is_paid(
        simulator: MionSimulator, tmp_path: Path) -> None:
    reader = RecordingReader()
    with KioskApp(settings_for(simulator, tmp_path), api_key=API_KEY, state_dir=tmp_path, readers=[reader]) as app:
        assert reader.started
        charge(app, "42")
        drive(app, lambda a: isinstance(a.register.view(a.now()), InvoiceView))
        sale = app.register.sale
        assert sale is not None and sale.attempt is not None and sale.session_id is not None
        offered = reader.offers[-1]
        assert offered is not None
        assert (offered.reference, offered.session_id, offered.invoice, offered.amount_msat) == (
            sale.reference, sale.session_id, sale.attempt.invoice, sale.attempt.amount_msat)
        assert offered.shown_until < sale.attempt.expires_at  # the refresh margin comes off
        simulator.mark_paid(sale.session_id)
        drive(app, lambda a: isinstance(a.register.view(a.now()), PaidView))
    assert reader.offers[-1] is None and reader.stopped
    assert [o for o in reader.offers if o is not None] == [offered]  # told once per change, not per frame


def test_reader_state_messages_are_kept_for_the_indicator(simulator: MionSimulator, tmp_path: Path) -> None:
    with KioskApp(settings_for(simulator, tmp_path), api_key=API_KEY, state_dir=tmp_path) as app:
        app.post(ReaderState(name="nfc", problem="no reader"))
        drive(app, lambda a: a.loop.reader_problems == {"nfc": "no reader"})
        app.post(ReaderState(name="nfc", problem=None))
        drive(app, lambda a: a.loop.reader_problems == {})


def test_the_printer_state_reaches_the_indicator_through_the_queue(
        simulator: MionSimulator, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on: the printer is offline
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = settings_for(simulator, tmp_path, printer={"kind": "network", "host": "127.0.0.1", "port": port})
    seen: list[PrinterState] = []
    with KioskApp(settings, api_key=API_KEY, state_dir=tmp_path) as app:
        original = app.loop.dispatch

        def recording(message):  # type: ignore[no-untyped-def]
            if isinstance(message, PrinterState):
                seen.append(message)
            original(message)

        app.loop.dispatch = recording  # type: ignore[method-assign]
        charge(app, "5")
        drive(app, lambda a: isinstance(a.register.view(a.now()), InvoiceView))
        sale = app.register.sale
        assert sale is not None and sale.session_id is not None
        simulator.mark_paid(sale.session_id)
        drive(app, lambda a: a.frame(a.now()).status.printer_problem == "offline", timeout_s=15)
    assert seen and seen[0] == PrinterState("offline")
