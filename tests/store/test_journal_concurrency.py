"""The journal shared by threads (main loop, print worker) and by another process (the CLI)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from store_helpers import T0, at

from kiosk.core.model import Phase, SaleSource
from kiosk.store.journal import Journal

_SRC = str(Path(__file__).resolve().parents[2])


def _run_python(code: str, *args: str, timeout_s: float = 30) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": _SRC}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], capture_output=True, text=True,
                          env=env, timeout=timeout_s, check=False)


def test_two_threads_share_one_journal(journal: Journal) -> None:
    """The main thread records sales while the print worker drains the outbox."""
    sales = 60
    stop = threading.Event()
    printed: list[int] = []
    errors: list[BaseException] = []

    def print_worker() -> None:
        try:
            while not stop.is_set() or journal.pending_prints():
                for job in journal.pending_prints():
                    journal.mark_printed(job.job_id, at(1000))
                    printed.append(job.job_id)
        except Exception as exc:  # noqa: BLE001  (surfaced by the assertion below)
            errors.append(exc)

    worker = threading.Thread(target=print_worker, name="print-worker")
    worker.start()
    try:
        for n in range(sales):
            ref = f"R-{n}"
            journal.create_sale(reference=ref, amount_cents=100 + n, source=SaleSource.KEYPAD, at=at(n))
            journal.set_session(ref, f"ps_{n}", at(n))
            journal.mark_paid(ref, paid_at=at(n), amount_msat=None, late=False, at=at(n),
                              print_copies=("customer",), till_line=None)
    finally:
        stop.set()
        worker.join(timeout=10)
    assert not worker.is_alive()
    assert errors == []
    assert len(printed) == len(set(printed)) == sales
    assert all(s.receipt_printed_at is not None for s in journal.sales_between(at(-1), at(sales)))


def test_two_connections_in_threads_wait_for_each_other(journal_path: Path) -> None:
    """Separate connections (as separate processes have) serialise through busy_timeout, not errors."""
    with Journal(journal_path) as setup:
        setup.next_reference("K1", T0.date())
    drawn: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def draw(count: int) -> None:
        try:
            with Journal(journal_path) as j:
                for _ in range(count):
                    ref = j.next_reference("K1", T0.date())
                    with lock:
                        drawn.append(ref)
        except Exception as exc:  # noqa: BLE001  (surfaced by the assertion below)
            errors.append(exc)

    threads = [threading.Thread(target=draw, args=(40,)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert errors == []
    assert len(drawn) == len(set(drawn)) == 120  # no reference handed out twice
    assert max(drawn)[:16] == "K1-20261128-0121"


def test_the_cli_process_reads_while_the_kiosk_writes(journal_path: Path) -> None:
    """Another process writes sales one by one; this one reads throughout and sees whole sales only."""
    with Journal(journal_path):
        pass  # create and migrate first, as the kiosk does at start-up
    writer = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent("""
            import sys
            from datetime import UTC, datetime, timedelta
            from kiosk.core.model import SaleSource
            from kiosk.store.journal import Journal
            t0 = datetime(2026, 11, 28, 12, tzinfo=UTC)
            with Journal(sys.argv[1]) as j:
                for n in range(150):
                    ref = f"R-{n:03d}"
                    j.create_sale(reference=ref, amount_cents=100, source=SaleSource.POS, at=t0 + timedelta(seconds=n))
                    j.set_session(ref, f"ps_{n}", t0)
                    j.mark_paid(ref, paid_at=t0, amount_msat=1000, late=False, at=t0, print_copies=("customer",),
                                till_line=f"PAID {ref}")
        """), str(journal_path)],
        env={**os.environ, "PYTHONPATH": _SRC}, stderr=subprocess.PIPE, text=True)
    seen: list[int] = []
    try:
        with Journal(journal_path) as reader:
            while True:
                finished = writer.poll() is not None  # looked at before the read: the last read sees all
                sales = reader.sales_between(at(-86400), at(86400))
                seen.append(len(sales))
                # mark_paid is one transaction: every sale seen paid already has its receipt queued
                # (the outbox is read later, so it may hold more, never less)
                paid = {s.reference for s in sales if s.phase is Phase.PAID}
                assert paid <= {p.reference for p in reader.pending_prints()}
                assert all(s.session_id is not None for s in sales if s.reference in paid)
                if finished:
                    break
    finally:
        _, stderr = writer.communicate(timeout=30)
    assert writer.returncode == 0, stderr
    assert seen == sorted(seen) and seen[-1] == 150
    assert len(seen) > 2  # the reader really ran alongside


def test_a_committed_sale_survives_the_process_dying(journal_path: Path) -> None:
    """The process is killed right after mark_paid returns, without closing: the payment is there."""
    result = _run_python("""
        import os, sys
        from datetime import UTC, datetime
        from kiosk.core.model import SaleSource
        from kiosk.store.journal import Journal
        t0 = datetime(2026, 11, 28, 12, tzinfo=UTC)
        j = Journal(sys.argv[1])
        j.open()
        j.create_sale(reference="R-1", amount_cents=100, source=SaleSource.POS, at=t0)
        j.mark_paid("R-1", paid_at=t0, amount_msat=1000, late=False, at=t0, print_copies=("customer",),
                    till_line="PAID R-1")
        os._exit(0)  # no close, no flush, no atexit
    """, str(journal_path))
    assert result.returncode == 0, result.stderr
    with Journal(journal_path) as j:
        sale = j.get("R-1")
        assert sale is not None and sale.phase is Phase.PAID
        assert [p.reference for p in j.pending_prints()] == ["R-1"]
        assert [m.line for m in j.pending_till_messages()] == ["PAID R-1"]
