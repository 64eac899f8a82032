"""``[zvt]``: the kiosk as a ZVT card terminal (``[pos] mode = "zvt"``; see docs/zvt.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kiosk.config_check import check_numbers, number
from kiosk.config_check import require as _require
from kiosk.errors import ConfigError

_LISTEN = re.compile(r"^(?P<host>[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:]+\]):(?P<port>\d{1,5})$")


@dataclass(frozen=True, slots=True, kw_only=True)
class ZvtSettings:
    listen: str = ""
    """TCP address the till connects to, such as "0.0.0.0:20007"; empty: the till uses [pos] port (serial)."""
    password: str = "000000"
    """The 6-digit password the till sends with registration, end-of-day and repeat receipt."""
    terminal_id: str = "52000001"
    """The 8-digit terminal ID reported to the till (BMP 29)."""
    card_name: str = "Lightning"
    """The card name on the till's slip and in its booking (BMP 8B)."""
    status_interval_s: float = number(20.0, 1, 150, "seconds")
    """While the QR code is up: how often a till that asked for it gets an intermediate status."""
    max_wait_s: float = number(170.0, 30, 175, "seconds")
    """A till that wants no intermediate status waits about 180 s: its sale is cancelled after this."""

    def check(self) -> None:
        check_numbers(self, "zvt")
        match = _LISTEN.match(self.listen)
        _require(not self.listen or (match is not None and 0 < int(match["port"]) < 65_536), "zvt", "listen",
                 "host:port such as 127.0.0.1:20007, or empty", self.listen)
        if not re.fullmatch(r"\d{6}", self.password):
            raise ConfigError("[zvt] password: expected 6 digits (the value is not repeated here)")
        _require(bool(re.fullmatch(r"\d{8}", self.terminal_id)), "zvt", "terminal_id", "8 digits", self.terminal_id)
        _require(0 < len(self.card_name) <= 40 and self.card_name.isascii() and self.card_name.isprintable(),
                 "zvt", "card_name", "1 to 40 printable ASCII characters", self.card_name)

    def check_link(self, zvt_enabled: bool, serial_port: str) -> None:
        """A ZVT till needs a way in: the serial port or the TCP listener (one line naming both)."""
        if zvt_enabled and not serial_port and not self.listen:
            raise ConfigError('[pos] port and [zvt] listen: [pos] mode = "zvt" needs one of them, a serial port '
                              'path for a till on a cable or host:port such as 0.0.0.0:20007 for a till on the '
                              'network; both are empty')

    @property
    def address(self) -> tuple[str, int] | None:
        """(host, port) to listen on; None for the serial link."""
        match = _LISTEN.match(self.listen)
        if match is None:
            return None
        return match["host"].strip("[]"), int(match["port"])
