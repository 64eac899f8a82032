"""`kiosk history` and `kiosk show`: text for people, JSON for scripts."""

from __future__ import annotations

import json
from datetime import timedelta, timezone

from store_helpers import INVOICE, at, new_sale, status

from kiosk.core.model import Phase, SaleSource
from kiosk.store.journal import Journal
from kiosk.store.records import SaleRecord
from kiosk.store.views import history_json, history_text, sale_json, sale_text

HELSINKI = timezone(timedelta(hours=2))


def _day(journal: Journal) -> list[SaleRecord]:
    paid = new_sale(journal, reference="K1-20261128-0001", amount_cents=123_456)
    journal.record_status(paid, status("pending"), at(3))
    journal.record_status(paid, status("funded", paid_at=at(20)), at(21))
    journal.mark_paid(paid, paid_at=at(20), amount_msat=25_000_123, late=True, at=at(21),
                      print_copies=("customer",), till_line="PAID")
    journal.mark_printed(journal.pending_prints()[0].job_id, at(22))
    journal.create_sale(reference="K1-20261128-0002", amount_cents=500, source=SaleSource.POS, at=at(60))
    journal.end_sale("K1-20261128-0002", Phase.ERROR, at(61), detail="Mion said \x1b[31mno\x1b[0m")
    return journal.sales_between(at(-1), at(100))


def test_history_text_has_one_aligned_line_per_sale_and_a_summary(journal: Journal) -> None:
    text = history_text(_day(journal), "en", HELSINKI)
    lines = text.splitlines()
    assert lines[0].split() == ["Time", "Reference", "EUR", "sats", "Status"]
    assert lines[1].startswith("2026-11-28 15:05:00  K1-20261128-0001")  # local time, not UTC
    assert "€1,234.56" in lines[1] and "25,001" in lines[1] and lines[1].endswith("paid (late)")
    assert "€5.00" in lines[2] and lines[2].endswith("error") and " - " in lines[2]  # no invoice: no sats
    assert lines[3] == "2 sales, 1 paid, €1,234.56 received"
    assert len({line.index("K1-") for line in lines[1:3]}) == 1


def test_history_text_follows_the_language(journal: Journal) -> None:
    text = history_text(_day(journal), "de", HELSINKI)
    assert "1.234,56\u00a0€" in text


def test_an_empty_history_says_so() -> None:
    assert history_text([], "en", HELSINKI) == "No sales.\n"


def test_history_json_is_integers_and_utc(journal: Journal) -> None:
    data = json.loads(history_json(_day(journal)))
    assert [d["reference"] for d in data] == ["K1-20261128-0001", "K1-20261128-0002"]
    first = data[0]
    assert (first["amount_cents"], first["amount_msat"], first["amount_sat"]) == (123_456, 25_000_123, 25_001)
    assert first["phase"] == "paid" and first["late"] is True
    assert first["paid_at"] == "2026-11-28T13:05:20.123456Z"
    assert first["receipt_printed_at"] == "2026-11-28T13:05:22.123456Z" and first["till_notified_at"] is None
    assert "attempts" not in first


def test_sale_text_tells_everything_and_defuses_control_characters(journal: Journal) -> None:
    paid, failed = _day(journal)
    text = sale_text(paid, HELSINKI)
    for expected in ("K1-20261128-0001", "paid (late)", "€1,234.56", "25,001\u00a0sats (25000123 msat)", "ps_1",
                     "Receipt printed:", "2026-11-28 15:05:22", "Till notified:   no", INVOICE,
                     "Attempts (1):", "Statuses (2):", "funded  paidAt 2026-11-28 15:05:20"):
        assert expected in text, expected
    failed_text = sale_text(failed, HELSINKI)
    assert "\x1b" not in failed_text and "Mion said ?[31mno?[0m" in failed_text


def test_sale_json_round_trips_attempts_and_statuses(journal: Journal) -> None:
    paid, _ = _day(journal)
    data = json.loads(sale_json(paid))
    assert data["attempts"] == [{"invoice": INVOICE, "amount_msat": 25_000_123, "amount_sat": 25_001,
                                 "expires_at": "2026-11-28T13:07:00.123456Z",
                                 "created_at": "2026-11-28T13:05:02.123456Z"}]
    assert [s["status"] for s in data["statuses"]] == ["pending", "funded"]
    assert data["statuses"][0]["paid_at"] is None
