"""``kiosk pos-console --zvt``: the installer's stand-in till, against the kiosk's terminal."""

from __future__ import annotations

import pytest

from kiosk.inputs.till_protocol import PaidSale
from kiosk.inputs.zvt.console import EcrConsole, command_bytes
from kiosk.inputs.zvt.till import ZvtTill
from tests.inputs.pos_fakes import NOW
from tests.inputs.test_zvt_terminal import make


@pytest.mark.parametrize("serial", [False, True])
def test_register_pay_and_the_outcome_are_shown(serial: bool) -> None:
    till, desk, _, _ = make(serial=serial)
    shown: list[str] = []
    to_kiosk: list[bytes] = []
    console = EcrConsole(to_kiosk.append, shown.append, serial_link=serial)

    def exchange(data: bytes) -> None:
        for _ in range(50):
            pending, to_kiosk[:] = b"".join(to_kiosk) + data, []
            data = b""
            if not pending:
                return
            for reply in till.receive(pending):
                console.received(reply)

    for typed in ("register", "pay 12,50"):
        apdu = command_bytes(typed)
        assert apdu is not None
        console.send(apdu)
        exchange(b"")
    assert desk.calls == ["start 1250 None"]
    paid = ZvtTill.paid_message(PaidSale(reference="K1-0001", session_id="ps_9", paid_at=NOW, amount_msat=1))
    console.received(till.message_bytes(paid or ""))
    exchange(b"")
    assert any("result 00, amount 12,50, Mion session ps_9" in line for line in shown), "\n".join(shown)
    assert shown[-1].startswith("< 06 0F 00")


def test_typed_commands() -> None:
    assert command_bytes("pay 12.50") == bytes.fromhex("06010A 04000000001250 490978")
    assert command_bytes("register 123456 B6") == bytes.fromhex("060008 123456 B6 0978 0300")
    assert command_bytes("eod") == bytes.fromhex("065003 000000")
    for bad in ("pay", "pay twelve", "pay -1", "refund 5", ""):
        assert command_bytes(bad) is None


def test_the_console_needs_exactly_one_link(capsys: pytest.CaptureFixture[str]) -> None:
    from kiosk.cli import main

    assert main(["pos-console", "--zvt"]) == 2
    assert main(["pos-console", "--zvt", "--port", "loop://", "--tcp", "127.0.0.1:1"]) == 2
    assert main(["pos-console"]) == 2
    assert "give --port" in capsys.readouterr().err
