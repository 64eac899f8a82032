"""The receipt printer: the one place that speaks python-escpos.

Everything escpos is walled off here. The rest of the kiosk hands over a laid-out
:class:`~kiosk.outputs.receipt.Receipt` and gets back either success or a :class:`PrinterError`.

How a job goes out:

1. The whole slip is rendered to bytes first, in memory (escpos' ``Dummy`` printer): reset
   (``ESC @``), an explicit code page that has the euro sign (``ESC t n``), styled lines, the optional
   native QR, feed and cut. Text is encoded by us in that code page, so "€" is always byte 0xD5 in
   CP858 and never depends on escpos' automatic code page guessing.
2. If the printer answers paper-status queries and reports no paper, nothing is sent (:class:`PaperOut`).
3. The bytes go to the device in a single write. A write that raises means the printer did not take
   the job (:class:`PrinterOffline`); the connection is dropped and the next job reopens it.

Status answers are taken at face value only when there is one: no answer, or a transport that cannot
read (``Dummy``, ``File``), is :attr:`PaperStatus.UNKNOWN`, never "out of paper".
"""

from __future__ import annotations

import enum
import logging
from pathlib import Path
from typing import Any

from escpos import printer as escpos_printer
from escpos.capabilities import NotSupported, get_profile
from escpos.constants import QR_ECLEVEL_M, RT_STATUS_PAPER
from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError
from escpos.exceptions import Error as EscposError

from kiosk.config import PrinterSettings
from kiosk.errors import ConfigError, PaperOut, PrinterError, PrinterOffline
from kiosk.outputs.receipt import Receipt, ReceiptQr

log = logging.getLogger(__name__)

EURO_CODE_PAGES = ("CP858", "CP1252", "ISO_8859-15")
"""Code pages with "€", in order of preference; the first one the printer profile lists is used."""

# Characters our own formatting may produce that thermal printers lack: spaces of other widths.
_SPACE_LIKE = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " "})

_ESC_CODE_PAGE = b"\x1bt"
_PAPER_OUT_BITS = 0x60  # DLE EOT 4: bits 5-6 = paper end sensor
_PAPER_LOW_BITS = 0x0C  # DLE EOT 4: bits 2-3 = paper near-end sensor
_FIXED_MASK, _FIXED_BITS = 0x93, 0x12  # bits 1 and 4 always set, bits 0 and 7 always clear


class PaperStatus(enum.Enum):
    """What the paper sensor says; UNKNOWN when the printer gave no answer."""

    OK = "ok"
    LOW = "low"
    OUT = "out"
    UNKNOWN = "unknown"


