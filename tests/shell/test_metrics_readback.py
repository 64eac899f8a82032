"""Counters read back from the journal at start equal what the running kiosk counted, late payments
and tips included.

Given a ledger that journals sales of every outcome and tells the metrics, as the running kiosk does;
when the kiosk restarts and its metrics start from the journal's totals; then every counter (and the
time of the last payment) is exactly what it was before the restart.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from kiosk.config import Settings
from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.core.model import Phase, SaleSource
from kiosk.core.register_watch import Watches
from kiosk.core.view import InvoiceView
from kiosk.mion.simulator import MionSimulator
from kiosk.shell.devices import Devices
from kiosk.shell.ledger import Ledger
from kiosk.shell.metrics import KioskMetrics
from kiosk.store import schema
from kiosk.store.journal import Journal
from kiosk.store.tallies import count, read_tallies
from tests.helpers import charge, drive, running_kiosk
from tests.shell.test_metrics import fetch, metrics_settings, pay_one_sale, samples, url

T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
COUNTED = ("kiosk_sales_total", "kiosk_paid_cents_total", "kiosk_paid_sats_total", "kiosk_tips_cents_total",
           "kiosk_late_payments_total", "kiosk_last_paid_timestamp_seconds")


def counters(metrics: KioskMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The counted samples of ``metrics``, as a scrape shows them (parsed by prometheus_client)."""
    found = {}
    for family in text_string_to_metric_families(generate_latest(metrics.registry).decode()):
        for sample in family.samples:
            if sample.name in COUNTED:
                found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def sell(ledger: Ledger, reference: str, cents: int, at: datetime, *, tip: int = 0) -> None:
    ledger.record(fx.RecordSale(reference=reference, amount_cents=cents, source=SaleSource.KEYPAD, tip_cents=tip), at)
    ledger.record(fx.RecordSession(reference=reference, session_id=f"ps_{reference}"), at)


def pay(ledger: Ledger, reference: str, cents: int, at: datetime, *, late: bool) -> None:
    ledger.record(fx.RecordPaid(reference=reference, session_id=f"ps_{reference}", paid_at=at,
                                amount_msat=cents * 20_000 + 1, late=late), at)


def end(ledger: Ledger, reference: str, phase: Phase, at: datetime) -> None:
    ledger.record(fx.RecordEnded(reference=reference, phase=phase, detail=None), at)


def test_every_outcome_and_late_payments_read_back_as_the_running_kiosk_counted(tmp_path: Path) -> None:
    settings = Settings()
    path = tmp_path / "journal.sqlite3"
    running = KioskMetrics(path, stale_after_s=10)
    with Journal(path) as journal:
        running.start_from(read_tallies(path))
        ledger = Ledger(settings, journal, Devices(settings, journal, lambda message: None), None, observer=running)
        at = T0
        for reference, cents, tip in (("K-1", 1150, 150), ("K-2", 500, 0), ("K-3", 700, 0), ("K-4", 900, 0),
                                      ("K-5", 300, 0), ("K-6", 1000, 0), ("K-7", 2200, 200), ("K-8", 400, 0)):
            sell(ledger, reference, cents, at, tip=tip)
        pay(ledger, "K-1", 1150, at + timedelta(seconds=30), late=False)        # paid in time, with a tip
        end(ledger, "K-2", Phase.EXPIRED, at)
        end(ledger, "K-3", Phase.CANCELLED, at)
        end(ledger, "K-4", Phase.BLOCKED, at)
        end(ledger, "K-5", Phase.ERROR, at)
        end(ledger, "K-6", Phase.EXPIRED, at)
        pay(ledger, "K-6", 1000, at + timedelta(seconds=90), late=True)         # expired, then paid
        end(ledger, "K-7", Phase.CANCELLED, at)
        pay(ledger, "K-7", 2200, at + timedelta(seconds=60), late=True)         # cancelled, then paid (tipped)
        pay(ledger, "K-8", 400, at + timedelta(seconds=45), late=True)          # paid after its invoice ran out,
        #                                                                         before the kiosk ended the sale
        end(ledger, "K-6", Phase.EXPIRED, at)  # an end after the payment changes nothing
    before = counters(running)
    restarted = KioskMetrics(path, stale_after_s=10)
    restarted.start_from(read_tallies(path))
    assert counters(restarted) == before

    def sales(outcome: str) -> float:
        return before[("kiosk_sales_total", (("outcome", outcome),))]

    # Each sale once, by the outcome it first ended with; the late ones also as late payments.
    assert (sales("paid"), sales("expired"), sales("cancelled"), sales("blocked"), sales("error")) == (2, 2, 2, 1, 1)
    assert before[("kiosk_late_payments_total", ())] == 3
    assert before[("kiosk_paid_cents_total", ())] == 1150 + 1000 + 2200 + 400
    assert before[("kiosk_tips_cents_total", ())] == 150 + 200
    assert before[("kiosk_paid_sats_total", ())] == (1150 + 1000 + 2200 + 400) * 20 + 4 / 1000
    assert before[("kiosk_last_paid_timestamp_seconds", ())] == (T0 + timedelta(seconds=90)).timestamp()


