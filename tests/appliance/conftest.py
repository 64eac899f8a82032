"""Fixtures shared by the update and doctor tests: a signing key and a USB stick holding a signed bundle."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.appliance import bundle as b
from tests.appliance.test_update import VERSION, fake_wheel


@pytest.fixture
def key() -> Ed25519PrivateKey:
    """A fresh ed25519 signing key (its public half is what the image would hold)."""
    return Ed25519PrivateKey.generate()


@pytest.fixture
def usb(tmp_path: Path, key: Ed25519PrivateKey) -> Path:
    """A stick with one bundle of version ``VERSION``, signed with ``key``."""
    wheels = tmp_path / "wheelhouse"
    wheels.mkdir()
    fake_wheel(wheels)
    stick = tmp_path / "usb"
    stick.mkdir()
    b.make_bundle(wheels, VERSION, key, stick / f"kiosk-update-{VERSION}.tar")
    return stick
