"""A full disk never stops the kiosk and never loses a payment.

When the journal cannot be written as a payment arrives, the kiosk keeps running with the payment in
memory, shows that it is out of service (and starts no new sale), and records, prints and tells the
till as soon as the journal can be written again. A disk reserve beside the journal is given up the
moment the disk is full, so the payment usually lands at once.

Two ways to fill the disk: a fault at the journal's seam (every write refused while the test says
so), which runs everywhere; and a real, tiny tmpfs under the state directory, where the test can
mount one (as root), skipped with the reason elsewhere.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kiosk.core.model import Phase
from kiosk.core.view import IdleView, InvoiceView, MessageKind, MessageView
from kiosk.errors import StoreError
from kiosk.mion.simulator import MionSimulator
from kiosk.shell.app import KioskApp
from tests.helpers import API_KEY, charge, drive, running_kiosk, settings_for
from tests.pty_till_driver import PtyTill

LOADED_S = 30.0
"""How long a step may take on a loaded machine; each wait ends as soon as its condition holds."""


class RefusingWrites:
    """The journal's one write path (``Journal._tx``) refuses every write while ``full`` is set."""

    def __init__(self, app: KioskApp) -> None:
        self.full = False
        self.refused = 0
        original = app.journal._tx

        @contextmanager
        def tx(what: str, *, write: bool = True) -> Iterator[sqlite3.Connection]:
            if write and self.full:
                self.refused += 1
                raise StoreError(f"cannot {what}: database or disk is full")
            with original(what, write=write) as conn:
                yield conn

        app.journal._tx = tx  # type: ignore[method-assign]


def view(app: KioskApp) -> object:
    return app.frame(app.now()).view


def out_of_service(app: KioskApp) -> bool:
    shown = view(app)
    return isinstance(shown, MessageView) and shown.kind is MessageKind.OUT_OF_SERVICE


def test_a_payment_the_journal_cannot_take_is_kept_and_recorded_printed_and_told_once_it_can(
        simulator: MionSimulator, tmp_path: Path) -> None:
    till = PtyTill(tmp_path / "till-port")
    till.plug()
    settings = settings_for(simulator, tmp_path, pos={"enabled": True, "port": str(till.link)})
    try:
        with running_kiosk(settings, tmp_path) as app:
            disk = RefusingWrites(app)
            (tmp_path / "disk-reserve").unlink()  # the reserve is gone already: the journal stays full
            till.wait_connected(app, timeout_s=LOADED_S)
            reference = till.ask(app, "SALE 1250 F-1", timeout_s=LOADED_S).split("ref=")[1].split()[0]
            till.wait(app, lambda: isinstance(view(app), InvoiceView), timeout_s=LOADED_S)
            disk.full = True
            sale = app.register.sale
            assert sale is not None and sale.session_id is not None
            simulator.mark_paid(sale.session_id)

            # Paid by Mion, not writable here: the kiosk runs on, says it is out of service, keeps the payment.
            till.wait(app, lambda: out_of_service(app) and app.loop.parts.ledger.payments_kept == 1,  # type: ignore[union-attr]
                      timeout_s=LOADED_S)
            shown = view(app)
            assert isinstance(shown, MessageView) and "1 payment received is kept" in (shown.detail or "")
            assert disk.refused > 0
            record = app.journal.get(reference)
            assert record is not None and record.phase is not Phase.PAID
            assert not (tmp_path / "receipts.bin").exists() or reference.encode() not in (
                tmp_path / "receipts.bin").read_bytes()
            assert not any(e.startswith("EVENT PAID") for e in till.events)

            # No new sale starts meanwhile, from the keypad or the till.
            charge(app, "5")
            assert app.register.open_reference is None
            assert till.ask(app, "SALE 500 F-2", timeout_s=LOADED_S).startswith("ERR UNAVAILABLE ")
            assert app.journal.get("F-2") is None

            # Space returns: recorded (once), printed, told; the screen is the kiosk's again.
            disk.full = False
            till.wait(app, lambda: any(e.startswith(f"EVENT PAID ref={reference} ") for e in till.events)
                      and (tmp_path / "receipts.bin").exists()
                      and reference.encode() in (tmp_path / "receipts.bin").read_bytes(), timeout_s=LOADED_S)
            record = app.journal.get(reference)
            assert record is not None and record.phase is Phase.PAID and record.paid_at is not None
            till.wait(app, lambda: isinstance(view(app), IdleView), timeout_s=LOADED_S)
            assert sum(e.startswith("EVENT PAID") for e in till.events) == 1
            assert (tmp_path / "disk-reserve").exists()  # laid again once there was room
    finally:
        till.close()


