"""Receipt layout and the ESC/POS bytes that reach the printer."""

from __future__ import annotations

import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from clocks import wait_until
from hypothesis import given
from hypothesis import strategies as st

from kiosk.config import PrinterSettings, ShopSettings
from kiosk.errors import ConfigError, PaperOut, PrinterError, PrinterOffline
from kiosk.outputs.printer import PaperStatus, ReceiptPrinter, render_receipt
from kiosk.outputs.receipt import Receipt, ReceiptLine, ReceiptQr, build_receipt

from .fakes import FakeNetworkPrinter, paid_sale

GOLDEN = Path(__file__).parent / "golden"
BERLIN = ZoneInfo("Europe/Berlin")
SHOP = ShopSettings(name="Café Zur Blauen Blume", address_lines=("Hauptstraße 1", "10115 Berlin"), language="de")


def receipt_for(mm: int, lang: str = "de", **printer: object) -> Receipt:
    settings = PrinterSettings(kind="dummy", paper_mm=mm, **printer)  # type: ignore[arg-type]
    shop = ShopSettings(name=SHOP.name, address_lines=SHOP.address_lines, language=lang)
    return build_receipt(paid_sale(), shop, settings, copy="customer", tz=BERLIN)


@pytest.mark.parametrize("mm, width", [(58, 32), (80, 48)])
@pytest.mark.parametrize("lang", ["en", "de", "fi"])
def test_every_line_fits_the_paper(mm: int, width: int, lang: str) -> None:
    receipt = receipt_for(mm, lang, receipt_qr=True)
    assert receipt.width_chars == width
    assert all(len(line) <= width for line in receipt.text_lines)
    text = "\n".join(receipt.text_lines)
    assert "K1-0001" in text
    assert "16:30" in text or "16.30" in text  # 15:30 UTC in Berlin
    assert "14" in text and "285" in text  # 14 285 714 sats


def test_receipt_says_what_was_paid_in_the_shops_language() -> None:
    text = "\n".join(receipt_for(80, "de").text_lines)
    assert "Café Zur Blauen Blume" in text and "Hauptstraße 1" in text
    assert "12,00\u00a0€" in text
    assert "Bezahlt mit Bitcoin Lightning" in text
    assert "28.11.2026 16:30" in text
    assert "ps_7f3c2a9e-0b1d-4c5e-9a8f-6e2d1c0b9a87" in text


def test_long_session_id_wraps_on_narrow_paper_and_nothing_is_lost() -> None:
    lines = receipt_for(58).text_lines
    session = "ps_7f3c2a9e-0b1d-4c5e-9a8f-6e2d1c0b9a87"
    start = next(i for i, line in enumerate(lines) if session[:10] in line)
    assert "".join(line.strip() for line in lines[start:start + 2]) == session


def test_qr_and_merchant_copy_only_when_asked() -> None:
    plain = receipt_for(80)
    assert not any(isinstance(item, ReceiptQr) for item in plain.items)
    settings = PrinterSettings(kind="dummy", receipt_qr=True)
    merchant = build_receipt(paid_sale(), SHOP, settings, copy="merchant", tz=BERLIN)
    assert ReceiptQr("ps_7f3c2a9e-0b1d-4c5e-9a8f-6e2d1c0b9a87") in merchant.items
    assert "HÄNDLERKOPIE" in "\n".join(merchant.text_lines)


def test_unknown_copy_is_refused() -> None:
    with pytest.raises(ValueError, match="copy must be"):
        build_receipt(paid_sale(), SHOP, PrinterSettings(), copy="both", tz=BERLIN)


def test_a_line_wider_than_the_paper_cannot_exist() -> None:
    with pytest.raises(ValueError, match="longer than 32"):
        Receipt(width_chars=32, items=(ReceiptLine("x" * 33),))


@given(name=st.text(min_size=1, max_size=120), reference=st.text(min_size=1, max_size=60),
       footer=st.text(max_size=200), mm=st.sampled_from([58, 80]))
def test_any_shop_text_fits(name: str, reference: str, footer: str, mm: int) -> None:
    shop = ShopSettings(name=name, address_lines=(name,), language="fi")
    settings = PrinterSettings(kind="dummy", paper_mm=mm, footer=footer, receipt_qr=True)
    receipt = build_receipt(paid_sale(reference), shop, settings, copy="merchant", tz=BERLIN)
    render_receipt(receipt)  # never raises, whatever the text
    assert all(len(line) <= receipt.width_chars for line in receipt.text_lines)


