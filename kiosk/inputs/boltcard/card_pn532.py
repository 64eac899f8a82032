"""A PN532 on the Pi's UART (nfcpy) or I2C (Adafruit's PN532 library): wait for a card, read its link.

UART: ``pip install nfcpy``; enable the UART (``enable_uart=1``), no serial console on it; ``device`` is
the port (``/dev/serial0``, or ``/dev/ttyUSB0`` for a USB-serial board). nfcpy waits for a card in its
own polling of the chip (the PN532 has no card interrupt on UART), inside ``clf.connect``.

I2C: ``pip install adafruit-circuitpython-pn532``; the Pi's I2C bus 1 (GPIO2/3) is used. The chip itself
waits for a card (InListPassiveTarget) for up to the timeout; the NDEF file is then read with the
same APDUs as a PC/SC reader (:func:`kiosk.inputs.boltcard.card_pcsc.read_ndef`).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from kiosk.inputs.boltcard.card_pcsc import read_ndef
from kiosk.inputs.boltcard.source import CardError, CardSource

log = logging.getLogger(__name__)


class Pn532CardSource(CardSource):
    def __init__(self, kind: str, device: str) -> None:
        self.kind = kind
        self.device = device
        self._frontend: Any = None
        self._problem: str | None = None
        self._closed = False
        self._last_uid: bytes | None = None

    def open(self) -> None:
        try:
            if self.kind == "pn532-uart":
                import nfc

                port = self.device.removeprefix("/dev/").removeprefix("tty")
                self._frontend = nfc.ContactlessFrontend(f"tty:{port}:pn532")
            else:
                import board  # Blinka's board support: the Pi's I2C bus 1 (SCL GPIO3, SDA GPIO2)
                import busio
                from adafruit_pn532.i2c import PN532_I2C

                self._frontend = PN532_I2C(busio.I2C(board.SCL, board.SDA), debug=False)
                self._frontend.SAM_configuration()
        except ImportError as exc:
            self._problem = "driver missing"
            raise CardError(f"the PN532 driver is not installed ({exc.name})") from None
        except Exception as exc:  # noqa: BLE001 - the drivers raise their own kinds; the reader is then unusable
            self._problem = "no reader"
            raise CardError(f"the PN532 could not be opened ({type(exc).__name__})") from None

    def wait_tap(self, timeout_s: float) -> str | None:
        if self._closed or self._frontend is None:
            return None
        if self.kind == "pn532-uart":
            return self._wait_uart(timeout_s)
        return self._wait_i2c(timeout_s)

    def _wait_uart(self, timeout_s: float) -> str | None:
        found: list[str] = []
        deadline = time.monotonic() + timeout_s

        def on_connect(tag: Any) -> bool:
            try:
                records = tag.ndef.records if tag.ndef is not None else []
                if records and hasattr(records[0], "iri"):
                    found.append(str(records[0].iri))
            except Exception:  # noqa: BLE001 - nfcpy's tag errors: the card was not readable
                found.append("")
            return True  # hold until the card is taken away: one tap counts once

        self._frontend.connect(rdwr={"on-connect": on_connect},
                               terminate=lambda: self._closed or (not found and time.monotonic() > deadline))
        if found == [""]:
            raise CardError("the card could not be read")
        return found[0] if found else None

    def _wait_i2c(self, timeout_s: float) -> str | None:
        uid = self._frontend.read_passive_target(timeout=timeout_s)
        if uid is None:
            self._last_uid = None
            return None
        if bytes(uid) == self._last_uid:
            return None  # still held: it counted already
        self._last_uid = bytes(uid)

        def transmit(apdu: list[int]) -> tuple[bytes, int, int]:
            answer = self._frontend.call_function(0x40, params=[0x01, *apdu], response_length=255)
            if answer is None or len(answer) < 3 or answer[0] != 0x00:
                raise CardError("the card was taken away too soon")
            return bytes(answer[1:-2]), answer[-2], answer[-1]

        return read_ndef(transmit)

    def close(self) -> None:
        self._closed = True
        if self._frontend is not None and self.kind == "pn532-uart":
            try:
                self._frontend.close()
            except Exception:
                log.debug("closing the PN532 failed", exc_info=True)

    @property
    def problem(self) -> str | None:
        return self._problem
