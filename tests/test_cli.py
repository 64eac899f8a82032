"""The ``kiosk`` command as a shop owner and a technician use it.

The demo and the screenshot tool run as real subprocesses of the installed console script, with no
SDL or GPIO variables set (as from a plain shell). The journal tools (history, show, report, reprint)
run in-process through ``kiosk.cli.main`` on a journal filled by the real kiosk: two paid sales, one
cancelled, one still open when the kiosk stopped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from kiosk.cli import main
from kiosk.config import Settings, shop_timezone
from kiosk.core import events as ev
from kiosk.core.model import Phase
from kiosk.core.text import format_eur, format_sats
from kiosk.mion.sim_invoice import DEMO_NODE_PUBKEY
from kiosk.mion.simulator import MionSimulator
from kiosk.shell.app import KioskApp
from kiosk.store.journal import Journal
from tests.bolt11_reader import read_bolt11
from tests.helpers import API_KEY, charge, drive, running_kiosk, settings_for

KIOSK = Path(sys.executable).parent / "kiosk"


def _plain_env() -> dict[str, str]:
    """The environment of a shell on the appliance: no test settings for SDL or GPIO."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("SDL_", "GPIOZERO_", "PYGAME_"))}


# --- demo and screenshot as subprocesses ----------------------------------------------------------

