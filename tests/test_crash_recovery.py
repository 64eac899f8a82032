"""Crash recovery: the real kiosk in a child process, killed with SIGKILL at random moments.

Given the simulator in this process (it holds the truth) and one journal; when the kiosk plays
sales in a child process (``tests/crash_driver.py``) and is killed many times at random points
(starting up, recovering, creating sessions, showing invoices, being paid, printing), then
restarted on the same journal; then, once a last restart has finished recovering, every sale the
simulator has paid is PAID in the journal with Mion's ``paidAt``, printed exactly once and reported
to the till (a pty) exactly once, nothing is PAID that Mion has unpaid, no reference has two
sessions, and no sale is left unfinished.
"""

from __future__ import annotations

import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import tty
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Self

import pytest

from kiosk.config import Settings
from kiosk.core import events as ev
from kiosk.core.model import Phase, SaleSource
from kiosk.core.view import InvoiceView
from kiosk.mion.client import MionClient
from kiosk.mion.simulator import MionSimulator
from kiosk.shell.app import Hooks, KioskApp
from kiosk.store.journal import Journal
from tests.crash_driver import SESSION_LIFETIME_S, crash_settings
from tests.fault_tools import JumpClock, paid_violations, sim_paid_at
from tests.helpers import API_KEY, drive, running_kiosk

ROOT = Path(__file__).resolve().parent.parent
RUNS = 50
SEED = 20261128
CANCEL_SHARE = 0.2
"""A share of sales the cashier cancels: a cancelled (or expired) sale paid within its grace must be
found even when the kiosk restarts before its watch sees the payment."""
FAULTS = ("500", "drop", "drop_after", "malformed")
"""Faults sprinkled between kills (the slow ones, Retry-After and hanging, are left to test_faults)."""


pytestmark = pytest.mark.jump_clock  # the simulator runs on the kiosk's jumping clock (conftest)


class TillEnd:
    """The till's end of a pty pair: collects every byte the kiosks write, across their restarts.

    The test holds the kiosk's end open too, so a killed kiosk never leaves the pair half closed.
    """

    def __init__(self) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.port = os.ttyname(self._slave)
        self._data = bytearray()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, name="till-end", daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2)
        os.close(self._master)
        os.close(self._slave)

    def _read(self) -> None:
        while not self._stop.is_set():
            readable, _, _ = select.select([self._master], [], [], 0.05)
            if readable:
                self._data += os.read(self._master, 4096)

    def paid_lines(self) -> list[str]:
        """Every ``EVENT PAID`` line received so far."""
        lines = bytes(self._data).decode("ascii", "replace").split("\r\n")
        return [line for line in lines if line.startswith("EVENT PAID ")]


def start_kiosk(simulator: MionSimulator, state_dir: Path, *args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "tests.crash_driver", "--url", simulator.base_url, "--state", str(state_dir),
               *args]
    with (state_dir / "kiosk.log").open("a") as log_file:  # the child's warnings, for a failing run
        return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log_file, text=True)


def wait_ready(child: subprocess.Popen[str], timeout_s: float = 10.0) -> None:
    assert child.stdout is not None
    readable, _, _ = select.select([child.stdout], [], [], timeout_s)
    assert readable and child.stdout.readline().strip() == "ready", "the kiosk did not start"


def kill(child: subprocess.Popen[str]) -> None:
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=5)
    assert child.stdout is not None
    child.stdout.close()


def receipt_counts(state_dir: Path, references: list[str]) -> dict[str, int]:
    """reference -> every slip printed for it."""
    return {reference: sum(counts) for reference, counts in receipt_slips(state_dir, references).items()}


def receipt_slips(state_dir: Path, references: list[str]) -> dict[str, tuple[int, int]]:
    """reference -> (slips without the DUPLICATE mark, slips with it).

    A kill in the instant between the printer taking a slip and the journal noting it prints that
    slip once more after the restart; the second one says DUPLICATE (the safe side: never none).
    """
    path = state_dir / "receipts.bin"
    slips = (path.read_bytes() if path.exists() else b"").split(b"\x1dV")  # GS V: the cut after each slip
    counts: dict[str, tuple[int, int]] = {}
    for reference in references:
        mine = [slip for slip in slips if reference.encode() in slip]
        duplicates = sum(b"DUPLICATE" in slip for slip in mine)
        counts[reference] = (len(mine) - duplicates, duplicates)
    return counts


@pytest.fixture
def till() -> Iterator[TillEnd]:
    with TillEnd() as end:
        yield end