# --- bytes ----------------------------------------------------------------------------------------


def test_euro_sign_is_byte_d5_in_the_explicitly_selected_cp858() -> None:
    data = render_receipt(receipt_for(58))
    assert data.startswith(b"\x1b@\x1bt\x13")  # reset, then code page 19 = CP858
    assert b"12,00 \xd5\n" in data  # "12,00 €" with the no-break space as a plain space
    assert b"Caf\x82 Zur Blauen Blume\n" in data and b"Hauptstra\xe1e 1\n" in data
    assert data.count(b"\x1bt") == 1  # no automatic code page switching later on
    assert data.endswith(b"\x1dV\x00")  # full cut


@pytest.mark.parametrize("page, number, euro", [("CP1252", 16, b"\x80"), ("ISO_8859-15", 40, b"\xa4")])
def test_other_euro_code_pages(page: str, number: int, euro: bytes) -> None:
    data = render_receipt(receipt_for(80), code_page=page)
    assert data.startswith(b"\x1b@\x1bt" + bytes([number]))
    assert b"12,00 " + euro + b"\n" in data


def test_without_a_euro_code_page_prints_eur() -> None:
    data = render_receipt(receipt_for(80), code_page=None)
    assert b"\x1bt" not in data
    assert b"12,00 EUR\n" in data


def test_native_qr_of_the_session_id() -> None:
    data = render_receipt(receipt_for(80, receipt_qr=True))
    assert b"\x1d(k" in data  # printer-rendered QR
    assert b"ps_7f3c2a9e-0b1d-4c5e-9a8f-6e2d1c0b9a87" in data


@pytest.mark.parametrize("name, mm, lang", [("receipt_de_58.bin", 58, "de"), ("receipt_fi_80_qr.bin", 80, "fi")])
def test_golden_bytes(name: str, mm: int, lang: str) -> None:
    data = render_receipt(receipt_for(mm, lang, receipt_qr=mm == 80))
    golden = GOLDEN / name
    if os.environ.get("KIOSK_UPDATE_GOLDEN"):
        golden.write_bytes(data)
    assert data == golden.read_bytes(), f"bytes differ from {golden}; KIOSK_UPDATE_GOLDEN=1 rewrites it"


# --- the adapter ----------------------------------------------------------------------------------


def test_file_printer_receives_exactly_the_rendered_bytes(tmp_path: Path) -> None:
    path = tmp_path / "receipts.bin"
    printer = ReceiptPrinter(PrinterSettings(kind="file", device=str(path)))
    printer.open()
    receipt = receipt_for(80)
    assert printer.paper_status() is PaperStatus.UNKNOWN  # a file cannot answer: unknown, not "out"
    printer.print_receipt(receipt)
    printer.close()
    assert path.read_bytes() == render_receipt(receipt)


def test_receipt_file_keeps_earlier_receipts_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "receipts.bin"
    first, second = receipt_for(58, "en"), receipt_for(80, "fi")
    for receipt in (first, second):  # two kiosk runs, each opening the file anew
        printer = ReceiptPrinter(PrinterSettings(kind="file", device=str(path)))
        printer.open()
        printer.print_receipt(receipt)
        printer.close()
    assert path.read_bytes() == render_receipt(first) + render_receipt(second)


def test_dummy_printer_prints_and_knows_nothing_of_paper() -> None:
    printer = ReceiptPrinter(PrinterSettings(kind="dummy"))
    printer.open()
    printer.print_receipt(receipt_for(58))
    assert printer.paper_status() is PaperStatus.UNKNOWN
    printer.close()
    printer.close()


def test_missing_device_file_is_offline(tmp_path: Path) -> None:
    printer = ReceiptPrinter(PrinterSettings(kind="file", device=str(tmp_path / "no" / "lp0")))
    with pytest.raises(PrinterOffline, match="not reachable"):
        printer.open()
    with pytest.raises(PrinterOffline, match="not open"):
        printer.print_receipt(receipt_for(58))


def test_unknown_profile_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"\[printer\] profile"):
        ReceiptPrinter(PrinterSettings(kind="dummy", profile="NoSuchPrinter-9000"))


def test_usb_printer_that_is_not_there_is_a_printer_error() -> None:
    printer = ReceiptPrinter(PrinterSettings(kind="usb", usb_id="04b8:0202"))
    with pytest.raises(PrinterError):
        printer.open()


