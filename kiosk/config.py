"""Settings: one TOML file, loaded and checked once at start-up.

Every setting has a default, so an empty file (or none at all) gives the demo kiosk. A bad file
stops start-up with one line that names the setting and says what is expected::

    [sale] max_amount_cents: expected a whole number, got "12.50"
    [display] dim_after_s: expected seconds from 0 to 86400, got inf

Every number is declared with its range (``number(default, min, max, unit)``, see
``kiosk.config_check``), which docs/kiosk.example.toml repeats.

The API key is never in this file's dataclasses' repr, and is read from an environment variable or
a file of its own (a systemd credential on the appliance). A key pasted into another setting is not
repeated by any error, and is refused where it can only be a mistake (``kiosk.config_check``).
"""

from __future__ import annotations

import dataclasses
import os
import re
import typing
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from kiosk.config_accessibility import AccessibilitySettings
from kiosk.config_check import check_base_url, check_numbers, looks_secret, number, refuse_secret
from kiosk.config_check import require as _require
from kiosk.config_metrics import MetricsSettings
from kiosk.config_nfc import NfcSettings
from kiosk.config_tips import TipsSettings
from kiosk.config_toml import build, read_toml
from kiosk.config_zvt import ZvtSettings
from kiosk.core.sale import Timing
from kiosk.errors import ConfigError

_T: dict[str, Any] = {f.name: f.default for f in dataclasses.fields(Timing)}
"""The register's defaults, which ``[sale]`` takes as its own."""

