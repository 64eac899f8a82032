"""The print worker against the real SQLite journal: a paid sale prints once, even across a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from clocks import wait_until

from kiosk.config import PrinterSettings, ShopSettings
from kiosk.core.model import Attempt, Phase, SaleSource
from kiosk.outputs.print_worker import PrintWorker
from kiosk.outputs.printer import ReceiptPrinter
from kiosk.store.journal import Journal

T0 = datetime(2026, 11, 28, 13, 5, tzinfo=UTC)
SHOP = ShopSettings(name="Kiosk", language="en")


def paid_in(journal: Journal, reference: str) -> None:
    """A sale taken all the way to paid, with its receipt queued in the same step."""
    journal.create_sale(reference=reference, amount_cents=1200, source=SaleSource.KEYPAD, at=T0)
    journal.set_session(reference, "ps_1", T0 + timedelta(seconds=1))
    journal.add_attempt(reference, Attempt(session_id="ps_1", invoice="lnbc1" + "q" * 60, amount_msat=25_000_123,
                                           expires_at=T0 + timedelta(minutes=2)), T0 + timedelta(seconds=2))
    journal.set_phase(reference, Phase.AWAITING_PAYMENT, T0 + timedelta(seconds=2))
    journal.mark_paid(reference, paid_at=T0 + timedelta(seconds=30), amount_msat=25_000_123, late=False,
                      at=T0 + timedelta(seconds=31), print_copies=("customer",), till_line=None)


def run_worker_until_idle(journal: Journal, settings: PrinterSettings) -> None:
    worker = PrintWorker(journal, lambda: ReceiptPrinter(settings), SHOP, settings, on_status=lambda _: None,
                         tz=ZoneInfo("Europe/Helsinki"), backoff_s=(0.01,))
    worker.start()
    try:
        wait_until(lambda: not journal.pending_prints(), 3)
    finally:
        worker.stop()


def test_receipt_queued_before_a_crash_prints_once_after_the_restart(tmp_path: Path) -> None:
    receipts = tmp_path / "receipts.bin"
    settings = PrinterSettings(kind="file", device=str(receipts))
    # Given a payment recorded, and the kiosk dying before the receipt printed
    journal = Journal(tmp_path / "journal.db")
    journal.open()
    paid_in(journal, "K1-0001")
    journal.close()
    assert not receipts.exists()
    # When the kiosk starts again, twice
    for _ in range(2):
        journal = Journal(tmp_path / "journal.db")
        journal.open()
        run_worker_until_idle(journal, settings)
        record = journal.get("K1-0001")
        journal.close()
        # Then the receipt is out and noted, exactly once
        assert record is not None and record.receipt_printed_at is not None
    assert receipts.read_bytes().count(b"K1-0001") == 1
    assert b"\xd512.00" in receipts.read_bytes()  # "€12.00" in CP858