@pytest.mark.parametrize("byte, status", [(0x12, PaperStatus.OK), (0x1E, PaperStatus.LOW),
                                          (0x72, PaperStatus.OUT), (0xFF, PaperStatus.UNKNOWN)])
def test_network_printer_paper_sensor(byte: int, status: PaperStatus) -> None:
    with FakeNetworkPrinter(paper_byte=byte) as fake:
        printer = ReceiptPrinter(PrinterSettings(kind="network", host="127.0.0.1", port=fake.port), timeout_s=1)
        printer.open()
        assert printer.paper_status() is status
        printer.close()


def test_network_printer_gets_the_job_after_a_paper_check() -> None:
    receipt = receipt_for(80)
    with FakeNetworkPrinter(paper_byte=0x12) as fake:
        printer = ReceiptPrinter(PrinterSettings(kind="network", host="127.0.0.1", port=fake.port), timeout_s=1)
        printer.open()
        printer.print_receipt(receipt)
        printer.close()
        assert wait_until(lambda: fake.data().endswith(b"\x1dV\x00"), 2.0)
        assert fake.data() == FakeNetworkPrinter.PAPER_QUERY + render_receipt(receipt)


def test_network_printer_without_paper_gets_no_job() -> None:
    with FakeNetworkPrinter(paper_byte=0x72) as fake:
        printer = ReceiptPrinter(PrinterSettings(kind="network", host="127.0.0.1", port=fake.port), timeout_s=1)
        printer.open()
        with pytest.raises(PaperOut):
            printer.print_receipt(receipt_for(80))
        printer.close()
        assert fake.data() == FakeNetworkPrinter.PAPER_QUERY


def test_silent_network_printer_is_unknown_and_asked_only_once() -> None:
    with FakeNetworkPrinter(paper_byte=None) as fake:
        printer = ReceiptPrinter(PrinterSettings(kind="network", host="127.0.0.1", port=fake.port), timeout_s=0.2)
        printer.open()
        assert printer.paper_status() is PaperStatus.UNKNOWN
        printer.print_receipt(receipt_for(58))  # unknown paper does not stop printing
        printer.close()
        assert wait_until(lambda: fake.data().endswith(b"\x1dV\x00"), 2.0)
        assert fake.data().count(FakeNetworkPrinter.PAPER_QUERY) == 1


def test_network_printer_that_is_off_is_offline() -> None:
    with FakeNetworkPrinter() as fake:
        port = fake.port
    printer = ReceiptPrinter(PrinterSettings(kind="network", host="127.0.0.1", port=port), timeout_s=0.5)
    with pytest.raises(PrinterOffline):
        printer.open()



@pytest.mark.hardware
def test_real_printer_prints_a_slip_with_the_euro_sign() -> None:
    """Look at the paper: "12,00 €" must show a euro sign, and the slip must be cut."""
    spec = os.environ.get("KIOSK_TEST_PRINTER", "")  # "usb 04b8:0202", "network 10.0.0.5", "serial /dev/ttyUSB0"
    if not spec:
        pytest.skip("needs a receipt printer: set KIOSK_TEST_PRINTER to e.g. 'usb 04b8:0202' or 'file /dev/usb/lp0'")
    kind, _, where = spec.partition(" ")
    fields = {"usb": "usb_id", "network": "host", "serial": "device", "file": "device"}
    settings = PrinterSettings(kind=kind, **{fields[kind]: where},  # type: ignore[arg-type]
                               paper_mm=int(os.environ.get("KIOSK_TEST_PAPER_MM", "80")), receipt_qr=True)
    printer = ReceiptPrinter(settings)
    printer.open()
    try:
        printer.print_receipt(build_receipt(paid_sale(), SHOP, settings, copy="customer", tz=BERLIN))
    finally:
        printer.close()


def test_a_printer_with_42_columns_gets_lines_of_42() -> None:
    from kiosk.outputs.receipt import columns_for

    settings = PrinterSettings(kind="dummy", paper_mm=80, columns=42)
    assert columns_for(settings) == 42
    receipt = build_receipt(paid_sale("K1-0042"), ShopSettings(name="A shop with a rather long name indeed"),
                            settings, copy="customer", tz=None)
    assert receipt.width_chars == 42
    assert max(len(line) for line in receipt.text_lines) <= 42