def test_a_sale_the_journal_cannot_record_never_reaches_mion(simulator: MionSimulator, tmp_path: Path) -> None:
    with running_kiosk(settings_for(simulator, tmp_path), tmp_path) as app:
        disk = RefusingWrites(app)
        (tmp_path / "disk-reserve").unlink()
        disk.full = True
        charge(app, "7")
        drive(app, out_of_service, timeout_s=LOADED_S)  # the cashier sees why, and the typed amount is gone
        assert app.register.open_reference is None and app.register.entry.typed == ""
        assert simulator.sessions() == []  # no Mion session for a sale the journal does not hold
        disk.full = False
        drive(app, lambda a: not out_of_service(a), timeout_s=LOADED_S)  # a probe write finds the journal writable again
        charge(app, "8")  # ... and sales start as before
        drive(app, lambda a: isinstance(a.register.view(a.now()), InvoiceView), timeout_s=LOADED_S)


def test_a_sale_whose_first_record_fails_is_ended_before_mion_hears_of_it(
        simulator: MionSimulator, tmp_path: Path) -> None:
    """The reference is drawn, then the disk fills: the register is told at once; no session is made."""
    with running_kiosk(settings_for(simulator, tmp_path), tmp_path) as app:
        disk = RefusingWrites(app)
        (tmp_path / "disk-reserve").unlink()
        original = app.journal.next_reference

        def then_full(*args: object) -> str:
            reference = original(*args)  # type: ignore[arg-type]
            disk.full = True
            return reference

        app.journal.next_reference = then_full  # type: ignore[method-assign]
        charge(app, "9")
        drive(app, lambda a: isinstance(a.register.view(a.now()), MessageView), timeout_s=LOADED_S)
        shown = app.register.view(app.now())
        assert isinstance(shown, MessageView) and shown.kind is MessageKind.ERROR
        assert simulator.sessions() == []
        assert out_of_service(app)


# --- a real, tiny file system ----------------------------------------------------------------------


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MiB tmpfs mounted at ``tmp_path/state`` (skipped where the test may not mount one)."""
    where = tmp_path / "state"
    where.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m,mode=0700", "tmpfs", str(where)],
                             check=False, capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip() or 'mount failed'}); "
                    "the fault at the journal's seam above covers the same behaviour")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(directory: Path) -> Path:
    """Write a file until the file system is full; return it."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 4096, 512, 1):
            with contextlib.suppress(OSError):
                while os.write(fd, b"\xff" * size):
                    pass
    finally:
        os.close(fd)
    probe = os.open(directory / "probe", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        with pytest.raises(OSError) as full:
            os.write(probe, b"x" * 4096)
    finally:
        os.close(probe)
        (directory / "probe").unlink()
    assert full.value.errno == errno.ENOSPC
    return filler


def shrink_wal(journal: Path) -> None:
    """Empty the write-ahead log, so the next write must take new blocks."""
    with sqlite3.connect(journal) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


@pytest.mark.parametrize("reserve", [True, False], ids=["reserve-saves-it", "no-reserve"])
def test_on_a_real_full_disk_the_payment_is_recorded(
        simulator: MionSimulator, tmp_path: Path, tiny_disk: Path, monkeypatch: pytest.MonkeyPatch,
        reserve: bool) -> None:
    monkeypatch.setattr("kiosk.store.ballast.BALLAST_BYTES", 256 * 1024)
    monkeypatch.setattr("kiosk.store.ballast.SPARE_FACTOR", 2)
    settings = settings_for(simulator, tmp_path)  # the receipts go to tmp_path, off the tiny disk
    with KioskApp(settings, api_key=API_KEY, state_dir=tiny_disk) as app:
        assert (tiny_disk / "disk-reserve").exists()
        if not reserve:
            (tiny_disk / "disk-reserve").unlink()
        charge(app, "12.5")
        drive(app, lambda a: isinstance(a.register.view(a.now()), InvoiceView), timeout_s=LOADED_S)
        sale = app.register.sale
        assert sale is not None and sale.session_id is not None
        shrink_wal(tiny_disk / "journal.sqlite3")
        filler = fill(tiny_disk)
        simulator.mark_paid(sale.session_id)
        if reserve:
            drive(app, lambda a: (r := a.journal.get(sale.reference)) is not None and r.phase is Phase.PAID,
                  timeout_s=LOADED_S)
            assert not (tiny_disk / "disk-reserve").exists()  # given up for the payment
            assert not out_of_service(app)
        else:
            drive(app, out_of_service, timeout_s=LOADED_S)
            record = app.journal.get(sale.reference)
            assert record is not None and record.phase is not Phase.PAID
            filler.unlink()
            drive(app, lambda a: (r := a.journal.get(sale.reference)) is not None and r.phase is Phase.PAID,
                  timeout_s=LOADED_S)
        drive(app, lambda a: (tmp_path / "receipts.bin").exists()
              and sale.reference.encode() in (tmp_path / "receipts.bin").read_bytes(), timeout_s=LOADED_S)
