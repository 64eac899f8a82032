"""``kiosk doctor``'s tap-to-pay check: is the configured NFC reader there and its driver installed?

Returns (status, detail, hint) for ``kiosk.appliance.doctor`` to wrap; it waits for no card.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from kiosk.config_nfc import NfcSettings

Outcome = tuple[str, str, str]


def check_nfc(nfc: NfcSettings, dev_dir: Path = Path("/dev")) -> Outcome:
    if not nfc.enabled:
        return "skipped", "[nfc] enabled = false", ""
    if nfc.reader == "demo":
        return "skipped", "[nfc] reader = demo (no hardware)", ""
    if nfc.reader == "pcsc":
        return _pcsc(nfc.device)
    if nfc.reader == "pn532-uart":
        if importlib.util.find_spec("nfc") is None:
            return "fail", "nfcpy is not installed", "pip install nfcpy"
        if not Path(nfc.device).exists():
            return "fail", f"{nfc.device} does not exist", "enable_uart=1 in config.txt, no serial console on it"
        return "ok", f"PN532 port {nfc.device} present", ""
    bus = dev_dir / f"i2c-{nfc.device or '1'}"
    if importlib.util.find_spec("adafruit_pn532") is None:
        return "fail", "adafruit-circuitpython-pn532 is not installed", "pip install adafruit-circuitpython-pn532"
    if not bus.exists():
        return "fail", f"{bus} does not exist", "enable I2C (raspi-config) and check [nfc] device"
    return "ok", f"I2C bus {bus} present", ""


def _pcsc(device: str) -> Outcome:
    if importlib.util.find_spec("smartcard") is None:
        return "fail", "pyscard is not installed", "apt install pcscd libccid swig libpcsclite-dev; pip install pyscard"
    from smartcard.Exceptions import SmartcardException
    from smartcard.System import readers

    try:
        names = [str(r) for r in readers()]
    except SmartcardException as exc:
        return "fail", f"pcscd cannot be asked: {type(exc).__name__}", "apt install pcscd; systemctl start pcscd"
    found = [n for n in names if device.lower() in n.lower()]
    if not found:
        return "fail", "no reader" + (f" named like {device!r}" if device else "") + " found", \
            "plug in the reader (ACR1252U, uTrust 3700 F) and check [nfc] device"
    return "ok", "reader: " + ", ".join(found), ""
