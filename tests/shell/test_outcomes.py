"""A payment sends out the same slips and the same till message whether the running kiosk saw it or
``kiosk reconcile`` found it: both ask one function (merchant copy included)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.commands.reconcile import reconcile
from kiosk.config import Settings
from kiosk.core import effects as fx
from kiosk.core.model import Phase, SaleSource
from kiosk.mion.client import MionClient
from kiosk.mion.simulator import MionSimulator
from kiosk.shell.devices import Devices
from kiosk.shell.ledger import Ledger
from kiosk.store.journal import Journal

KEY = "outcome-test-key-5c1d"


def settings_for(simulator: MionSimulator, tmp_path: Path, *, merchant_copy: bool, pos_mode: str | None) -> Settings:
    base = Settings()
    return dataclasses.replace(
        base,
        mion=dataclasses.replace(base.mion, base_url=simulator.base_url, invoice_network="regtest"),
        printer=dataclasses.replace(base.printer, kind="file", device=str(tmp_path / "r.bin"),
                                    merchant_copy=merchant_copy),
        pos=dataclasses.replace(base.pos, enabled=pos_mode is not None, port="loop://", mode=pos_mode or "line"),
    )


def sale_in(journal: Journal, reference: str, session_id: str, client: MionClient, now: datetime) -> int:
    journal.create_sale(reference=reference, amount_cents=1250, source=SaleSource.POS, at=now)
    journal.set_session(reference, session_id, now)
    attempt = client.create_attempt(session_id)
    journal.add_attempt(reference, attempt, now)
    return attempt.amount_msat


@pytest.mark.parametrize(("merchant_copy", "pos_mode"), [(True, "line"), (False, "line"), (True, "pole"),
                                                          (True, None)])
def test_the_running_kiosk_and_reconcile_queue_the_same_outputs(
        tmp_path: Path, merchant_copy: bool, pos_mode: str | None) -> None:
    now = datetime.now(UTC)
    with MionSimulator(api_key=KEY) as simulator:
        settings = settings_for(simulator, tmp_path, merchant_copy=merchant_copy, pos_mode=pos_mode)
        with MionClient(settings.mion, KEY) as client:
            session = client.create_session(amount_cents=1250, reference="R-1",
                                            expires_at=now + timedelta(seconds=300))
            with Journal(tmp_path / "running.sqlite3") as running, Journal(tmp_path / "reconciled.sqlite3") as found:
                msat = sale_in(running, "R-1", session.session_id, client, now)
                sale_in(found, "R-1", session.session_id, client, now)
                simulator.mark_paid(session.session_id)
                paid_at = client.session_status(session.session_id).paid_at
                assert paid_at is not None

                # The running kiosk: the register's RecordPaid through the ledger (late, as reconcile records it).
                ledger = Ledger(settings, running, Devices(settings, running, lambda m: None), None)
                ledger.record(fx.RecordPaid(reference="R-1", session_id=session.session_id, paid_at=paid_at,
                                            amount_msat=msat, late=True), now)
                # kiosk reconcile, against the same Mion.
                assert reconcile(settings, KEY, found, as_json=True) == 0

                def outputs(journal: Journal) -> tuple[list[str], list[str]]:
                    record = journal.get("R-1")
                    assert record is not None and record.phase is Phase.PAID
                    return ([job.copy for job in journal.pending_prints()],
                            [message.line for message in journal.pending_till_messages()])

                assert outputs(found) == outputs(running)
                copies, lines = outputs(found)
    assert copies == (["customer", "merchant"] if merchant_copy else ["customer"])
    if pos_mode == "line":
        assert len(lines) == 1 and lines[0].startswith("EVENT PAID ref=R-1 ")
    else:
        assert lines == []  # a pole display, or no till, is told nothing


def test_reconcile_takes_no_payment_whose_paid_at_is_outside_the_sales_life(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    moment = [now]
    with MionSimulator(api_key=KEY, clock=lambda: moment[0]) as simulator:
        settings = settings_for(simulator, tmp_path, merchant_copy=False, pos_mode="line")
        with MionClient(settings.mion, KEY) as client, Journal(tmp_path / "j.sqlite3") as journal:
            session = client.create_session(amount_cents=1250, reference="R-2", expires_at=now + timedelta(seconds=300))
            sale_in(journal, "R-2", session.session_id, client, now)
            moment[0] = now + timedelta(days=1)  # Mion's clock says the payment came a day later
            simulator.mark_paid(session.session_id)
            assert reconcile(settings, KEY, journal, as_json=True) == 0
            record = journal.get("R-2")
            assert record is not None and record.phase is not Phase.PAID
            assert journal.pending_prints() == [] and journal.pending_till_messages() == []
