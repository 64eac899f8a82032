"""ZVT with tips (docs/zvt.md, "Tips"): the till is told the total the customer paid, and the tip."""

from __future__ import annotations

import dataclasses

import pytest

from kiosk.inputs.till_protocol import PaidSale
from kiosk.inputs.zvt import status as st
from kiosk.inputs.zvt.terminal import tip_of
from kiosk.inputs.zvt.till import ZvtTill
from tests.inputs.pos_fakes import NOW, FakeDesk
from tests.inputs.test_zvt_terminal import bcd6, deliver, make, send
from tests.zvt_ecr import EcrWire, apdu, authorization, end_of_day, registration


def tipped(reference: str, tip_cents: int) -> str | None:
    return ZvtTill.paid_message(PaidSale(reference=reference, session_id="ps_77", paid_at=NOW, amount_msat=1,
                                         tip_cents=tip_cents))


def chose(desk: FakeDesk, reference: str, tip_cents: int) -> None:
    """The customer chose ``tip_cents``: the journal keeps the sale for the total, the tip apart."""
    record = desk.records[reference]
    desk.records[reference] = dataclasses.replace(record, amount_cents=record.amount_cents + tip_cents,
                                                  tip_cents=tip_cents)


def test_the_paid_line_carries_the_tip_only_when_there_is_one() -> None:
    assert tipped("K1-0001", 125) == "ZVT PAID K1-0001 ps_77 tip=125"
    assert tipped("K1-0001", 0) == "ZVT PAID K1-0001 ps_77"


@pytest.mark.parametrize(("fields", "tip"), [
    (["tip=125"], 125), ([], 0), (["tip=0"], 0), (["tip="], 0), (["tip=-5"], 0), (["tip=1e3"], 0),
    (["tip=\u0661\u0662"], 0), (["x", "tip=7"], 7), (["tips=9"], 0),
])
def test_only_a_plain_whole_number_of_cents_is_a_tip(fields: list[str], tip: int) -> None:
    assert tip_of(fields) == tip


def test_a_ten_percent_tip_on_12_50_reports_13_75_and_shows_the_tip() -> None:
    till, desk, ecr, _ = make()
    send(till, ecr, registration(config=0x3E))  # the till builds its slip from the status information
    send(till, ecr, authorization(1250))
    chose(desk, "K1-0001", 125)
    deliver(till, ecr, tipped("K1-0001", 125))
    (status,) = ecr.statuses()
    assert status[0x27] == b"\x00" and status[0x04] == bcd6(1375)  # the total charged, not the till's 12,50
    text = status[0x3C].decode("cp437")
    assert text.startswith("Tip EUR 1,25 incl. in EUR 13,75 (sale EUR 12,50); ")
    assert text.endswith("Mion session ps_77 ref K1-0001")
    assert not any(raw[:2] == b"\x06\xd1" for raw in ecr.received)  # it did not ask for print lines
    assert ecr.finished() == bytes.fromhex("060F00")


def test_without_a_tip_the_status_is_as_before() -> None:
    till, _, ecr, _ = make()
    send(till, ecr, authorization(1250))
    deliver(till, ecr, tipped("K1-0001", 0))
    (status,) = ecr.statuses()
    assert status[0x04] == bcd6(1250) and status[0x3C] == b"Mion session ps_77 ref K1-0001"


def test_the_tills_slip_lines_show_amount_tip_and_total() -> None:
    till, desk, ecr, _ = make()
    send(till, ecr, registration(config=0xBE))  # 80 + 02: print commands for payment receipts
    send(till, ecr, authorization(1250))
    chose(desk, "K1-0001", 125)
    deliver(till, ecr, tipped("K1-0001", 125))
    prints = [raw for raw in ecr.received if raw[:2] == b"\x06\xd1"]
    lines = [raw[4:] for raw in prints]
    assert lines[1:4] == [b"Amount EUR 12,50", b"Tip    EUR 1,25", b"Total  EUR 13,75"]
    assert len(lines) == 9 and all(len(line) <= 40 for line in lines)
    assert [raw[3] for raw in prints] == [0x00] * 8 + [0x81]  # only the last line ends the receipt
    assert ecr.finished() == bytes.fromhex("060F00")


def test_end_of_day_totals_count_what_the_customers_paid_with_their_tips() -> None:
    till, desk, ecr, _ = make()
    send(till, ecr, authorization(1250))
    chose(desk, "K1-0001", 125)
    deliver(till, ecr, tipped("K1-0001", 125))
    desk.mark_paid("K1-0001")
    send(till, ecr, authorization(990))
    deliver(till, ecr, tipped("K1-0002", 0))
    desk.mark_paid("K1-0002")
    send(till, ecr, end_of_day())
    assert ecr.statuses()[-1][0x04] == bcd6(1375 + 990)


def test_repeat_receipt_after_a_restart_reports_the_journaled_total_and_tip() -> None:
    till, desk, ecr, _ = make()
    send(till, ecr, authorization(1250))
    desk.mark_paid("K1-0001")
    chose(desk, "K1-0001", 125)
    restarted = ZvtTill(till.settings, desk, lambda _: None)
    restarted.now = NOW
    ecr = EcrWire(serial=False)
    send(restarted, ecr, apdu(0x06, 0x20, bytes.fromhex("000000")))
    (status,) = ecr.statuses()
    assert status[0x04] == bcd6(1375) and status[0x3C].startswith(b"Tip EUR 1,25 incl. in EUR 13,75")


def test_the_journal_decides_the_total_even_for_a_line_without_the_tip() -> None:
    """A payment line queued before the line carried tips: the journal still knows what was charged."""
    till, desk, ecr, _ = make()
    send(till, ecr, authorization(1250))
    chose(desk, "K1-0001", 125)
    deliver(till, ecr, tipped("K1-0001", 0))
    (status,) = ecr.statuses()
    assert status[0x04] == bcd6(1375) and status[0x3C].startswith(b"Tip EUR 1,25 ")


def test_without_the_sale_in_the_journal_the_line_s_tip_is_added_to_the_tills_amount() -> None:
    till, desk, ecr, _ = make()
    send(till, ecr, authorization(1250))
    del desk.records["K1-0001"]
    deliver(till, ecr, tipped("K1-0001", 125))
    (status,) = ecr.statuses()
    assert status[0x04] == bcd6(1375) and status[0x3C].startswith(b"Tip EUR 1,25 ")


def test_amounts_are_written_in_cents_exactly() -> None:
    assert [st.eur(c) for c in (0, 5, 99, 100, 1375, 100_000)] == ["0,00", "0,05", "0,99", "1,00", "13,75", "1000,00"]