def test_the_headless_demo_plays_a_sale_and_saves_its_screens(tmp_path: Path) -> None:
    out = tmp_path / "screens"
    done = subprocess.run([str(KIOSK), "--state-dir", str(tmp_path / "state"), "demo", "--headless", "--out", str(out)],
                          env=_plain_env(), capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]

    screens = [line.split()[1] for line in done.stdout.splitlines() if line.startswith("screen:")]
    assert {"idle", "entry", "invoice", "paid"} <= set(screens)
    assert screens.index("invoice") < screens.index("paid")
    pngs = sorted(out.glob("*.png"))
    assert len(pngs) == len(screens)
    assert any(p.name.endswith("-invoice.png") for p in pngs) and any(p.name.endswith("-paid.png") for p in pngs)
    assert all(p.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") for p in pngs)

    receipt_lines = [line for line in done.stdout.splitlines() if line.startswith("receipt bytes written to ")]
    assert len(receipt_lines) == 1
    receipt = Path(receipt_lines[0].removeprefix("receipt bytes written to "))
    paid_line = next(line for line in done.stdout.splitlines() if line.startswith("paid: "))
    reference = paid_line.split()[1].rstrip(",")
    assert reference.encode() in receipt.read_bytes()
    invoice_png = next(p for p in pngs if p.name.endswith("-invoice.png"))
    (scanned,) = zxingcpp.read_barcodes(Image.open(invoice_png))
    assert scanned.text.startswith("LIGHTNING:LN")
    assert read_bolt11(scanned.text).payee == DEMO_NODE_PUBKEY  # a wallet reads it, and fails only at routing


def test_a_screenshot_of_the_invoice_screen_has_a_qr_code_that_decodes(tmp_path: Path) -> None:
    png = tmp_path / "f.png"
    done = subprocess.run([str(KIOSK), "screenshot", "--screen", "invoice", "--size", "800x480", "--out", str(png)],
                          env=_plain_env(), capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == f"{png}\n"  # only the path (no banner), so scripts can use it
    image = Image.open(png)
    assert image.size == (800, 480)
    decoded = [d.text for d in zxingcpp.read_barcodes(image)]
    assert len(decoded) == 1 and decoded[0].startswith("LIGHTNING:LN") and decoded[0] == decoded[0].upper()
    assert read_bolt11(decoded[0]).payee == DEMO_NODE_PUBKEY


def test_an_unknown_screen_is_refused_with_the_list_of_names(tmp_path: Path) -> None:
    done = subprocess.run([str(KIOSK), "screenshot", "--screen", "invoce", "--out", str(tmp_path / "x.png")],
                          env=_plain_env(), capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 2 and "invoce" in done.stderr and "invoice" in done.stderr
    assert not (tmp_path / "x.png").exists()


# --- the journal tools on a journal with real sales --------------------------------------------------

def _sell(app: KioskApp, simulator: MionSimulator, amount: str, *, pay: bool) -> str:
    charge(app, amount)
    drive(app, lambda a: a.register.phase is Phase.AWAITING_PAYMENT)
    sale = app.register.sale
    assert sale is not None and sale.session_id is not None
    if pay:
        simulator.mark_paid(sale.session_id)
        drive(app, lambda a: a.register.phase is Phase.PAID)
    return sale.reference


def _phase(app: KioskApp, reference: str) -> Phase | None:
    record = app.journal.get(reference)
    return None if record is None else record.phase


@pytest.fixture(scope="module")
def shop_day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, date, dict[str, str]]]:
    """A state directory whose journal holds one day's sales; yields it, the day and the references."""
    state_dir = tmp_path_factory.mktemp("shop")
    refs: dict[str, str] = {}
    with MionSimulator(api_key=API_KEY, network="regtest") as simulator:
        settings = settings_for(simulator, state_dir, sale={"paid_screen_s": 0.2, "message_screen_s": 0.2})
        with running_kiosk(settings, state_dir) as app:
            drive(app, lambda a: True)  # the first loop recovers (nothing) before anything is typed
            refs["paid_1"] = _sell(app, simulator, "12.5", pay=True)
            drive(app, lambda a: a.register.phase is Phase.IDLE)
            time.sleep(0.01)  # distinct paid times, so "the last paid sale" is well defined
            refs["paid_2"] = _sell(app, simulator, "3.2", pay=True)
            drive(app, lambda a: a.register.phase is Phase.IDLE)
            refs["cancelled"] = _sell(app, simulator, "5", pay=False)
            app.feed(ev.KeyPressed(key=ev.Key.CANCEL))
            drive(app, lambda a: _phase(a, refs["cancelled"]) is Phase.CANCELLED)
            drive(app, lambda a: a.register.phase is Phase.IDLE)
            refs["open"] = _sell(app, simulator, "1", pay=False)  # the kiosk stops with this one open
            first = app.journal.get(refs["paid_1"])
    assert first is not None
    yield state_dir, first.created_at.astimezone(shop_timezone(Settings())).date(), refs


def _kiosk(capsys: pytest.CaptureFixture[str], state_dir: Path, *args: str) -> tuple[int, str, str]:
    status = main(["--state-dir", str(state_dir), *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _value(report: str, label: str) -> str:
    """The value at the end of the report line that starts with ``label``."""
    line = next(line for line in report.splitlines() if line.startswith(label))
    return line.removeprefix(label).strip()


def test_history_lists_every_sale_of_the_day_with_its_outcome(
        shop_day: tuple[Path, date, dict[str, str]], capsys: pytest.CaptureFixture[str]) -> None:
    state_dir, day, refs = shop_day
    status, out, _ = _kiosk(capsys, state_dir, "history", "--json", "--date", day.isoformat())
    assert status == 0
    sales = {s["reference"]: s for s in json.loads(out)}
    assert set(sales) == set(refs.values())
    assert {name: sales[ref]["phase"] for name, ref in refs.items()} == {
        "paid_1": "paid", "paid_2": "paid", "cancelled": "cancelled", "open": "awaiting_payment"}
    paid = sales[refs["paid_1"]]
    assert paid["amount_cents"] == 1250 and paid["amount_sat"] == -(-paid["amount_msat"] // 1000)
    assert paid["session_id"] and paid["paid_at"] and paid["receipt_printed_at"]

    status, text, _ = _kiosk(capsys, state_dir, "history", "--date", day.isoformat())
    assert status == 0 and all(ref in text for ref in refs.values())


def test_show_tells_everything_about_one_sale_and_refuses_an_unknown_reference(
        shop_day: tuple[Path, date, dict[str, str]], capsys: pytest.CaptureFixture[str]) -> None:
    state_dir, _, refs = shop_day
    status, out, _ = _kiosk(capsys, state_dir, "show", refs["paid_2"], "--json")
    assert status == 0
    sale = json.loads(out)
    assert sale["reference"] == refs["paid_2"] and sale["phase"] == "paid" and sale["amount_cents"] == 320
    assert sale["attempts"] and sale["attempts"][-1]["amount_msat"] == sale["amount_msat"]
    assert any(s["paid_at"] == sale["paid_at"] for s in sale["statuses"])

    status, text, _ = _kiosk(capsys, state_dir, "show", refs["paid_2"])
    assert status == 0 and refs["paid_2"] in text and sale["session_id"] in text

    status, out, err = _kiosk(capsys, state_dir, "show", "R-NOPE")
    assert status == 1 and out == "" and "R-NOPE" in err


def test_the_x_report_adds_up_to_the_history_and_the_day_closes_only_once(
        shop_day: tuple[Path, date, dict[str, str]], capsys: pytest.CaptureFixture[str]) -> None:
    state_dir, day, _ = shop_day
    _, out, _ = _kiosk(capsys, state_dir, "history", "--json", "--date", day.isoformat())
    paid = [s for s in json.loads(out) if s["phase"] == "paid"]
    assert len(paid) == 2 and sum(s["amount_cents"] for s in paid) == 1570

    status, x_report, _ = _kiosk(capsys, state_dir, "report", "--date", day.isoformat())
    assert status == 0 and "X REPORT" in x_report
    assert _value(x_report, "Paid sales") == str(len(paid))
    assert _value(x_report, "Total EUR") == _plain(format_eur(sum(s["amount_cents"] for s in paid), "en"))
    assert _value(x_report, "Total Lightning") == _plain(format_sats(sum(s["amount_sat"] for s in paid), "en"))
    assert _value(x_report, "Cancelled") == "1" and _value(x_report, "Still open") == "1"
    assert _value(x_report, "Expired") == "0"

    status, z_report, _ = _kiosk(capsys, state_dir, "report", "--close", "--date", day.isoformat())
    assert status == 0 and "Z REPORT" in z_report
    assert _value(z_report, "Total EUR") == _value(x_report, "Total EUR")
    status, out, err = _kiosk(capsys, state_dir, "report", "--close", "--date", day.isoformat())
    assert status == 1 and out == "" and "already closed" in err

    # An X report stays possible after the close; it changes nothing.
    status, again, _ = _kiosk(capsys, state_dir, "report", "--date", day.isoformat())
    assert status == 0 and _value(again, "Paid sales") == "2"


def _plain(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def test_reprint_last_queues_one_job_for_the_last_paid_sale(
        shop_day: tuple[Path, date, dict[str, str]], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    state_dir, _, refs = shop_day
    status, out, _ = _kiosk(capsys, state_dir, "reprint", "--last")
    assert status == 0 and refs["paid_2"] in out and "queued" in out
    with Journal(state_dir / "journal.sqlite3") as journal:
        pending = journal.pending_prints()
    assert [job.reference for job in pending] == [refs["paid_2"]]

    # The running kiosk prints it: one more slip in the printer's file, and the queue is empty again.
    shop = tmp_path / "shop"
    shutil.copytree(state_dir, shop)  # a copy, so the kiosk's start-up recovery leaves the shared day alone
    receipts = shop / "receipts.bin"
    slips_before = receipts.read_bytes().count(b"\x1b@")
    with MionSimulator(api_key=API_KEY, network="regtest") as simulator:
        settings = settings_for(simulator, shop, sale={"message_screen_s": 0.2})
        with running_kiosk(settings, shop) as app:
            drive(app, lambda a: not a.journal.pending_prints())
    slips = receipts.read_bytes().split(b"\x1b@")[1:]
    assert len(slips) == slips_before + 1 and refs["paid_2"].encode() in slips[-1]

    status, _, err = _kiosk(capsys, state_dir, "reprint", refs["cancelled"])
    assert status == 1 and "no such paid sale" in err
    status, _, err = _kiosk(capsys, state_dir, "reprint")
    assert status == 2 and "--last" in err


def test_journal_tools_name_the_missing_journal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _kiosk(capsys, tmp_path / "nowhere", "history")
    assert status == 1 and out == "" and "no sales journal" in err and str(tmp_path / "nowhere") in err