def test_a_journal_from_before_ended_as_keeps_its_counts_when_it_is_upgraded(tmp_path: Path) -> None:
    """Schema 6 keeps the first outcome; a schema-5 journal reads back the same before and after."""
    path = tmp_path / "journal.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    schema.migrate(conn, schema.MIGRATIONS[:5])
    rows = [("O-1", "paid", 0, 150), ("O-2", "paid", 1, 0), ("O-3", "cancelled", 0, 0), ("O-4", "error", 0, 0),
            ("O-5", "awaiting_payment", 0, 0)]
    for reference, phase, late, tip in rows:
        conn.execute("INSERT INTO sale (reference, amount_cents, source, phase, created_us, updated_us, paid_at_us, "
                     "amount_msat, late, tip_cents) VALUES (?, 1000, 'pos', ?, 1, 1, ?, ?, ?, ?)",
                     (reference, phase, 5 if phase == "paid" else None, 20_000_000 if phase == "paid" else None,
                      late, tip))
    old = count(conn)
    conn.close()
    assert old.outcomes == {"paid": 1, "expired": 1, "cancelled": 1, "blocked": 0, "error": 1}
    assert (old.tips_cents, old.late_payments) == (150, 1)
    with Journal(path) as journal:  # upgrades it
        late = journal.get("O-2")
        assert late is not None and late.ended_as is Phase.EXPIRED
        on_time, ended = journal.get("O-1"), journal.get("O-3")
        assert on_time is not None and on_time.ended_as is None
        assert ended is not None and ended.ended_as is Phase.CANCELLED
    assert read_tallies(path) == old


def test_a_kiosk_restarted_after_a_late_payment_serves_the_counters_it_had(simulator: MionSimulator,
                                                                           tmp_path: Path) -> None:
    """End to end: one sale paid, one cancelled at the kiosk and then paid from the wallet, restart."""
    settings = metrics_settings(simulator, tmp_path)
    with running_kiosk(settings, tmp_path) as app:
        quick = dataclasses.replace(app.register.timing, watch_poll_s=0.05)  # the late-payment watch, quicker
        app.register.timing, app.register.watches = quick, Watches(quick)
        pay_one_sale(app, simulator)
        charge(app, "7")
        drive(app, lambda a: isinstance(a.register.view(a.now()), InvoiceView))
        sale = app.register.sale
        assert sale is not None and sale.session_id is not None
        app.feed(ev.KeyPressed(key=ev.Key.CANCEL))
        drive(app, lambda a: (record := a.journal.get(sale.reference)) is not None and record.phase is Phase.CANCELLED)
        simulator.mark_paid(sale.session_id)
        drive(app, lambda a: (record := a.journal.get(sale.reference)) is not None and record.phase is Phase.PAID)
        before = served(fetch(url(app, "/metrics"))[1])
    with running_kiosk(settings, tmp_path) as app:
        drive(app, lambda a: True)
        after = served(fetch(url(app, "/metrics"))[1])
    assert after == before
    assert before[("kiosk_sales_total", (("outcome", "paid"),))] == 1
    assert before[("kiosk_sales_total", (("outcome", "cancelled"),))] == 1
    assert before[("kiosk_sales_total", (("outcome", "expired"),))] == 0
    assert before[("kiosk_late_payments_total", ())] == 1
    assert before[("kiosk_paid_cents_total", ())] == 1250 + 700


def served(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {key: value for key, value in samples(text).items() if key[0] in COUNTED}
