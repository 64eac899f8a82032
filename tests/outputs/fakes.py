"""Real fakes for the output tests: an in-memory journal and a printer that can fail or hang on cue."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Self

from kiosk.core.model import Phase, SaleSource
from kiosk.errors import PaperOut, PrinterError, PrinterOffline, StoreError
from kiosk.outputs.printer import PaperStatus
from kiosk.outputs.receipt import Receipt
from kiosk.store.records import PrintJob, SaleRecord

T0 = datetime(2026, 11, 28, 15, 30, tzinfo=UTC)


def paid_sale(reference: str = "K1-0001", *, amount_cents: int = 1200, amount_msat: int = 14_285_714_000,
              created_at: datetime = T0, paid_after: timedelta = timedelta(seconds=20),
              session_id: str | None = "ps_7f3c2a9e-0b1d-4c5e-9a8f-6e2d1c0b9a87", phase: Phase = Phase.PAID,
              late: bool = False) -> SaleRecord:
    """A sale as the journal would hand it out; ``phase`` other than PAID gives an unpaid one."""
    paid = phase is Phase.PAID
    return SaleRecord(reference=reference, amount_cents=amount_cents, source=SaleSource.KEYPAD, phase=phase,
                      created_at=created_at, updated_at=created_at + paid_after, session_id=session_id,
                      paid_at=created_at + paid_after if paid else None,
                      amount_msat=amount_msat, late=late)


@dataclass
class FakeJournal:
    """The journal's print outbox and sale lookups, in memory, with the same contract."""

    sales: dict[str, SaleRecord] = field(default_factory=dict)
    jobs: dict[int, PrintJob] = field(default_factory=dict)
    printed: list[tuple[int, datetime]] = field(default_factory=list)
    failures: list[tuple[int, str]] = field(default_factory=list)
    fail_reads: int = 0
    """How many of the next pending_prints() calls raise StoreError."""
    _next_id: int = 1
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_paid(self, sale: SaleRecord, *, copies: tuple[str, ...] = ("customer",)) -> list[int]:
        """Record a paid sale and queue its receipts, as the journal does in one transaction."""
        with self._lock:
            self.sales[sale.reference] = sale
            ids = []
            for copy in copies:
                job_id, self._next_id = self._next_id, self._next_id + 1
                self.jobs[job_id] = PrintJob(job_id=job_id, reference=sale.reference, copy=copy,
                                             created_at=sale.paid_at or sale.updated_at)
                ids.append(job_id)
            return ids

    def pending_prints(self) -> list[PrintJob]:
        with self._lock:
            if self.fail_reads:
                self.fail_reads -= 1
                raise StoreError("the journal is locked")
            return [self.jobs[k] for k in sorted(self.jobs)]

    def mark_printed(self, job_id: int, at: datetime) -> None:
        with self._lock:
            self.jobs.pop(job_id)
            self.printed.append((job_id, at))

    def start_print(self, job_id: int, at: datetime) -> None:
        with self._lock:
            job = self.jobs[job_id]
            self.jobs[job_id] = replace(job, started=job.started + 1)

    def record_print_failure(self, job_id: int, error: str, at: datetime) -> None:
        with self._lock:
            job = self.jobs[job_id]
            self.jobs[job_id] = replace(job, tries=job.tries + 1, last_error=error)
            self.failures.append((job_id, error))

    def get(self, reference: str) -> SaleRecord | None:
        with self._lock:
            return self.sales.get(reference)

    def sales_on(self, day: date, tz: tzinfo) -> list[SaleRecord]:
        with self._lock:
            return sorted((s for s in self.sales.values() if s.created_at.astimezone(tz).date() == day),
                          key=lambda s: s.created_at)


class ScriptedPrinter:
    """A printer whose next calls fail as scripted; shared state survives the worker's reopen.

    ``open_errors`` / ``print_errors``: exceptions raised by the next open() / print_receipt() calls,
    in order. While ``release`` is cleared, print_receipt blocks (a hanging printer).
    """

    def __init__(self) -> None:
        self.open_errors: list[PrinterError] = []
        self.print_errors: list[PrinterError] = []
        self.paper = PaperStatus.UNKNOWN
        self.receipts: list[Receipt] = []
        self.opens = 0
        self.closes = 0
        self.release = threading.Event()
        self.release.set()
        self.entered = threading.Event()
        self._lock = threading.Lock()

    def factory(self) -> ScriptedPrinter:
        """The worker's printer_factory: the same device every time, like a real reconnect."""
        return self

    def open(self) -> None:
        with self._lock:
            self.opens += 1
            if self.open_errors:
                raise self.open_errors.pop(0)

    def close(self) -> None:
        with self._lock:
            self.closes += 1

    def print_receipt(self, receipt: Receipt) -> None:
        self.entered.set()
        self.release.wait()  # a hanging printer: blocks until the test releases it
        with self._lock:
            if self.print_errors:
                raise self.print_errors.pop(0)
            self.receipts.append(receipt)

    def paper_status(self) -> PaperStatus:
        return self.paper


def offline() -> PrinterOffline:
    return PrinterOffline("receipt printer is not reachable")


def no_paper() -> PaperOut:
    return PaperOut("receipt printer is out of paper")


class FakeNetworkPrinter:
    """An ESC/POS printer on 127.0.0.1: records every byte, answers ``DLE EOT 4`` with ``paper_byte``.

    ``paper_byte=None`` keeps silent on status queries, like printers that do not answer them.
    Use as a context manager; ``port`` is the listening port.
    """

    PAPER_QUERY = b"\x10\x04\x04"

    def __init__(self, paper_byte: int | None = 0x12) -> None:
        self.paper_byte = paper_byte
        self.received = bytearray()
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.1)
        self.port: int = self._server.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="fake-printer", daemon=True)
        self._lock = threading.Lock()

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2)
        self._server.close()

    def data(self) -> bytes:
        with self._lock:
            return bytes(self.received)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(0.1)
                self._talk(conn)

    def _talk(self, conn: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                return
            with self._lock:
                self.received += chunk
            if chunk.endswith(self.PAPER_QUERY) and self.paper_byte is not None:
                conn.sendall(bytes([self.paper_byte]))