class ReceiptPrinter:
    """An ESC/POS printer on USB, serial, network, a device file or nowhere (``dummy``).

    Use ``open()`` before printing and ``close()`` when done. ``print_receipt`` blocks for as long as
    the transport takes (bounded by ``timeout_s`` for serial, network and USB); call it from a worker
    thread, never from the display loop.
    """

    def __init__(self, settings: PrinterSettings, *, timeout_s: float = 5.0) -> None:
        if settings.kind == "none":
            raise ConfigError('[printer] kind: "none" has no printer to open')
        self._settings = settings
        self._timeout_s = timeout_s
        try:
            self._profile = get_profile(settings.profile or None)
        except (NotSupported, KeyError) as exc:
            raise ConfigError(f"[printer] profile: unknown printer profile \"{settings.profile}\"; "
                              "use a python-escpos profile name such as TM-T20II, or empty") from exc
        self._code_page = _pick_code_page(self._profile.get_code_pages())
        self._device: Escpos | None = None
        self._status_answers = True

    @property
    def code_page(self) -> str | None:
        """The euro-capable code page in use, or None when the profile has none ("EUR" is printed)."""
        return self._code_page

    def open(self) -> None:
        """Connect to the printer.

        Raises:
            PrinterOffline: the device is absent, unplugged or refuses the connection.
            PrinterError: the transport cannot be used at all here (e.g. a missing USB library).
        """
        self.close()
        device = self._make_device()
        try:
            self._connect(device)
        except BaseException:
            _quietly_close(device)  # else escpos' __del__ closes it later, noisily
            raise
        self._device = device
        self._status_answers = True
        log.info("receipt printer open: %s, %s, %d mm paper", self.describe(), self._code_page or "no euro code page",
                 self._settings.paper_mm)

    def _connect(self, device: Escpos) -> None:
        try:
            if not isinstance(device, escpos_printer.Dummy):  # Dummy.open() takes no arguments
                device.open(raise_not_found=True)
        except EscposError as exc:
            raise PrinterOffline(f"receipt printer ({self.describe()}) is not reachable: {_first_line(exc)}") from exc
        except (OSError, ValueError) as exc:
            raise PrinterOffline(f"receipt printer ({self.describe()}) is not reachable: {exc}") from exc
        except RuntimeError as exc:  # escpos' way of saying pyusb/pyserial is not installed
            raise PrinterError(f"receipt printer ({self.describe()}) cannot be used: {exc}") from exc

    def close(self) -> None:
        """Disconnect; safe to call twice or without ``open()``."""
        device, self._device = self._device, None
        if device is not None:
            _quietly_close(device)

    def describe(self) -> str:
        """Where the printer is, for log lines and the technician ("network 10.0.0.5:9100")."""
        s = self._settings
        where = {"usb": s.usb_id, "serial": s.device, "file": s.device, "network": f"{s.host}:{s.port}"}
        return f"{s.kind} {where.get(s.kind, '')}".strip()

    def render(self, receipt: Receipt) -> bytes:
        """The exact bytes ``print_receipt`` sends for ``receipt``."""
        return render_receipt(receipt, profile=self._settings.profile, code_page=self._code_page)

    def print_receipt(self, receipt: Receipt) -> None:
        """Print one slip and cut; returns only once the device accepted every byte.

        Raises:
            PaperOut: the printer reports no paper; nothing was sent.
            PrinterOffline: not open, or the write failed; the connection is closed for a clean retry.
        """
        device = self._require_open()
        data = self.render(receipt)
        if self.paper_status() is PaperStatus.OUT:
            raise PaperOut("receipt printer is out of paper")
        try:
            # One write per job: escpos' transports write synchronously, so a return means the
            # device (or the kernel's buffer for it) took the whole slip; an exception means it did not.
            device._raw(data)
            flush = getattr(device, "flush", None)
            if callable(flush):
                flush()
        except Exception as exc:  # usb, serial and socket errors share no base class
            self.close()
            raise PrinterOffline(f"receipt printer ({self.describe()}) stopped taking data: {exc}") from exc

    def paper_status(self) -> PaperStatus:
        """Ask the paper sensor. UNKNOWN when the printer cannot be asked or does not answer.

        Raises:
            PrinterOffline: not open, or the query could not even be sent.
        """
        device = self._require_open()
        if not self._status_answers or type(device)._read is Escpos._read:
            return PaperStatus.UNKNOWN  # Dummy and File cannot read: do not send them a query either
        try:
            device._raw(RT_STATUS_PAPER)
        except Exception as exc:  # see print_receipt
            self.close()
            raise PrinterOffline(f"receipt printer ({self.describe()}) does not answer: {exc}") from exc
        try:
            answer = device._read()
        except Exception:  # a read timeout says nothing about the paper
            log.debug("paper status query got no answer", exc_info=True)
            answer = b""
        if not answer:
            # Do not ask again on this connection: each silent query costs a read timeout.
            self._status_answers = False
            return PaperStatus.UNKNOWN
        return _decode_paper_status(answer[0])

    def _require_open(self) -> Escpos:
        if self._device is None:
            raise PrinterOffline("receipt printer is not open")
        return self._device

    def _make_device(self) -> Escpos:
        s = self._settings
        common: dict[str, Any] = {"profile": s.profile or None}
        try:
            if s.kind == "usb":
                vendor, product = (int(part, 16) for part in s.usb_id.split(":"))
                return escpos_printer.Usb(vendor, product, timeout=int(self._timeout_s * 1000), **common)
            if s.kind == "serial":
                return escpos_printer.Serial(s.device, baudrate=s.baudrate, timeout=self._timeout_s, **common)
            if s.kind == "network":
                return escpos_printer.Network(s.host, port=s.port, timeout=self._timeout_s, **common)
            if s.kind == "file":
                if Path(s.device).is_char_device():
                    return escpos_printer.File(s.device, **common)
                return _AppendingFile(s.device, **common)
            if s.kind == "dummy":
                return escpos_printer.Dummy(**common)
        except RuntimeError as exc:
            raise PrinterError(f"receipt printer ({self.describe()}) cannot be used: {exc}") from exc
        raise ConfigError(f'[printer] kind: cannot open a printer of kind "{s.kind}"')


