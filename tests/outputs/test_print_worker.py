"""The print worker: prints in the background, retries, prints each receipt exactly once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from clocks import wait_until

from kiosk.config import PrinterSettings, ShopSettings
from kiosk.outputs.print_worker import PrintWorker
from kiosk.outputs.printer import PaperStatus, ReceiptPrinter, render_receipt
from kiosk.outputs.receipt import build_receipt

from .fakes import FakeJournal, ScriptedPrinter, no_paper, offline, paid_sale

SHOP = ShopSettings(name="Kiosk", language="en")
SETTINGS = PrinterSettings(kind="dummy", paper_mm=58)
FAST = (0.01, 0.02, 0.05)


class StatusLog:
    """Collects on_status calls, thread-safely."""

    def __init__(self) -> None:
        self.calls: list[str | None] = []
        self._lock = threading.Lock()

    def __call__(self, word: str | None) -> None:
        with self._lock:
            self.calls.append(word)


def eventually(predicate: Callable[[], bool], timeout_s: float = 3.0) -> None:
    assert wait_until(predicate, timeout_s), "condition not reached in time"


@pytest.fixture
def journal() -> FakeJournal:
    return FakeJournal()


@pytest.fixture
def printer() -> Iterator[ScriptedPrinter]:
    device = ScriptedPrinter()
    yield device
    device.release.set()  # never leave a worker thread hanging after a test


@pytest.fixture
def status() -> StatusLog:
    return StatusLog()


@pytest.fixture
def make_worker(journal: FakeJournal, printer: ScriptedPrinter,
                status: StatusLog) -> Iterator[Callable[..., PrintWorker]]:
    workers: list[PrintWorker] = []

    def make(**kwargs: object) -> PrintWorker:
        options: dict[str, object] = {"backoff_s": FAST, "join_timeout_s": 0.5}
        options.update(kwargs)
        worker = PrintWorker(journal, printer.factory, SHOP, SETTINGS, on_status=status,
                             tz=ZoneInfo("Europe/Helsinki"), **options)  # type: ignore[arg-type]
        workers.append(worker)
        return worker

    yield make
    for worker in workers:
        worker.stop()


def test_jobs_pending_at_start_print_once(journal: FakeJournal, printer: ScriptedPrinter,
                                          make_worker: Callable[..., PrintWorker]) -> None:
    # Given a crash between "paid" and "printed": the job is still queued
    journal.add_paid(paid_sale("K1-0001"), copies=("customer", "merchant"))
    # When the worker starts
    worker = make_worker()
    worker.start()
    # Then both copies print, in order, and are marked
    eventually(lambda: not journal.jobs)
    assert [r.text_lines[-1].strip() for r in printer.receipts] == ["Payment slip - not a tax receipt",
                                                                    "MERCHANT COPY"]
    assert [job_id for job_id, _ in journal.printed] == [1, 2]
    worker.stop()
    assert len(printer.receipts) == 2
    assert printer.closes >= 1  # the printer is closed when the worker stops


def test_wake_prints_a_new_job_promptly(journal: FakeJournal, printer: ScriptedPrinter,
                                        make_worker: Callable[..., PrintWorker]) -> None:
    worker = make_worker()
    worker.start()
    time.sleep(0.05)
    journal.add_paid(paid_sale("K1-0002"))
    started = time.monotonic()
    worker.wake()
    eventually(lambda: len(journal.printed) == 1, timeout_s=1)
    assert time.monotonic() - started < 0.5
    assert printer.receipts[0] == build_receipt(paid_sale("K1-0002"), SHOP, SETTINGS, copy="customer",
                                                tz=ZoneInfo("Europe/Helsinki"))


def test_offline_printer_is_retried_and_prints_exactly_once_when_back(
        journal: FakeJournal, printer: ScriptedPrinter, status: StatusLog,
        make_worker: Callable[..., PrintWorker]) -> None:
    printer.open_errors = [offline(), offline()]
    printer.print_errors = [offline()]
    journal.add_paid(paid_sale())
    make_worker().start()
    eventually(lambda: len(journal.printed) == 1)
    assert len(printer.receipts) == 1
    assert [error for _, error in journal.failures] == ["receipt printer is not reachable"] * 3
    assert status.calls == ["offline", None]
    assert printer.opens == 4  # reopened for every retry


def test_not_marked_printed_while_the_printer_keeps_failing(
        journal: FakeJournal, printer: ScriptedPrinter, make_worker: Callable[..., PrintWorker]) -> None:
    printer.print_errors = [offline() for _ in range(1000)]
    journal.add_paid(paid_sale())
    make_worker().start()
    eventually(lambda: len(journal.failures) >= 5)
    assert journal.printed == []
    assert journal.jobs[1].tries >= 5
    assert printer.receipts == []


def test_backoff_grows_between_retries(journal: FakeJournal, printer: ScriptedPrinter,
                                       make_worker: Callable[..., PrintWorker]) -> None:
    printer.open_errors = [offline() for _ in range(4)]
    journal.add_paid(paid_sale())
    make_worker(backoff_s=(0.05, 0.15)).start()
    started = time.monotonic()
    eventually(lambda: len(journal.printed) == 1)
    # 4 failures -> waits of 0.05 + 0.15 + 0.15 + 0.15 before the fifth, good try
    assert time.monotonic() - started >= 0.45


def test_paper_out_is_reported_and_cleared(journal: FakeJournal, printer: ScriptedPrinter, status: StatusLog,
                                           make_worker: Callable[..., PrintWorker]) -> None:
    printer.print_errors = [no_paper()]
    journal.add_paid(paid_sale())
    make_worker().start()
    eventually(lambda: len(journal.printed) == 1)
    assert status.calls == ["paper out", None]


def test_low_paper_after_a_good_print_is_reported(journal: FakeJournal, printer: ScriptedPrinter,
                                                  status: StatusLog,
                                                  make_worker: Callable[..., PrintWorker]) -> None:
    printer.paper = PaperStatus.LOW
    journal.add_paid(paid_sale())
    make_worker().start()
    eventually(lambda: status.calls == ["paper low"])
    assert len(journal.printed) == 1


def test_hanging_printer_blocks_neither_caller_nor_stop(journal: FakeJournal, printer: ScriptedPrinter,
                                                       make_worker: Callable[..., PrintWorker]) -> None:
    # Given a printer that hangs inside a write
    printer.release.clear()
    journal.add_paid(paid_sale())
    worker = make_worker(join_timeout_s=0.2)
    worker.start()
    assert printer.entered.wait(2)
    # When the app queues more and then shuts down
    started = time.monotonic()
    worker.wake()
    worker.wake()
    assert time.monotonic() - started < 0.05
    worker.stop()
    # Then stop() returned within its timeout and nothing was marked printed
    assert time.monotonic() - started < 0.6
    assert journal.printed == [] and 1 in journal.jobs


def test_store_trouble_is_retried(journal: FakeJournal, make_worker: Callable[..., PrintWorker]) -> None:
    journal.fail_reads = 2
    journal.add_paid(paid_sale())
    make_worker().start()
    eventually(lambda: len(journal.printed) == 1)


def test_a_job_whose_sale_is_missing_does_not_block_the_others(
        journal: FakeJournal, printer: ScriptedPrinter, make_worker: Callable[..., PrintWorker]) -> None:
    journal.add_paid(paid_sale("K1-0001"))
    journal.add_paid(paid_sale("K1-0002"))
    del journal.sales["K1-0001"]
    worker = make_worker()
    worker.start()
    eventually(lambda: len(journal.printed) == 1)
    worker.wake()
    time.sleep(0.05)
    assert [job_id for job_id, _ in journal.printed] == [2]
    assert journal.failures == [(1, "sale not found in the journal")]  # recorded once, not on every pass


def test_stop_is_idempotent_and_start_twice_is_refused(make_worker: Callable[..., PrintWorker]) -> None:
    worker = make_worker()
    worker.start()
    with pytest.raises(RuntimeError):
        worker.start()
    worker.stop()
    worker.stop()
    assert not worker.running


def test_real_file_printer_gets_the_receipt_bytes(tmp_path: Path, journal: FakeJournal, status: StatusLog) -> None:
    path = tmp_path / "receipts.bin"
    settings = PrinterSettings(kind="file", device=str(path), paper_mm=80)
    journal.add_paid(paid_sale())
    worker = PrintWorker(journal, lambda: ReceiptPrinter(settings), SHOP, settings, on_status=status,
                         tz=ZoneInfo("Europe/Helsinki"), backoff_s=FAST)
    worker.start()
    try:
        eventually(lambda: len(journal.printed) == 1)
    finally:
        worker.stop()
    expected = render_receipt(build_receipt(paid_sale(), SHOP, settings, copy="customer",
                                            tz=ZoneInfo("Europe/Helsinki")))
    assert path.read_bytes() == expected
    assert status.calls == []


def test_a_send_cut_short_before_prints_again_marked_duplicate(
        journal: FakeJournal, printer: ScriptedPrinter, make_worker: Callable[..., PrintWorker]) -> None:
    """Given a job whose earlier send began but never finished (the power went mid-slip) and one whose
    send failed cleanly, when the worker prints them, then only the first says DUPLICATE."""
    from dataclasses import replace

    journal.add_paid(paid_sale("K1-0001"))
    journal.add_paid(paid_sale("K1-0002"))
    first, second = sorted(journal.jobs)
    journal.jobs[first] = replace(journal.jobs[first], started=1, tries=0)
    journal.jobs[second] = replace(journal.jobs[second], started=1, tries=1)
    worker = make_worker()
    worker.start()
    eventually(lambda: not journal.jobs)
    texts = ["\n".join(r.text_lines) for r in printer.receipts]
    assert "DUPLICATE" in texts[0] and "K1-0001" in texts[0]
    assert "DUPLICATE" not in texts[1] and "K1-0002" in texts[1]
