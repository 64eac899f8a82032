"""The kiosk as a ZVT terminal, driven by a till written from the spec (tests/zvt_ecr.py)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.config import PosSettings, Settings
from kiosk.config_zvt import ZvtSettings
from kiosk.core.model import Phase
from kiosk.inputs.till_protocol import PaidSale
from kiosk.inputs.zvt.till import ZvtTill
from tests.inputs.pos_fakes import NOW, FakeDesk
from tests.zvt_ecr import ABORT, EcrWire, apdu, authorization, end_of_day, frame, registration


def make(*, serial: bool = False, **zvt: object) -> tuple[ZvtTill, FakeDesk, EcrWire, list[str]]:
    listen = "" if serial else "127.0.0.1:20007"
    cfg = Settings(pos=PosSettings(enabled=True, mode="zvt", port="loop://" if serial else ""),
                   zvt=ZvtSettings(listen=listen, **zvt))  # type: ignore[arg-type]
    desk = FakeDesk()
    till = ZvtTill(cfg, desk, lambda _: None)
    till.now = NOW
    return till, desk, EcrWire(serial=serial), desk.unbooked


def pump(till: ZvtTill, ecr: EcrWire, first: bytes) -> None:
    """Hand the kiosk ``first`` and go on exchanging until neither side has anything to say."""
    pending = first
    for _ in range(100):
        if not pending:
            return
        out = b"".join(till.receive(pending))
        pending = ecr.feed(out)
    raise AssertionError("the exchange did not settle")


def send(till: ZvtTill, ecr: EcrWire, raw: bytes) -> None:
    pump(till, ecr, ecr.command(raw))


def deliver(till: ZvtTill, ecr: EcrWire, line: str | None) -> None:
    assert line is not None
    pump(till, ecr, ecr.feed(till.message_bytes(line)))


def paid(reference: str) -> str | None:
    return ZvtTill.paid_message(PaidSale(reference=reference, session_id="ps_77", paid_at=NOW, amount_msat=1))


def test_registration_answers_with_the_terminal_id_and_currency() -> None:
    till, _, ecr, _ = make()
    send(till, ecr, registration())
    assert ecr.received[0] == bytes.fromhex("800000")
    assert ecr.received[1] == bytes.fromhex("060F0A 1900 2952000001 490978")


def test_registration_refuses_a_wrong_password_and_a_foreign_currency() -> None:
    till, _, ecr, _ = make(password="123456")
    send(till, ecr, registration("000000"))
    assert ecr.received == [bytes.fromhex("848300")]
    send(till, ecr, apdu(0x06, 0x00, bytes.fromhex("123456 BE 0840")))
    assert ecr.received[-1] == bytes.fromhex("846F00")


def test_paid_authorization_of_12_50_eur() -> None:
    till, desk, ecr, lost = make()
    send(till, ecr, registration(config=0x3E))  # wants intermediate status, prints itself (no 80)
    send(till, ecr, authorization(1250))
    assert desk.calls == ["start 1250 None"]
    assert ecr.received[2:] == [bytes.fromhex("800000"), bytes.fromhex("04FF010E")]
    deliver(till, ecr, ZvtTill.invoice_message("K1-0001", 2100, NOW))
    assert ecr.received[-1] == bytes.fromhex("04FF010E")
    deliver(till, ecr, paid("K1-0001"))
    (status,) = ecr.statuses()
    assert status[0x27] == b"\x00" and status[0x04] == bytes.fromhex("000000001250")
    assert status[0x8B] == b"Lightning\x00" and b"ps_77" in status[0x3C]
    assert 0x0B in status and 0x87 in status and status[0x49] == bytes.fromhex("0978")
    assert ecr.finished() == bytes.fromhex("060F00")
    assert lost == []


def test_the_till_prints_the_slip_when_it_asked_to() -> None:
    till, _, ecr, _ = make()
    send(till, ecr, registration(config=0xBE))  # 80 + 02: print commands for payment receipts
    send(till, ecr, authorization(1250))
    deliver(till, ecr, paid("K1-0001"))
    lines = [raw[4:] for raw in ecr.received if raw[:2] == b"\x06\xd1"]
    assert lines[1] == b"Amount EUR 12,50" and len(lines) == 7
    assert ecr.received[-1] == bytes.fromhex("060F00")


def test_expired_and_cancelled_end_with_abort_6c_and_blocked_with_05() -> None:
    for phase, code in ((Phase.EXPIRED, 0x6C), (Phase.CANCELLED, 0x6C), (Phase.BLOCKED, 0x05),
                        (Phase.ERROR, 0x66)):
        till, _, ecr, _ = make()
        send(till, ecr, authorization(1250))
        deliver(till, ecr, ZvtTill.ended_message("K1-0001", phase, None))
        assert ecr.statuses()[-1][0x27] == bytes([code])
        assert ecr.finished() == bytes([0x06, 0x1E, 0x01, code])


def test_ecr_abort_cancels_the_open_sale() -> None:
    till, desk, ecr, _ = make()
    send(till, ecr, authorization(1250))
    send(till, ecr, ABORT)
    assert desk.calls[-1] == "cancel K1-0001" and ecr.received[-1] == bytes.fromhex("800000")
    deliver(till, ecr, ZvtTill.ended_message("K1-0001", Phase.CANCELLED, None))
    assert ecr.finished() == bytes.fromhex("061E016C")


def test_refunds_and_unknown_commands_are_function_not_possible() -> None:
    till, _, ecr, _ = make()
    for raw in (apdu(0x06, 0x31, b"\x04" + bytes(6)), apdu(0x06, 0x30), apdu(0x06, 0xE0), apdu(0x08, 0x01)):
        send(till, ecr, raw)
    assert ecr.received == [bytes.fromhex("848300")] * 4


def test_refused_amounts_get_their_result_code() -> None:
    till, _, ecr, _ = make()
    send(till, ecr, authorization(100_001))
    send(till, ecr, authorization(0))
    assert ecr.received == [bytes.fromhex("84C300"), bytes.fromhex("84C800")]


def test_a_till_without_intermediate_status_gets_its_outcome_inside_its_window() -> None:
    till, desk, ecr, _ = make(max_wait_s=170)
    send(till, ecr, registration(config=0xB6))  # Portalum's default: no 08
    send(till, ecr, authorization(1250))
    assert ecr.received[-1] == bytes.fromhex("800000")  # no 04 FF
    till.now = NOW + timedelta(seconds=169.9)
    assert list(till.on_tick(till.now)) == [] and desk.calls[-1] == "start 1250 None"
    till.now = NOW + timedelta(seconds=170)
    assert list(till.on_tick(till.now)) == [] and desk.calls[-1] == "cancel K1-0001"


def test_intermediate_status_keeps_a_patient_till_waiting() -> None:
    till, _, ecr, _ = make(status_interval_s=20)
    send(till, ecr, registration(config=0x3E))
    send(till, ecr, authorization(1250))
    count = len(ecr.received)
    assert list(till.on_tick(NOW + timedelta(seconds=19.9))) == []
    (out,) = till.on_tick(NOW + timedelta(seconds=20))
    assert out == bytes.fromhex("04FF010E") and len(ecr.received) == count


def test_end_of_day_reports_the_total() -> None:
    till, _, ecr, _ = make()
    for n in (1, 2):
        send(till, ecr, authorization(1250))
        deliver(till, ecr, paid(f"K1-000{n}"))
        till.desk.mark_paid(f"K1-000{n}")  # type: ignore[attr-defined]
    send(till, ecr, end_of_day())
    assert ecr.statuses()[-1][0x04] == bcd6(2500) and ecr.finished() == bytes.fromhex("060F00")


def bcd6(cents: int) -> bytes:
    return bytes.fromhex(f"{cents:012d}")


def test_a_paid_status_the_till_refuses_is_paid_not_booked() -> None:
    till, _, ecr, lost = make()
    ecr.auto_ack = False
    send(till, ecr, authorization(1250))
    ecr.feed(till.message_bytes(paid("K1-0001") or ""))
    assert ecr.received[-1][:2] == b"\x04\x0f"
    assert lost == []
    pump(till, ecr, ecr.command(bytes.fromhex("840500")))
    assert lost == ["K1-0001: the till refused the paid status (84 05)"]


def test_a_payment_after_the_failure_is_paid_not_booked() -> None:
    till, _, ecr, lost = make()
    send(till, ecr, authorization(1250))
    deliver(till, ecr, ZvtTill.ended_message("K1-0001", Phase.EXPIRED, None))
    assert till.message_bytes(paid("K1-0001") or "") == b""
    assert lost and lost[0].startswith("K1-0001: paid after")


def test_serial_frames_are_acknowledged_and_a_bad_crc_is_nakked() -> None:
    till, _, ecr, _ = make(serial=True)
    send(till, ecr, registration())
    assert ecr.link_acks[0] == 0x06 and ecr.received[:2] == [bytes.fromhex("800000"),
                                                             bytes.fromhex("060F0A 1900 2952000001 490978")]
    bad = bytearray(ecr.command(authorization(1250)))
    bad[-1] ^= 0xFF
    assert b"".join(till.receive(bytes(bad))) == b"\x15"


def test_a_nakked_frame_is_sent_again_at_most_twice_and_the_next_waits_for_the_ack() -> None:
    till, _, ecr, _ = make(serial=True)
    ok = frame(bytes.fromhex("800000"))
    assert b"".join(till.receive(ecr.command(registration()))) == b"\x06" + ok  # 06 0F waits for the ACK
    repeats = [b"".join(till.receive(b"\x15")) for _ in range(3)]
    assert repeats[:2] == [ok, ok] and repeats[2].startswith(b"\x10\x02\x06\x0f")  # given up: the next one


def test_a_frame_without_ack_is_sent_again_after_t2() -> None:
    till, _, ecr, _ = make(serial=True)
    ok = frame(bytes.fromhex("800000"))
    assert b"".join(till.receive(ecr.command(registration()))) == b"\x06" + ok
    assert list(till.on_tick(NOW + timedelta(seconds=4.9))) == []
    assert list(till.on_tick(NOW + timedelta(seconds=5))) == [ok]
    assert b"".join(till.receive(b"\x06")).startswith(b"\x10\x02\x06\x0f")


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=200), st.booleans())
def test_nothing_the_till_sends_raises(data: bytes, serial: bool) -> None:
    till, _, _, _ = make(serial=serial)
    for reply in till.receive(data):
        assert isinstance(reply, bytes)


def test_repeat_receipt_after_a_restart_reports_the_journal_paid_sale() -> None:
    till, desk, ecr, _ = make()
    send(till, ecr, authorization(1250))
    desk.mark_paid("K1-0001")
    restarted = ZvtTill(till.settings, desk, lambda _: None)
    restarted.now = NOW
    ecr = EcrWire(serial=False)
    send(restarted, ecr, apdu(0x06, 0x20, bytes.fromhex("000000")))
    (status,) = ecr.statuses()
    assert status[0x27] == b"\x00" and status[0x04] == bcd6(1250) and b"ps_77" in status[0x3C]
    assert ecr.finished() == bytes.fromhex("060F00")
    fresh, _, ecr2, _ = make()
    send(fresh, ecr2, apdu(0x06, 0x20, bytes.fromhex("000000")))
    assert ecr2.received == [bytes.fromhex("848300")]  # nothing paid: nothing to repeat


def test_a_status_enquiry_during_a_payment_says_please_wait() -> None:
    till, _, ecr, _ = make()
    send(till, ecr, apdu(0x05, 0x01, bytes.fromhex("000000 0302")))
    assert ecr.finished() == bytes.fromhex("060F01 00")
    send(till, ecr, authorization(1250))
    send(till, ecr, apdu(0x05, 0x01, bytes.fromhex("000000 0302")))
    assert ecr.finished() == bytes.fromhex("060F01 9C")


def test_a_real_registration_with_service_byte_and_tlv_is_taken() -> None:
    # From a card complete acceptance log: password 123456, config 3E, EUR, service 03, TLV 26 {0A 02 06 D3}.
    till, _, ecr, _ = make(password="123456")
    send(till, ecr, bytes.fromhex("0600 10 123456 3E 0978 0303 0606 2604 0A0206D3"))
    assert ecr.received == [bytes.fromhex("800000"), bytes.fromhex("060F0A 1900 2952000001 490978")]
    assert till.terminal.config == 0x3E


def test_an_unknown_bmp_in_an_authorization_is_function_not_possible_and_changes_nothing() -> None:
    till, desk, ecr, _ = make()
    send(till, ecr, apdu(0x06, 0x01, bytes.fromhex("04 000000001250 07 00")))
    send(till, ecr, apdu(0x06, 0x01, bytes.fromhex("04 0000")))  # truncated amount
    assert ecr.received == [bytes.fromhex("848300"), bytes.fromhex("849A00")]
    assert desk.calls == []


COMMANDS = {
    "register": registration(config=0xBE), "pay": authorization(1250), "abort": ABORT,
    "status": apdu(0x05, 0x01), "eod": end_of_day(), "diagnosis": apdu(0x06, 0x70),
    "repeat": apdu(0x06, 0x20, bytes(3)), "logoff": apdu(0x06, 0x02), "refund": apdu(0x06, 0x31),
}
ACTIONS = [*COMMANDS, "ack", "nak", "paid", "expired", "shown", "tick"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(ACTIONS), max_size=30))
def test_any_sequence_answers_every_command_first_and_reports_paid_only_when_paid(actions: list[str]) -> None:
    till, desk, _, _ = make()
    paid_told = 0
    now = NOW
    for action in actions:
        reference = desk.open_reference or "K1-none"
        if action in COMMANDS:
            out = list(till.receive(COMMANDS[action]))
            assert out and out[0][0] in (0x80, 0x84) and out[0][2] == 0, (action, out)
        elif action in ("ack", "nak"):
            out = list(till.receive(bytes.fromhex("800000" if action == "ack" else "846600")))
        elif action == "paid" and desk.open_reference is not None:
            desk.mark_paid(reference)
            paid_told += 1
            out = [till.message_bytes(paid(reference) or "")]
        elif action == "expired" and desk.open_reference is not None:
            desk.cancel_sale(reference)
            out = [till.message_bytes(ZvtTill.ended_message(reference, Phase.EXPIRED, None) or "")]
        elif action == "shown":
            out = [till.message_bytes(ZvtTill.invoice_message(reference, 1, NOW) or "")]
        else:
            now += timedelta(seconds=40)
            out = list(till.on_tick(now))
        for raw in out:
            if raw[:2] == b"\x04\x0f" and b"Lightning\x00" in raw:  # a paid status
                assert paid_told and desk.last_paid() is not None


def test_a_till_that_stopped_answering_is_given_up_after_t4_and_a_later_payment_is_not_booked() -> None:
    till, desk, ecr, lost = make(status_interval_s=20)
    send(till, ecr, registration(config=0x3E))
    send(till, ecr, authorization(1250))  # its 04 FF is acknowledged at NOW: the till waits until NOW + 180 s
    ecr.auto_ack = False  # the till goes quiet
    assert list(till.on_tick(NOW + timedelta(seconds=20))) == [bytes.fromhex("04FF010E")]
    list(till.on_tick(NOW + timedelta(seconds=179.9)))
    assert desk.calls == ["start 1250 None"]
    list(till.on_tick(NOW + timedelta(seconds=180)))
    assert desk.calls[-1] == "cancel K1-0001"
    till.now = NOW + timedelta(seconds=181)
    desk.records["K1-0001"] = dataclasses.replace(desk.records["K1-0001"], phase=Phase.CREATING_SESSION)
    desk.mark_paid("K1-0001")  # the customer was quicker than the cancel
    assert till.message_bytes(paid("K1-0001") or "") == b""
    assert lost == ["K1-0001: paid after the till stopped waiting (T4)"]


def test_an_abort_after_the_payment_is_refused_while_the_paid_status_is_on_its_way() -> None:
    till, desk, ecr, _ = make()
    send(till, ecr, authorization(1250))
    ecr.auto_ack = False
    ecr.feed(till.message_bytes(paid("K1-0001") or ""))
    send(till, ecr, ABORT)
    assert ecr.received[-1] == bytes.fromhex("848300") and desk.calls == ["start 1250 None"]
    ecr.auto_ack = True
    send(till, ecr, bytes.fromhex("800000"))
    assert ecr.finished() == bytes.fromhex("060F00")