LANGUAGES = ("en", "de", "fi")
BAUD_RATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
INVOICE_NETWORKS = {
    # network name -> BOLT11 human-readable prefix after "ln"
    "mainnet": "bc",
    "testnet": "tb",
    "signet": "tbs",
    "regtest": "bcrt",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ShopSettings:
    name: str = "Lightning Shop"
    """Shown on the idle screen and printed on receipts."""
    address_lines: tuple[str, ...] = ()
    """Printed under the name on receipts."""
    logo: str = ""
    """Path to a PNG shown on the idle screen instead of the name; empty for none."""
    language: str = "en"
    """Customer-facing language and number format: en, de or fi."""
    terminal_id: str = "K1"
    """Short id of this kiosk; generated sale references start with it (letters, digits, '-')."""
    timezone: str = ""
    """IANA zone for receipts and reports (e.g. Europe/Helsinki); empty uses the system's."""

    def check(self) -> None:
        # The name and address reach the customer's screen and receipt: never a pasted key.
        refuse_secret("shop", "name", self.name)
        for line in self.address_lines:
            refuse_secret("shop", "address_lines", line)
        _require(self.language in LANGUAGES, "shop", "language", f"one of {', '.join(LANGUAGES)}", self.language)
        _require(bool(re.fullmatch(r"[A-Za-z0-9-]{1,12}", self.terminal_id)), "shop", "terminal_id",
                 "1 to 12 letters, digits or '-'", self.terminal_id)
        if self.timezone:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(self.timezone)
            except (ZoneInfoNotFoundError, ValueError):
                _require(False, "shop", "timezone", "an IANA time zone such as Europe/Berlin", self.timezone)


@dataclass(frozen=True, slots=True, kw_only=True)
class SaleSettings:
    """The register's rules (``kiosk.core.sale.Timing``); every default is Timing's own (``_T``)."""

    max_amount_cents: int = number(_T["max_amount_cents"], 1, 100_000_000, "cents")
    """Largest amount the kiosk will charge, in cents (default 1 000,00 €)."""
    poll_interval_s: float = number(_T["poll_interval_s"], 0.1, 10, "seconds")
    """How often the session status is asked while the customer pays (Mion suggests 0.5 to 1 s)."""
    refresh_margin_s: float = number(_T["refresh_margin_s"], 0, 60, "seconds")
    """The customer never sees an invoice with less than this left: a fresh one replaces it."""
    refresh_lead_s: float = number(_T["refresh_lead_s"], 0, 60, "seconds")
    """How long before the margin the next invoice is requested, so the swap is seamless."""
    session_lifetime_s: int = number(int(_T["session_lifetime_s"]), 30, 86_400, "seconds")
    """How long Mion keeps the payment session open; the sale expires after it."""
    late_grace_s: float = number(_T["late_grace_s"], 0, 3600, "seconds")
    """After the session expired, how long the kiosk keeps checking for a late payment."""
    paid_screen_s: float = number(_T["paid_screen_s"], 1, 600, "seconds")
    """Seconds the paid screen stays before the kiosk returns to idle."""
    message_screen_s: float = number(_T["message_screen_s"], 1, 600, "seconds")
    """Seconds an expired/cancelled/error screen stays before returning to idle."""
    max_backoff_s: float = number(_T["max_backoff_s"], 0.1, 120, "seconds")
    """Longest wait between retries while Mion cannot be reached."""
    recovery_unpayable: str = _T["recovery_unpayable"]
    """How an unfinished sale found at start-up that can no longer be paid ends: expired or cancelled."""
    rate_band_pct: int = number(_T["rate_band_pct"], 1, 100, "percent")
    """An invoice whose rate (msat per cent) is more than this many percent off the rate of the last
    invoice shown is not shown: the kiosk asks for another, and ends the sale after a second one."""
    rate_memory_s: float = number(_T["rate_memory_s"], 0, 86_400, "seconds")
    """How long the last invoice shown serves as the reference rate; after that only the bounds apply."""
    min_rate_msat_per_cent: int = number(_T["min_rate_msat_per_cent"], 1, 100_000_000, "msat per cent")
    """Lowest plausible rate: 1 000 msat per cent is 1 BTC at 1 000 000 €."""
    max_rate_msat_per_cent: int = number(_T["max_rate_msat_per_cent"], 1, 100_000_000, "msat per cent")
    """Highest plausible rate: 1 000 000 msat per cent is 1 BTC at 1 000 €."""
    paid_at_slack_s: float = number(_T["paid_at_slack_s"], 0, 3600, "seconds")
    """A paidAt counts only from the sale's creation minus this to now plus this (clock skew between
    Mion and the kiosk): keep the clock synchronised, since outside it no payment counts."""

    def check(self) -> None:
        check_numbers(self, "sale")
        _require(self.poll_interval_s <= self.max_backoff_s, "sale", "max_backoff_s",
                 "seconds from poll_interval_s to 120", self.max_backoff_s)
        _require(self.recovery_unpayable in ("expired", "cancelled"), "sale", "recovery_unpayable",
                 "expired or cancelled", self.recovery_unpayable)
        _require(self.min_rate_msat_per_cent <= self.max_rate_msat_per_cent, "sale", "max_rate_msat_per_cent",
                 "msat per cent from min_rate_msat_per_cent to 100000000", self.max_rate_msat_per_cent)


@dataclass(frozen=True, slots=True, kw_only=True)
class MionPaths:
    """Every Mion path in one table. ``{id}`` and ``{reference}`` are filled in, URL-quoted."""

    create_session: str = "POST /payment-sessions"
    create_attempt: str = "POST /payment-sessions/{id}/payment-attempts"
    session_status: str = "GET /payment-sessions/{id}/status"
    session_by_id: str = "GET /payment-sessions/{id}"
    session_by_reference: str = "GET /payment-sessions?reference={reference}"

    def check(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            _require(bool(re.fullmatch(r"(GET|POST|PUT|PATCH) /\S*", value)), "mion.paths", f.name,
                     "a method and a path such as \"GET /payment-sessions/{id}\"", value)


@dataclass(frozen=True, slots=True, kw_only=True)
class MionSettings:
    base_url: str = "https://api.mion.group"
    """Where Mion's API lives: https, or plain http to this machine only. Demo mode uses the simulator."""
    auth_header: str = "Authorization"
    """Name of the header that carries the API key."""
    auth_scheme: str = "Bearer"
    """Written before the key in that header; empty to send the bare key."""
    api_key_env: str = "MION_API_KEY"
    """Environment variable holding the API key."""
    api_key_file: str = ""
    """File holding the API key (takes precedence); a systemd credential name also works."""
    session_expiry_field: str = "expiresAt"
    """Name of the session request's expiry field (sent as an ISO 8601 UTC time)."""
    attempt_expiry_field: str = "expiry"
    """Name of the payment attempt's field that says when its invoice expires (an ISO 8601 time)."""
    invoice_network: str = "mainnet"
    """Invoices for any other network are refused: mainnet, testnet, signet or regtest."""
    connect_timeout_s: float = number(3.05, 0.1, 60, "seconds")
    """How long to wait for a connection to Mion."""
    read_timeout_s: float = number(5.0, 0.1, 120, "seconds")
    """How long to wait for Mion's answer once connected."""
    paths: MionPaths = field(default_factory=MionPaths)

    def check(self) -> None:
        check_numbers(self, "mion")
        check_base_url(self.base_url)
        # The settings next to the key's: where a key pasted one line off lands. Never repeated, refused.
        for name in ("auth_header", "auth_scheme", "api_key_env", "session_expiry_field", "attempt_expiry_field"):
            refuse_secret("mion", name, getattr(self, name))
        refuse_secret("mion", "api_key_file", self.api_key_file,
                      'name the file that holds the key instead, such as "mion-api-key"')
        _require(bool(re.fullmatch(r"[A-Za-z0-9-]+", self.auth_header)), "mion", "auth_header",
                 "an HTTP header name", self.auth_header)
        _require(self.invoice_network in INVOICE_NETWORKS, "mion", "invoice_network",
                 f"one of {', '.join(INVOICE_NETWORKS)}", self.invoice_network)
        self.paths.check()


@dataclass(frozen=True, slots=True, kw_only=True)
class DisplaySettings:
    fullscreen: bool = True
    width: int = number(0, 0, 7680, "pixels")
    """Window or mode width in pixels; 0 takes the screen's own size."""
    height: int = number(0, 0, 7680, "pixels")
    rotate: int = number(0, 0, 270, "degrees")
    """Rotation done in software, in degrees: 0, 90, 180 or 270 (portrait panels)."""
    dim_after_s: float = number(0.0, 0, 86_400, "seconds")
    """Dim the idle screen after this many seconds without a sale; 0 never dims."""
    show_rate: bool = False
    """The invoice screen shows the rate of its invoice ("1 € = 1 111 sats", from Mion's amountMsat)."""
    theme: str = "normal"
    """normal, or high-contrast (white on black, at least 7:1 for every text)."""
    large_text: bool = False
    """Larger text on every screen."""

    def check(self) -> None:
        check_numbers(self, "display")
        _require(self.rotate in (0, 90, 180, 270), "display", "rotate", "0, 90, 180 or 270", self.rotate)
        _require(self.theme in ("normal", "high-contrast"), "display", "theme", '"normal" or "high-contrast"', self.theme)
        for name in ("width", "height"):
            value = getattr(self, name)
            _require(value == 0 or 320 <= value, "display", name, "0 (screen size) or 320 to 7680", value)


@dataclass(frozen=True, slots=True, kw_only=True)
class PosSettings:
    enabled: bool = False
    port: str = ""
    """Serial port path (prefer /dev/serial/by-id/...) or a pyserial URL such as loop://."""
    baudrate: int = number(9600, 1200, 115_200)
    bytesize: int = number(8, 7, 8)
    parity: str = "N"
    stopbits: int = number(1, 1, 2)
    mode: str = "line"
    """line: the kiosk's own line protocol (docs/pos-protocol.md); pole: emulate a pole display; zvt: act
    as a ZVT card terminal (docs/zvt.md)."""
    pole_command_set: str = "cd5220"
    """In pole mode: cd5220, epson, logic_controls or aedex."""
    total_pattern: str = r"\bTOTAL\D*?(\d{1,3}(?:[.,' ]\d{3})*[.,]\d{2})(?!\d)"
    """In pole mode: regular expression whose first group is the total amount."""
    on_total: str = "wait_key"
    """In pole mode: start the sale at once (start) or wait for the cashier's Lightning key (wait_key)."""
    busy_policy: str = "refuse"
    """A new sale while one is open: refuse it, or replace (cancel) the open one."""

    def check(self) -> None:
        check_numbers(self, "pos")
        refuse_secret("pos", "port", self.port)  # the port is logged; device paths under /dev/ never look like keys
        _require(not self.enabled or bool(self.port) or self.mode == "zvt", "pos", "port",
                 "a serial port path when pos is enabled", self.port)  # zvt may listen on TCP instead
        _require(self.baudrate in BAUD_RATES, "pos", "baudrate",
                 "a standard baud rate such as 9600", self.baudrate)
        _require(self.parity in ("N", "E", "O"), "pos", "parity", "N, E or O", self.parity)
        _require(self.mode in ("line", "pole", "zvt"), "pos", "mode", "line, pole or zvt", self.mode)
        _require(self.pole_command_set in ("cd5220", "epson", "logic_controls", "aedex"), "pos",
                 "pole_command_set", "cd5220, epson, logic_controls or aedex", self.pole_command_set)
        _require(self.on_total in ("start", "wait_key"), "pos", "on_total", "start or wait_key", self.on_total)
        _require(self.busy_policy in ("refuse", "replace"), "pos", "busy_policy", "refuse or replace",
                 self.busy_policy)
        try:
            compiled = re.compile(self.total_pattern)
        except re.error as exc:
            raise ConfigError(f"[pos] total_pattern: not a valid regular expression ({exc})") from exc
        _require(compiled.groups >= 1, "pos", "total_pattern", "a regular expression with one group for the amount",
                 self.total_pattern)


@dataclass(frozen=True, slots=True, kw_only=True)
class LightSettings:
    enabled: bool = True
    pin: str = "GPIO17"
    """gpiozero pin name of the status LED."""
    active_high: bool = True
    paid_on_s: float = number(5.0, 0.1, 600, "seconds")
    """How long the LED stays solid after a payment."""
    buzzer_pin: str = ""
    """gpiozero pin name of an optional buzzer; empty for none."""
    sound: bool = False
    """Play a short chime through the audio output on paid."""

    def check(self) -> None:
        check_numbers(self, "light")
        _require(bool(re.fullmatch(r"(GPIO|BOARD|BCM)?\d{1,2}", self.pin)), "light", "pin",
                 "a pin name such as GPIO17 or BOARD11", self.pin)
        _require(not self.buzzer_pin or bool(re.fullmatch(r"(GPIO|BOARD|BCM)?\d{1,2}", self.buzzer_pin)), "light",
                 "buzzer_pin", "empty or a pin name such as GPIO18", self.buzzer_pin)


@dataclass(frozen=True, slots=True, kw_only=True)
class PrinterSettings:
    kind: str = "none"
    """none, usb, serial, network, file (a device file such as /dev/usb/lp0) or dummy."""
    usb_id: str = ""
    """For usb: vendor:product in hex, e.g. 04b8:0202."""
    device: str = ""
    """For serial and file: the device path."""
    host: str = ""
    """For network: host name or address."""
    port: int = number(9100, 1, 65_535)
    """For network: the printer's TCP port."""
    baudrate: int = number(9600, 1200, 115_200)
    """For serial: the line speed."""
    profile: str = ""
    """python-escpos printer profile (e.g. TM-T20II); empty for the generic one."""
    paper_mm: int = number(80, 58, 80, "mm")
    """Paper width: 58 or 80."""
    columns: int = number(0, 0, 64, "characters")
    """Characters per line at font A; 0 takes 32 for 58 mm and 48 for 80 mm (some 80 mm printers, such as
    the Epson TM-T88 series, fit 42)."""
    receipt_qr: bool = False
    """Print a QR code with the Mion payment session id on the receipt."""
    footer: str = "Payment slip - not a tax receipt"
    merchant_copy: bool = False

    def check(self) -> None:
        check_numbers(self, "printer")
        refuse_secret("printer", "footer", self.footer)  # printed for the customer
        kinds = ("none", "usb", "serial", "network", "file", "dummy")
        _require(self.kind in kinds, "printer", "kind", ", ".join(kinds), self.kind)
        _require(self.paper_mm in (58, 80), "printer", "paper_mm", "58 or 80", self.paper_mm)
        _require(self.columns == 0 or 24 <= self.columns, "printer", "columns",
                 "0 (from the paper width) or 24 to 64", self.columns)
        if self.kind == "usb":
            _require(bool(re.fullmatch(r"[0-9a-fA-F]{4}:[0-9a-fA-F]{4}", self.usb_id)), "printer", "usb_id",
                     "vendor:product in hex such as 04b8:0202", self.usb_id)
        if self.kind in ("serial", "file"):
            _require(bool(self.device), "printer", "device", f"a device path for a {self.kind} printer", self.device)
        if self.kind == "network":
            _require(bool(self.host), "printer", "host", "a host name or address for a network printer", self.host)
        _require(self.baudrate in BAUD_RATES, "printer", "baudrate", "a standard baud rate such as 9600",
                 self.baudrate)


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    shop: ShopSettings = field(default_factory=ShopSettings)
    sale: SaleSettings = field(default_factory=SaleSettings)
    mion: MionSettings = field(default_factory=MionSettings)
    display: DisplaySettings = field(default_factory=DisplaySettings)
    pos: PosSettings = field(default_factory=PosSettings)
    light: LightSettings = field(default_factory=LightSettings)
    printer: PrinterSettings = field(default_factory=PrinterSettings)
    tips: TipsSettings = field(default_factory=TipsSettings)
    accessibility: AccessibilitySettings = field(default_factory=AccessibilitySettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    nfc: NfcSettings = field(default_factory=NfcSettings)
    zvt: ZvtSettings = field(default_factory=ZvtSettings)

    def check(self) -> None:
        for f in dataclasses.fields(self):
            getattr(self, f.name).check()
        self.zvt.check_link(self.pos.enabled and self.pos.mode == "zvt", self.pos.port)


def load_settings(path: Path | None) -> Settings:
    """Read and check the TOML file at ``path`` (None: all defaults).

    Raises:
        ConfigError: one line naming the first bad setting and what is expected.
    """
    data: dict[str, Any] = {} if path is None else read_toml(path)
    settings: Settings = build(Settings, data, "")
    settings.check()
    return settings


def read_api_key(mion: MionSettings, environ: typing.Mapping[str, str] | None = None) -> str | None:
    """The API key from ``api_key_file`` (or a systemd credential of that name) or ``api_key_env``.

    Returns None when no key is configured. The key is stripped of surrounding white space.

    Raises:
        ConfigError: the file is named but cannot be read or is empty. The message never holds the key.
    """
    env = os.environ if environ is None else environ
    if mion.api_key_file:
        candidate = Path(mion.api_key_file)
        cred_dir = env.get("CREDENTIALS_DIRECTORY")
        if not candidate.is_absolute() and cred_dir:
            candidate = Path(cred_dir) / candidate
        return read_key_file(candidate, "[mion] api_key_file")
    key = env.get(mion.api_key_env, "").strip()
    return key or None


SIMULATOR_KEY_ENV = "MION_SIMULATOR_API_KEY"
SIMULATOR_DEFAULT_KEY = "demo-key"


def simulator_api_key(key_file: Path | None, key: str | None,
                      environ: typing.Mapping[str, str] | None = None) -> str:
    """The key ``kiosk simulator`` accepts: from ``--api-key-file``, ``--api-key``, ``$MION_SIMULATOR_API_KEY``
    or ``demo-key``, in that order. A key on the command line is visible to every user of the machine;
    the file and the variable are not.

    Raises:
        ConfigError: the key file cannot be read or is empty (one line, without the key).
    """
    if key_file is not None:
        return read_key_file(key_file, "--api-key-file")
    if key is not None:
        return key
    env = os.environ if environ is None else environ
    return env.get(SIMULATOR_KEY_ENV, "").strip() or SIMULATOR_DEFAULT_KEY


def read_key_file(path: Path, setting: str) -> str:
    """The key in the file at ``path``, without a byte-order mark or surrounding white space.

    Raises:
        ConfigError: ``<setting>: ...`` when the file cannot be read, is not UTF-8 or is empty. The
            path is repeated only when it cannot be a key pasted into the setting by mistake.
    """
    shown = "the file it names" if looks_secret(str(path)) else str(path)
    try:
        key = path.read_text(encoding="utf-8").removeprefix("\ufeff").strip()
    except OSError as exc:
        raise ConfigError(f"{setting}: cannot read {shown}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{setting}: {shown} is not UTF-8 text") from exc
    if not key:
        raise ConfigError(f"{setting}: {shown} is empty")
    return key


def shop_timezone(settings: Settings) -> tzinfo:
    """The shop's time zone for receipts, reports and history (the system's when none is set)."""
    if settings.shop.timezone:
        from zoneinfo import ZoneInfo

        return ZoneInfo(settings.shop.timezone)
    local = datetime.now().astimezone().tzinfo
    assert local is not None
    return local
