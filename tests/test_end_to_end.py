"""A whole sale through every real part: keypad -> Mion simulator over HTTP -> QR on screen -> paid.

Given the kiosk wired to the simulator on loopback, the dummy video driver, mock GPIO pins and a file
printer; when the cashier types an amount and the simulator marks the session paid; then the paid
screen is drawn, the journal holds the sale as paid, the receipt is printed once, the LED is lit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from kiosk.core.model import Phase
from kiosk.core.view import Frame, InvoiceView, PaidView
from kiosk.mion.simulator import MionSimulator
from kiosk.shell.app import Hooks
from kiosk.shell.messages import TillBytes
from tests.helpers import charge, drive, running_kiosk, settings_for


def test_a_keypad_sale_is_paid_printed_and_lit(simulator: MionSimulator, tmp_path: Path) -> None:
    frames: list[Frame] = []
    shots: dict[str, Path] = {}

    def on_frame(frame: Frame, window) -> None:  # type: ignore[no-untyped-def]
        frames.append(frame)
        if isinstance(frame.view, InvoiceView) and "invoice" not in shots:
            shots["invoice"] = tmp_path / "invoice.png"
            window.save_png(shots["invoice"])

    settings = settings_for(simulator, tmp_path)
    with running_kiosk(settings, tmp_path, Hooks(on_frame=on_frame)) as app:
        charge(app, "12.5")
        drive(app, lambda a: isinstance(a.register.view(a.now()), InvoiceView))
        sale = app.register.sale
        assert sale is not None and sale.session_id is not None
        simulator.mark_paid(sale.session_id)
        drive(app, lambda a: a.register.phase is Phase.PAID)
        drive(app, lambda a: isinstance(frames[-1].view, PaidView), timeout_s=5)
        record = app.journal.get(sale.reference)
        drive(app, lambda a: (tmp_path / "receipts.bin").exists()
              and (tmp_path / "receipts.bin").stat().st_size > 0, timeout_s=5)

    assert record is not None and record.phase is Phase.PAID and record.amount_cents == 1250
    assert record.paid_at is not None
    assert simulator.session_count_for(sale.reference) == 1
    decoded = zxingcpp.read_barcodes(Image.open(shots["invoice"]))
    assert [d.text for d in decoded] == ["LIGHTNING:" + sale.attempt.invoice.upper()]  # type: ignore[union-attr]
    receipt = (tmp_path / "receipts.bin").read_bytes()
    assert sale.reference.encode() in receipt and b"Lightning" in receipt


def test_a_fault_in_handling_till_input_is_logged_and_the_kiosk_goes_on(
        simulator: MionSimulator, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    class BrokenTill:
        connected = True
        notice = None

        def tick(self) -> None:
            pass

        def on_bytes(self, data: bytes) -> None:
            raise RuntimeError("a bug in a till handler")

    with running_kiosk(settings_for(simulator, tmp_path), tmp_path) as app:
        assert app.loop.parts is not None
        app.loop.parts.till = BrokenTill()  # type: ignore[assignment]
        app.post(TillBytes(b"SALE 100\r\n"))
        charge(app, "7")
        drive(app, lambda a: isinstance(a.register.view(a.now()), InvoiceView))
    assert "handling input from the till failed" in caplog.text