@pytest.mark.slow
def test_killing_the_kiosk_at_random_moments_never_loses_or_doubles_a_sale(
        simulator: MionSimulator, clock: JumpClock, till: TillEnd, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    started = time.monotonic()
    for run in range(RUNS):
        child = start_kiosk(simulator, tmp_path, "--seed", str(SEED + run), "--till", till.port,
                            "--cancel-share", str(CANCEL_SHARE))
        if rng.random() < 0.2:
            time.sleep(rng.uniform(0.0, 0.9))  # while it starts up and recovers
        else:
            wait_ready(child)
            selling_s = rng.uniform(0.05, 0.8)  # while it sells, now and then meeting a fault
            fault_after_s = rng.uniform(0.0, selling_s)
            time.sleep(fault_after_s)
            if rng.random() < 0.4:
                simulator.fail_next(1, rng.choice(FAULTS))
            time.sleep(selling_s - fault_after_s)
        kill(child)
    sessions = simulator.sessions()
    assert len(sessions) >= RUNS // 2, f"only {len(sessions)} sales were played in {RUNS} runs"
    assert any(s["paidAt"] for s in sessions)

    # Every open session runs out; the last start must settle each sale by asking Mion.
    clock.jump(SESSION_LIFETIME_S + 5)
    final = start_kiosk(simulator, tmp_path, "--recover-only", "--clock-offset", str(SESSION_LIFETIME_S + 5),
                        "--till", till.port)
    out, _ = final.communicate(timeout=30)
    assert final.returncode == 0, f"recovery did not finish: {out!r}"

    assert paid_violations(simulator, tmp_path / "journal.sqlite3") == []
    paid = [reference for reference, paid_at in sim_paid_at(simulator).items() if paid_at]
    # Every paid sale has its slip, and never two unmarked ones. (A kill in the instant a slip goes to the
    # printer cannot tell whether it came out; the reprint then says DUPLICATE rather than risk none.)
    slips = receipt_slips(tmp_path, paid)
    assert {reference: n for reference, n in slips.items() if n[0] > 1 or sum(n) == 0} == {}
    time.sleep(0.2)  # the last line may still be on its way through the pty
    # The till hears of every paid sale, and the same way each time. (A kill in the instant a line goes out
    # cannot tell whether it did; that one line is sent again after the restart, identical: the protocol
    # says so, and a till books a sale once per ref.)
    lines = till.paid_lines()
    told = {line.split()[2].removeprefix("ref="): line for line in lines}
    assert sorted(told) == sorted(paid), "the till must hear of each paid sale"
    assert all(line == told[line.split()[2].removeprefix("ref=")] for line in lines), "repeats are identical"
    assert len(lines) - len(told) <= RUNS // 10, "a repeat needs a kill in the instant of sending"
    with Journal(tmp_path / "journal.sqlite3") as journal:
        assert [s.reference for s in journal.unfinished()] == []
        assert journal.pending_prints() == []
    # The kills did land in the middle of things: many starts had a sale to finish.
    recoveries = (tmp_path / "kiosk.log").read_text().count("recovering 1 unfinished sale")
    assert recoveries >= RUNS // 5, f"only {recoveries} restarts found a sale to finish"
    print(f"{len(sessions)} sales, {len(paid)} paid, {RUNS} kills in {time.monotonic() - started:.1f} s")


def seed_unfinished(simulator: MionSimulator, state_dir: Path, settings: Settings, *, with_session: list[bool],
                    at: datetime) -> list[tuple[str, str | None]]:
    """Leave unfinished sales in the journal as a killed kiosk would: (reference, session id), oldest first.

    A sale with a session also has its invoice recorded (it was on screen when the power went).
    """
    seeded: list[tuple[str, str | None]] = []
    with MionClient(settings.mion, API_KEY) as client, Journal(state_dir / "journal.sqlite3") as journal:
        for index, has_session in enumerate(with_session):
            created = at + timedelta(seconds=index)
            reference = journal.next_reference("K1", created.date())
            journal.create_sale(reference=reference, amount_cents=100 + index, source=SaleSource.KEYPAD, at=created)
            session_id = None
            if has_session:
                session_id = client.create_session(amount_cents=100 + index, reference=reference,
                                                   expires_at=created + timedelta(seconds=SESSION_LIFETIME_S)).session_id
                journal.set_session(reference, session_id, created)
                journal.add_attempt(reference, client.create_attempt(session_id), created)
                journal.set_phase(reference, Phase.AWAITING_PAYMENT, created)
            seeded.append((reference, session_id))
    return seeded


def recovery_done(app: KioskApp) -> bool:
    return app.register.open_reference is None and not app.register.watches and not app.journal.pending_prints()


def test_every_unfinished_sale_is_settled_not_only_the_newest(
        simulator: MionSimulator, clock: JumpClock, tmp_path: Path) -> None:
    """Several sales were left open (older ones from earlier crashes): after the restart, once their
    sessions ended, each is either PAID (Mion says so) or ended, and none stays open for ever."""
    settings = crash_settings(simulator.base_url, tmp_path)
    seeded = seed_unfinished(simulator, tmp_path, settings, with_session=[False, True, True, True], at=clock())
    (no_session, _), (paid_ref, paid_session), (unpaid_ref, _), (newest_ref, _) = seeded
    assert paid_session is not None
    simulator.mark_paid(paid_session)
    clock.jump(SESSION_LIFETIME_S + 5)

    with running_kiosk(settings, tmp_path, Hooks(clock=clock)) as app:
        drive(app, recovery_done, timeout_s=8)
        phases = {reference: app.journal.get(reference).phase for reference, _ in seeded}  # type: ignore[union-attr]
        assert app.journal.unfinished() == []
        assert app.journal.get(paid_ref).late  # type: ignore[union-attr]
    assert phases == {no_session: Phase.EXPIRED, paid_ref: Phase.PAID, unpaid_ref: Phase.EXPIRED,
                      newest_ref: Phase.EXPIRED}
    assert paid_violations(simulator, tmp_path / "journal.sqlite3") == []
    assert receipt_counts(tmp_path, [paid_ref]) == {paid_ref: 1}


def test_a_payment_after_cancel_is_found_after_a_restart(simulator: MionSimulator, tmp_path: Path) -> None:
    """The late-payment watch must survive a restart: the cashier cancelled, the kiosk restarted
    (power cut, update), and then the customer's payment landed within the grace."""
    settings = crash_settings(simulator.base_url, tmp_path)
    with running_kiosk(settings, tmp_path) as app:
        reference = app.open_sale(700, SaleSource.KEYPAD)
        drive(app, lambda a: isinstance(a.register.view(a.now()), InvoiceView))
        session_id = app.register.sale.session_id  # type: ignore[union-attr]
        app.feed(ev.CancelRequested(reference=reference))
    assert session_id is not None
    simulator.mark_paid(session_id)

    with running_kiosk(settings, tmp_path) as app:
        drive(app, lambda a: a.journal.get(reference).phase is Phase.PAID, timeout_s=8)  # type: ignore[union-attr]
        record = app.journal.get(reference)
    assert record is not None and record.late


def test_one_paid_sale_writes_a_few_pages_to_the_journal(simulator: MionSimulator, tmp_path: Path) -> None:
    """Every write is a synchronous commit to the SD card: count what one sale costs (WAL growth).

    Polls that repeat the last status cost nothing; what is left is one commit per state change.
    """
    settings = crash_settings(simulator.base_url, tmp_path)
    wal = tmp_path / "journal.sqlite3-wal"
    sales = 5
    with running_kiosk(settings, tmp_path) as app:
        drive(app, lambda a: True)
        with sqlite3.connect(tmp_path / "journal.sqlite3") as other:  # start from an empty WAL
            assert other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
        assert wal.stat().st_size == 0
        for _ in range(sales):
            reference = app.open_sale(1250, SaleSource.KEYPAD)
            drive(app, lambda a: isinstance(a.register.view(a.now()), InvoiceView))
            time.sleep(0.5)  # a few polls while the customer scans
            simulator.mark_paid(app.register.sale.session_id)  # type: ignore[union-attr]
            drive(app, lambda a, ref=reference: a.journal.get(ref).receipt_printed_at is not None)  # type: ignore[misc]
        with sqlite3.connect(tmp_path / "journal.sqlite3") as other:
            page_size = other.execute("PRAGMA page_size").fetchone()[0]
            frames = other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
        size = wal.stat().st_size
    per_sale = size // sales
    print(f"journal WAL growth per paid sale: {per_sale} bytes, {frames / sales:.1f} frames of "
          f"{page_size} B")
    assert frames == (size - 32) // (page_size + 24), "the WAL was restarted mid-way: the figure is wrong"
    assert 0 < per_sale < 256 * 1024
