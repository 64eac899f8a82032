"""The simulator's invoices are signed by the demo node: an independent reader recovers its key."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from kiosk.display.screenshot import SCREEN_NAMES, render_screenshot, sample_frame, sample_invoice
from kiosk.mion.sim_invoice import DEMO_NODE_PUBKEY, DEMO_NODE_SECRET, build_invoice
from tests.bolt11_reader import read_bolt11

NETWORK_PREFIX = {"mainnet": "bc", "testnet": "tb", "signet": "tbs", "regtest": "bcrt"}


def test_the_demo_node_key_is_the_one_written_down() -> None:
    import coincurve

    assert coincurve.PrivateKey(DEMO_NODE_SECRET).public_key.format().hex() == DEMO_NODE_PUBKEY
    assert DEMO_NODE_SECRET == hashlib.sha256(b"lightning-kiosk simulator demo node").digest()


def test_the_reader_accepts_the_spec_example_and_refuses_a_forged_signature() -> None:
    from tests.mion.test_invoice_check import SPEC_COFFEE

    decoded = read_bolt11(SPEC_COFFEE)
    assert decoded.payee == "03e7156ae33b0a208d0744199163177e909e80176e55d97a2f221ede0f934dd9ad"  # BOLT 11's node
    assert decoded.amount_msat == 250_000_000 and decoded.fields["d"] == b"1 cup coffee"

    invoice = build_invoice(amount_msat=1000, network="regtest", timestamp=1, expiry_s=60, description="x")
    tampered = build_invoice(amount_msat=2000, network="regtest", timestamp=1, expiry_s=60, description="x")
    # The second invoice's signature under the first one's data: still bech32-valid, not signed by the node.
    from kiosk.core.invoice import BECH32_CHARSET, bech32_encode

    data = [BECH32_CHARSET.index(c) for c in invoice[invoice.rfind("1") + 1:-6]]
    other = [BECH32_CHARSET.index(c) for c in tampered[tampered.rfind("1") + 1:-6]]
    forged = bech32_encode("lnbcrt10n", data[:-104] + other[-104:])
    try:
        payee = read_bolt11(forged).payee
    except ValueError:
        payee = None
    assert payee != DEMO_NODE_PUBKEY


@settings(max_examples=40, deadline=None)
@given(amount_msat=st.integers(min_value=1, max_value=21 * 10**18),
       network=st.sampled_from(sorted(NETWORK_PREFIX)),
       timestamp=st.integers(min_value=0, max_value=2**35 - 1),
       expiry_s=st.integers(min_value=1, max_value=10**6),
       description=st.text(max_size=60))
def test_every_simulator_invoice_is_signed_by_the_demo_node(amount_msat: int, network: str, timestamp: int,
                                                           expiry_s: int, description: str) -> None:
    invoice = build_invoice(amount_msat=amount_msat, network=network, timestamp=timestamp, expiry_s=expiry_s,
                            description=description)
    decoded = read_bolt11(invoice)
    assert decoded.payee == DEMO_NODE_PUBKEY
    assert (decoded.network_prefix, decoded.amount_msat, decoded.timestamp) == \
        (NETWORK_PREFIX[network], amount_msat, timestamp)
    assert decoded.fields["x"] == expiry_s and decoded.fields["d"] == description.encode()[:160]
    assert decoded.fields["9"] == (1 << 8) | (1 << 14)  # var_onion_optin, payment_secret: what wallets require
    assert len(decoded.fields["p"]) == 32 and len(decoded.fields["s"]) == 32  # type: ignore[arg-type]


def test_the_sample_invoice_is_signed_and_stable() -> None:
    assert sample_invoice() == sample_invoice() != sample_invoice(8)
    decoded = read_bolt11(sample_invoice())
    assert decoded.payee == DEMO_NODE_PUBKEY and decoded.amount_msat == 25_000_000
    assert decoded.fields["d"] == b"Mion demo K1-000042"


@pytest.mark.parametrize("rotate", [0, 90])
def test_every_screenshot_qr_is_a_verifiable_invoice(tmp_path: Path, rotate: int) -> None:
    with_qr = []
    for name in SCREEN_NAMES:
        png = render_screenshot(name, (800, 480), rotate=rotate, out=tmp_path / f"{name}.png")
        for found in zxingcpp.read_barcodes(Image.open(png)):
            decoded = read_bolt11(found.text)
            shown = sample_frame(name).view
            assert decoded.payee == DEMO_NODE_PUBKEY, name
            assert decoded.amount_msat == shown.amount_msat, name  # type: ignore[union-attr]  # what the screen says
            with_qr.append(name)
    assert {"invoice", "checking"} <= set(with_qr)
