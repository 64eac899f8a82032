"""What the ZVT codec and terminal cost on the main thread.

1. Serial deframing: bytes per second through ``FrameStream`` (frames of a paid status information,
   fed in 64-byte chunks as a serial read would hand them over).
2. One till conversation through ``ZvtTill`` over TCP: registration, authorization, the paid status
   and completion with every acknowledgement, in microseconds (the sale desk is a stand-in that
   answers at once, so only the protocol's own work is measured).

Run: .venv/bin/python benchmarks/zvt_codec.py
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from kiosk.config import PosSettings, Settings
from kiosk.config_zvt import ZvtSettings
from kiosk.inputs.till_protocol import PaidSale
from kiosk.inputs.zvt.apdu import encode_apdu
from kiosk.inputs.zvt.serial_frame import FrameStream, encode_frame
from kiosk.inputs.zvt.status import Booking, paid_status
from kiosk.inputs.zvt.till import ZvtTill
from kiosk.store.records import SaleRecord

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
ACK = bytes.fromhex("800000")


class Desk:
    def __init__(self) -> None:
        self.n = 0

    def start_sale(self, amount_cents: int, reference: str | None) -> str:
        self.n += 1
        return f"R-{self.n}"

    def cancel_sale(self, reference: str | None) -> str:
        return reference or "-"

    def sale_state(self, reference: str | None) -> SaleRecord | None:
        return None

    def last_paid(self) -> SaleRecord | None:
        return None

    def not_booked(self, reference: str, reason: str) -> None:
        raise AssertionError(reference)


def deframing(seconds: float = 1.0) -> float:
    booking = Booking(amount_cents=1250, trace=1, receipt=1, at=NOW, terminal_id="52000001", card_name="Lightning",
                      session_id="5c173464-6acb-4ba1-b9e6-2b9b247caa63", reference="K1-1", with_currency=True)
    wire = encode_frame(paid_status(booking)) * 50
    chunks = [wire[i:i + 64] for i in range(0, len(wire), 64)]
    stream, done, start = FrameStream(), 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for chunk in chunks:
            for _ in stream.feed(chunk):
                pass
        done += len(wire)
    return done / (time.perf_counter() - start)


def conversation(rounds: int = 2000) -> float:
    settings = Settings(pos=PosSettings(enabled=True, mode="zvt"), zvt=ZvtSettings(listen="127.0.0.1:20007"))
    till = ZvtTill(settings, Desk(), lambda _: None)
    till.now = NOW
    register = encode_apdu(0x06, 0x00, bytes.fromhex("000000 BE 0978"))
    start = time.perf_counter()
    for n in range(1, rounds + 1):
        list(till.receive(register))
        list(till.receive(ACK))
        list(till.receive(encode_apdu(0x06, 0x01, bytes.fromhex("04 000000001250"))))
        list(till.receive(ACK))  # the 04 FF
        paid = ZvtTill.paid_message(PaidSale(reference=f"R-{n}", session_id="s", paid_at=NOW, amount_msat=1))
        sent = [till.message_bytes(paid or "")]
        for _ in range(9):  # the status, seven print lines, the completion
            sent += till.receive(ACK)
        assert sent[0][:2] == b"\x04\x0f" and sent[-1] == bytes.fromhex("060F00"), sent
    return (time.perf_counter() - start) / rounds * 1e6


if __name__ == "__main__":
    print(f"serial deframing: {deframing() / 1e6:.2f} MB/s (a 115200-baud line carries 0.0115 MB/s)")
    print(f"one registration + paid authorization, protocol work only: {conversation():.0f} µs")
