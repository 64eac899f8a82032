"""How much one typical sale writes to the SD card through the journal.

Runs a sale exactly as the kiosk journals it (reference, sale, session, attempt, phase, a run of status
polls of which only the changes are kept, payment with one receipt and one till line, receipt printed,
till told) against a journal that already holds some days of sales, and reports what SQLite appended to
the write-ahead log: commits (each one an fsync with ``synchronous=FULL``), WAL frames (one database
page each, plus a 24-byte header), bytes, and the distinct pages a later checkpoint copies into the
database file.

    .venv/bin/python benchmarks/journal_bytes.py [--warm-sales 500] [--polls 60]
"""

from __future__ import annotations

import argparse
import sqlite3
import struct
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kiosk.core.model import Attempt, SaleSource, SessionStatus
from kiosk.store.journal import Journal

T0 = datetime(2026, 11, 28, 9, tzinfo=UTC)
# A real mainnet invoice for 25 000 sat is about 300 characters.
INVOICE = "lnbc250u1p" + "x" * 290


def one_sale(journal: Journal, n: int, start: datetime, polls: int) -> int:
    """Journal one paid sale the way the kiosk does; returns how many journal calls it made."""
    calls = 0

    def t(seconds: float) -> datetime:
        return start + timedelta(seconds=seconds)

    ref = journal.next_reference("K1", start.date())
    journal.create_sale(reference=ref, amount_cents=1250 + n, source=SaleSource.POS, at=t(0))
    journal.set_session(ref, f"ps_{n}", t(0.3))
    attempt = Attempt(session_id=f"ps_{n}", invoice=INVOICE, amount_msat=25_000_123, expires_at=t(120))
    journal.add_attempt(ref, attempt, t(0.6))
    calls += 4
    for poll in range(polls):  # the customer takes polls/2 seconds to pay
        journal.record_status(ref, SessionStatus(session_id=f"ps_{n}", status="pending"), t(1 + poll / 2))
        calls += 1
    paid_at = t(1 + polls / 2)
    journal.record_status(ref, SessionStatus(session_id=f"ps_{n}", status="funding-received", paid_at=paid_at),
                          paid_at)
    journal.mark_paid(ref, paid_at=paid_at, amount_msat=25_000_123, late=False, at=paid_at,
                      print_copies=("customer",), till_line=f"PAID {ref} 1250 25000")
    for job in journal.pending_prints():
        journal.mark_printed(job.job_id, paid_at + timedelta(seconds=3))
    for message in journal.pending_till_messages():
        journal.mark_till_sent(message.message_id, paid_at + timedelta(seconds=1))
    return calls + 6


def wal_frames(wal: Path) -> tuple[int, list[int], int]:
    """(page size, page number of each frame, commit frames) of a WAL file."""
    data = wal.read_bytes()
    if len(data) < 32:
        return 0, [], 0
    page_size = struct.unpack(">I", data[8:12])[0]
    pages, commits = [], 0
    for offset in range(32, len(data) - page_size - 23, page_size + 24):
        page_no, db_size_after_commit = struct.unpack(">II", data[offset:offset + 8])
        pages.append(page_no)
        commits += db_size_after_commit != 0
    return page_size, pages, commits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warm-sales", type=int, default=500, help="sales already in the journal")
    parser.add_argument("--polls", type=int, default=60, help="status polls while the customer pays")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "journal.sqlite3"
        with Journal(path) as journal:
            for n in range(args.warm_sales):
                one_sale(journal, n, T0 - timedelta(days=1, minutes=-n), args.polls)
        # Start the measured sale with an empty WAL, so the WAL holds exactly what this sale appends
        # (one sale is far below the 1000-page automatic checkpoint, which would reset the WAL).
        conn = sqlite3.connect(path)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        with Journal(path) as journal:
            calls = one_sale(journal, args.warm_sales, T0, args.polls)
            page_size, pages, commits = wal_frames(path.with_name(path.name + "-wal"))
            wal_bytes = path.with_name(path.name + "-wal").stat().st_size
            db_bytes = path.stat().st_size
    print(f"journal with {args.warm_sales} earlier sales ({db_bytes / 1024:.0f} KiB), page size {page_size} B")
    print(f"one sale: {calls} journal calls ({args.polls} status polls, 2 kept), {commits} commits (fsyncs)")
    print(f"WAL appended: {len(pages)} frames = {wal_bytes - 32} bytes "
          f"({(wal_bytes - 32) / 1024:.1f} KiB), {len(pages) / max(commits, 1):.1f} pages per commit")
    print(f"checkpoint later copies {len(set(pages))} distinct pages = {len(set(pages)) * page_size} bytes")


if __name__ == "__main__":
    main()
