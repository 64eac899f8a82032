"""The print worker: prints queued receipts in the background, so printing never blocks or fails a sale.

Theory of operation. The journal queues a print job in the same transaction that records a payment.
This worker owns one thread that, whenever woken (``wake()`` after a new job, a retry timer, or a slow
safety-net poll), reads *all* pending jobs from the journal and prints them oldest first. A job is
marked printed only after the printer accepted every byte; until then it stays pending, so a crash
or power cut between "paid" and "printed" simply prints it after the restart (the worker reads the
pending jobs when it starts). A failure is recorded on the job, reported once through ``on_status``
and in the log, and retried after a growing pause (``backoff_s``); the connection is reopened
for each retry.

Stopping. ``stop()`` sets a stop flag and joins the thread for at most ``join_timeout_s``. A printer
that hangs inside a write cannot be interrupted from outside, so the thread is a daemon: if it is
still stuck when the timeout ends, ``stop()`` logs it and returns anyway, and the process may exit
with it. That job was not marked printed, so it prints again next time: at worst one duplicate
slip, never a lost one.

``on_status`` receives a short word for the shop's indicator ("offline", "paper out", "paper low",
"error") when a problem appears and ``None`` when it clears. It is called from the worker thread;
the app should hand it to the main thread (queue + wake), like every other edge event.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Protocol

from kiosk.config import PrinterSettings, ShopSettings
from kiosk.errors import KioskError, PaperOut, PrinterError, PrinterOffline, StoreError
from kiosk.outputs.printer import PaperStatus
from kiosk.outputs.receipt import Receipt, build_receipt
from kiosk.store.records import PrintJob, SaleRecord

log = logging.getLogger(__name__)

IDLE_POLL_S = 60.0
"""Safety net: look for pending jobs this often even if nobody calls ``wake()``."""


class PrintQueue(Protocol):
    """The part of the journal the worker uses."""

    def pending_prints(self) -> list[PrintJob]: ...

    def mark_printed(self, job_id: int, at: datetime) -> None: ...

    def record_print_failure(self, job_id: int, error: str, at: datetime) -> None: ...

    def start_print(self, job_id: int, at: datetime) -> None: ...

    def get(self, reference: str) -> SaleRecord | None: ...


class PrinterLike(Protocol):
    """What the worker needs of a printer; :class:`~kiosk.outputs.printer.ReceiptPrinter` is one."""

    def open(self) -> None: ...

    def close(self) -> None: ...

    def print_receipt(self, receipt: Receipt) -> None: ...

    def paper_status(self) -> PaperStatus: ...


class PrintWorker:
    """Prints pending receipts from the journal on its own thread, with retries.

    Args:
        queue: the journal (or anything with the :class:`PrintQueue` methods).
        printer_factory: makes a new, unopened printer; called again after each failure.
        shop: name, address and language for the slip.
        printer_settings: paper width, QR, footer.
        on_status: told "offline" / "paper out" / "paper low" / "error" and None when fine again.
        tz: zone for printed times; None uses the system's.
        backoff_s: pauses between retries; the last one repeats.
        clock: returns the current aware UTC time (tests pass their own).
        join_timeout_s: how long ``stop()`` waits for a busy thread.
    """

    def __init__(self, queue: PrintQueue, printer_factory: Callable[[], PrinterLike], shop: ShopSettings,
                 printer_settings: PrinterSettings, *, on_status: Callable[[str | None], None],
                 tz: tzinfo | None = None, backoff_s: Sequence[float] = (1, 2, 5, 10, 30),
                 clock: Callable[[], datetime] | None = None, join_timeout_s: float = 2.0) -> None:
        if not backoff_s or any(b < 0 for b in backoff_s):
            raise ValueError("backoff_s must be a non-empty sequence of non-negative seconds")
        self._queue = queue
        self._printer_factory = printer_factory
        self._shop = shop
        self._printer_settings = printer_settings
        self._on_status = on_status
        self._tz = tz
        self._backoff_s = tuple(float(b) for b in backoff_s)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._join_timeout_s = join_timeout_s
        self._printer: PrinterLike | None = None
        self._failures = 0
        self._status: str | None = None
        self._missing_reported: set[int] = set()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread; it prints whatever is already pending at once."""
        if self._thread is not None:
            raise RuntimeError("print worker already started")
        self._stop.clear()
        self._wake.set()
        # Daemon: a printer hanging in a write must not keep the process alive (see module docs).
        self._thread = threading.Thread(target=self._run, name="print-worker", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """A job was queued: look at the queue now. Never blocks."""
        self._wake.set()

    def stop(self) -> None:
        """Stop the thread and close the printer; returns within about ``join_timeout_s``."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        self._wake.set()
        thread.join(self._join_timeout_s)
        if thread.is_alive():
            log.warning("print worker still busy with the printer after %.1f s; leaving it behind "
                        "(the job stays queued and prints on the next start)", self._join_timeout_s)

    @property
    def running(self) -> bool:
        """True while the thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    # --- the thread -------------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self._wake.wait(self._next_wait_s())
                self._wake.clear()
                if self._stop.is_set():
                    break
                try:
                    self._print_pending()
                except Exception:  # the worker must outlive any one bad job
                    log.exception("print worker: unexpected failure; retrying later")
                    self._failed("error")
        finally:
            self._close_printer()

    def _next_wait_s(self) -> float:
        if self._failures == 0:
            return IDLE_POLL_S
        return self._backoff_s[min(self._failures, len(self._backoff_s)) - 1]

    def _print_pending(self) -> None:
        try:
            jobs = self._queue.pending_prints()
        except StoreError as exc:
            log.error("print worker cannot read the print queue: %s", exc)
            self._failures += 1
            return
        for job in jobs:
            if self._stop.is_set():
                return
            if not self._print_one(job):
                return  # keep the order: nothing after a failed job is tried before it
        self._failures = 0

    def _print_one(self, job: PrintJob) -> bool:
        """Print ``job``; True when printed (or skipped for good), False to retry later."""
        sale = self._queue.get(job.reference)
        if sale is None:
            if job.job_id not in self._missing_reported:
                log.error("print job %d: sale %s is not in the journal; skipping it", job.job_id, job.reference)
                self._missing_reported.add(job.job_id)
                self._record_failure(job, "sale not found in the journal")
            return True
        try:
            # A send cut short before (power cut, kill) may have put the slip out: say so on this one.
            receipt = build_receipt(sale, self._shop, self._printer_settings, copy=job.copy, tz=self._tz,
                                    duplicate=job.may_have_printed)
        except ValueError as exc:
            if job.job_id not in self._missing_reported:
                log.error("print job %d for %s cannot be laid out: %s", job.job_id, job.reference, exc)
                self._missing_reported.add(job.job_id)
                self._record_failure(job, f"cannot lay out the receipt: {exc}")
            return True
        try:
            self._queue.start_print(job.job_id, self._clock())
        except KioskError as exc:
            # Without this note a cut-short send could not be told apart later: do not send yet.
            log.error("receipt for %s not sent: the journal cannot note the send: %s", job.reference, exc)
            return False
        try:
            printer = self._open_printer()
            printer.print_receipt(receipt)
        except PrinterError as exc:
            self._close_printer()
            log.warning("receipt for %s not printed (try %d): %s", job.reference, job.tries + 1, exc)
            self._record_failure(job, str(exc))
            self._failed(_problem_word(exc))
            return False
        self._mark_printed(job)
        self._failures = 0
        self._report(self._paper_word(printer))
        return True

    def _mark_printed(self, job: PrintJob) -> None:
        try:
            self._queue.mark_printed(job.job_id, self._clock())
        except KioskError as exc:
            # The slip is out but the journal could not note it: it will print once more later.
            log.error("receipt for %s printed but not marked: %s", job.reference, exc)
        else:
            log.info("receipt printed for %s (%s copy)", job.reference, job.copy)

    def _record_failure(self, job: PrintJob, error: str) -> None:
        try:
            self._queue.record_print_failure(job.job_id, error, self._clock())
        except KioskError as exc:
            log.error("cannot record the print failure of job %d: %s", job.job_id, exc)

    def _failed(self, word: str) -> None:
        self._failures += 1
        self._report(word)

    def _report(self, word: str | None) -> None:
        if word == self._status:
            return
        self._status = word
        if word is None:
            log.info("receipt printer is fine again")
        try:
            self._on_status(word)
        except Exception:  # a broken callback must not stop printing
            log.exception("print worker: status callback failed")

    def _paper_word(self, printer: PrinterLike) -> str | None:
        try:
            status = printer.paper_status()
        except PrinterError:
            return None  # the slip printed; the next job will find out about the printer
        return "paper low" if status is PaperStatus.LOW else None

    def _open_printer(self) -> PrinterLike:
        if self._printer is None:
            printer = self._printer_factory()
            printer.open()
            self._printer = printer
        return self._printer

    def _close_printer(self) -> None:
        printer, self._printer = self._printer, None
        if printer is not None:
            try:
                printer.close()
            except Exception:  # closing a broken printer may fail too
                log.debug("closing the printer failed", exc_info=True)


def _problem_word(exc: PrinterError) -> str:
    if isinstance(exc, PaperOut):
        return "paper out"
    if isinstance(exc, PrinterOffline):
        return "offline"
    return "error"
