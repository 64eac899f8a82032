"""The ``[nfc]`` settings: tap to pay with a Bolt Card (``kiosk.inputs.boltcard``)."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.config_check import check_numbers, number, refuse_secret, require

NFC_READERS = ("pcsc", "pn532-uart", "pn532-i2c", "demo")


@dataclass(frozen=True, slots=True)
class NfcSettings:
    enabled: bool = False
    """Offer "or tap your card" beside the QR code."""
    reader: str = "pcsc"
    """pcsc (a USB CCID reader through pcscd: ACR1252U, uTrust 3700 F), pn532-uart, pn532-i2c, or demo."""
    device: str = ""
    """pcsc: part of the reader's name ("" = the first reader); pn532-uart: the serial port
    (/dev/serial0); pn532-i2c: the bus number, which must be 1 (GPIO2/3, the one Blinka drives)."""
    max_tap_amount_cents: int = number(20_000, 1, 1_000_000, "cents")
    """Above this amount no tap is offered: the customer scans the QR code."""
    min_time_left_s: float = number(60.0, 10.0, 600.0, "s")
    """A tap is taken only while the invoice on screen has at least this long left (a withdrawal
    must finish before the invoice goes)."""
    request_timeout_s: float = number(10.0, 1.0, 60.0, "s")
    """Total time for reading the card's withdraw request."""
    callback_timeout_s: float = number(45.0, 5.0, 120.0, "s")
    """Total time for the card's service to accept the invoice (it may route the payment meanwhile)."""
    pin_timeout_s: float = number(30.0, 5.0, 120.0, "s")
    """How long the PIN entry waits for the customer."""

    def check(self) -> None:
        check_numbers(self, "nfc")
        require(self.reader in NFC_READERS, "nfc", "reader", "pcsc, pn532-uart, pn532-i2c or demo", self.reader)
        refuse_secret("nfc", "device", self.device)
        require(not self.enabled or self.reader != "pn532-uart" or bool(self.device), "nfc", "device",
                "a serial port (such as /dev/serial0) for reader pn532-uart", self.device)