class _AppendingFile(escpos_printer.File):  # type: ignore[misc]
    """A regular file as a printer (demo mode): escpos opens files with "wb", which would wipe the
    receipts already in it on every start or reconnect; this appends instead."""

    def open(self, raise_not_found: bool = True) -> None:
        self.close()
        try:
            self.device = open(self.devfile, "ab")  # noqa: SIM115 - closed by close()
        except OSError as exc:
            raise DeviceNotFoundError(f"Could not open the specified file {self.devfile}: {exc}") from exc


def render_receipt(receipt: Receipt, *, profile: str = "", code_page: str | None = "CP858") -> bytes:
    """ESC/POS bytes for ``receipt``: reset, code page, lines, optional native QR, feed and cut.

    ``code_page`` must be one of the profile's code pages; None prints "EUR" for "€" in plain ASCII.
    """
    out = escpos_printer.Dummy(profile=profile or None)
    out.hw("INIT")
    codec = None
    if code_page is not None:
        number = int(out.profile.get_code_pages()[code_page])
        out._raw(_ESC_CODE_PAGE + bytes([number]))  # explicit: never rely on automatic guessing
        codec = _PYTHON_CODECS[code_page]
    style: tuple[str, bool, bool] | None = None
    for item in receipt.items:
        if isinstance(item, ReceiptQr):
            out.set(align="center", bold=False, normal_textsize=True)
            out.qr(item.content, ec=QR_ECLEVEL_M, size=5 if receipt.width_chars >= 48 else 4, native=True)
            style = None
            continue
        wanted = (item.align, item.bold, item.double_height)
        if wanted != style:  # style commands only on change: serial printers at 9600 baud are slow
            out.set(align=item.align, bold=item.bold, double_height=item.double_height, normal_textsize=True)
            style = wanted
        out._raw(_encode(item.text, codec) + b"\n")
    out.set(align="left", bold=False, normal_textsize=True)
    out.cut()
    data: bytes = out.output
    return data


_PYTHON_CODECS = {"CP858": "cp858", "CP1252": "cp1252", "ISO_8859-15": "iso8859_15"}


def _encode(text: str, codec: str | None) -> bytes:
    text = text.translate(_SPACE_LIKE)
    if codec is None:
        return text.replace("€", "EUR").encode("ascii", errors="replace")
    return text.encode(codec, errors="replace")


def _pick_code_page(available: dict[str, str]) -> str | None:
    for name in EURO_CODE_PAGES:
        if name in available:
            return name
    log.warning("the printer profile lists no code page with the euro sign; receipts print EUR instead")
    return None


def _decode_paper_status(status: int) -> PaperStatus:
    if status & _FIXED_MASK != _FIXED_BITS:  # not a status byte: stale data or noise
        return PaperStatus.UNKNOWN
    if status & _PAPER_OUT_BITS:
        return PaperStatus.OUT
    if status & _PAPER_LOW_BITS:
        return PaperStatus.LOW
    return PaperStatus.OK


def _quietly_close(device: Escpos) -> None:
    try:
        device.close()
    except Exception:  # a failing close must not hide the error that led here
        log.debug("closing the receipt printer failed", exc_info=True)


def _first_line(exc: BaseException) -> str:
    text = str(exc) or getattr(exc, "msg", "") or type(exc).__name__
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__
