"""The invoice sanity check (kiosk.core.invoice) and the simulator's BOLT11 builder."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.config import INVOICE_NETWORKS
from kiosk.core.invoice import (
    BECH32_CHARSET,
    PREFIX_BY_NETWORK,
    bech32_encode,
    check_invoice,
    invoice_amount_msat,
    invoice_network,
    parse_hrp,
)
from kiosk.errors import InvoiceRejected
from kiosk.mion.sim_invoice import build_invoice, encode_amount

# BOLT 11's own examples: "1 cup coffee" for 2500u with a 60 s expiry, and a donation without amount.
SPEC_COFFEE = (
    "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyq"
    "cyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu9qrsgquk0rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s"
    "06fv3qfegext0eh0ymjpf39tuven09sam30g4vgpfna3rh")
SPEC_DONATION = (
    "lnbc1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rq"
    "wzqfqypqdpl2pkx2ctnv5sxxmmwwd5kgetjypeh2ursdae8g6twvus8g6rfwvs8qun0dfjkxaq9qrsgq357wnc5r2ueh7ck6q93dj32dlqnls087f"
    "xdwk8qakdyafkq3yap9us6v52vjjsrvywa6rt52cm9r9zqt8r2t7mlcwspyetp5h2tztugp9lfyql")


def _with_hrp(hrp: str) -> str:
    """The coffee invoice's data under another hrp, with a correct checksum."""
    data_part = SPEC_COFFEE[SPEC_COFFEE.rfind("1") + 1:-6]
    return bech32_encode(hrp, [BECH32_CHARSET.index(c) for c in data_part])


def decode_fields(invoice: str) -> tuple[int, dict[str, bytes | int], int]:
    """Timestamp, tagged fields (p, s, d as bytes; x as int) and signature length in 5-bit groups."""
    text = invoice.lower()
    groups = [BECH32_CHARSET.index(c) for c in text[text.rfind("1") + 1:-6]]
    timestamp = int("".join(f"{g:05b}" for g in groups[:7]), 2)
    body, signature = groups[7:-104], groups[-104:]
    fields: dict[str, bytes | int] = {}
    while body:
        tag, length = BECH32_CHARSET[body[0]], body[1] * 32 + body[2]
        value, body = body[3:3 + length], body[3 + length:]
        bits = "".join(f"{g:05b}" for g in value)
        if tag == "x":
            fields[tag] = int(bits, 2)
        else:
            fields[tag] = bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits) - 7, 8))
    return timestamp, fields, len(signature)


def test_networks_mirror_the_settings() -> None:
    assert PREFIX_BY_NETWORK == INVOICE_NETWORKS


def test_the_spec_examples_pass() -> None:
    check_invoice(SPEC_COFFEE, network="mainnet", amount_msat=250_000_000)
    check_invoice(SPEC_COFFEE.upper(), network="mainnet", amount_msat=250_000_000)  # as the QR carries it
    assert invoice_network(SPEC_DONATION) == "mainnet" and invoice_amount_msat(SPEC_DONATION) is None


@pytest.mark.parametrize(("hrp", "network", "amount_msat"), [
    ("lnbc1", "mainnet", 100_000_000_000),
    ("lnbc20m", "mainnet", 2_000_000_000),
    ("lnbc2500u", "mainnet", 250_000_000),
    ("lnbc10n", "mainnet", 1_000),
    ("lnbc1n", "mainnet", 100),
    ("lnbc10p", "mainnet", 1),
    ("lnbc133333330p", "mainnet", 13_333_333),
    ("lnbcrt2500u", "regtest", 250_000_000),
    ("lnbcrt10p", "regtest", 1),
    ("lntb1u", "testnet", 100_000),
    ("lntbs5m", "signet", 500_000_000),
])
def test_good_invoices(hrp: str, network: str, amount_msat: int) -> None:
    invoice = _with_hrp(hrp)
    check_invoice(invoice, network=network, amount_msat=amount_msat)
    assert invoice_network(invoice) == network
    assert invoice_amount_msat(invoice) == amount_msat


@pytest.mark.parametrize(("invoice", "network", "amount_msat", "message"), [
    (_with_hrp("lnbcrt2500u"), "mainnet", 250_000_000, "invoice is for regtest, this kiosk accepts mainnet only"),
    (_with_hrp("lnbc2500u"), "regtest", 250_000_000, "invoice is for mainnet, this kiosk accepts regtest only"),
    (_with_hrp("lntb2500u"), "signet", 250_000_000, "invoice is for testnet, this kiosk accepts signet only"),
    (_with_hrp("lntbs2500u"), "testnet", 250_000_000, "invoice is for signet, this kiosk accepts testnet only"),
    (_with_hrp("lnxyz2500u"), "mainnet", 250_000_000,
     "invoice is for an unknown network (prefix lnxyz), this kiosk accepts mainnet only"),
    (_with_hrp("lnbc250u"), "mainnet", 24_000_000, "invoice amount 25 000 sat differs from Mion's 24 000 sat"),
    (_with_hrp("lnbc250000010p"), "mainnet", 25_000_000,
     "invoice amount 25 000 001 msat differs from Mion's 25 000 000 msat"),
    (_with_hrp("lnbc1n"), "mainnet", 1, "invoice amount 100 msat differs from Mion's 1 msat"),
    (SPEC_DONATION, "mainnet", 250_000_000, "invoice carries no amount, Mion's attempt is for 250 000 sat"),
    (_with_hrp("lnbc15p"), "mainnet", 1, "invoice amount 15p is not a whole number of millisatoshi"),
    (_with_hrp("lnbc025u"), "mainnet", 2_500_000, "invoice amount 025u has a leading zero"),
    (_with_hrp("lnbc2500x"), "mainnet", 250_000_000, "invoice prefix 'lnbc2500x' is not ln + network + amount"),
    (_with_hrp("lnbc25u00"), "mainnet", 2_500_000, "invoice prefix 'lnbc25u00' is not ln + network + amount"),
    ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "mainnet", 1,
     "invoice does not start with 'ln', so it is not a Lightning invoice"),
    ("", "mainnet", 1, "invoice is empty"),
    ("lnbc2500u", "mainnet", 250_000_000, "invoice has no '1' separating its prefix from its data"),
    (SPEC_COFFEE[:60] + SPEC_COFFEE[60:].upper(), "mainnet", 250_000_000,
     "invoice mixes upper and lower case letters"),
    (SPEC_COFFEE[:-7] + ("q" if SPEC_COFFEE[-7] != "q" else "p") + SPEC_COFFEE[-6:], "mainnet", 250_000_000,
     "invoice checksum does not match: it is damaged or incomplete"),
    (SPEC_COFFEE[:-20], "mainnet", 250_000_000, "invoice checksum does not match: it is damaged or incomplete"),
    (SPEC_COFFEE[:100], "mainnet", 250_000_000, "invoice is too short to be complete (100 characters)"),
    (SPEC_COFFEE[:50] + "b" + SPEC_COFFEE[51:], "mainnet", 250_000_000,
     "invoice contains 'b', which is not a bech32 character"),
    (" " + SPEC_COFFEE, "mainnet", 250_000_000, "invoice does not start with 'ln', so it is not a Lightning invoice"),
    ("lightning:" + SPEC_COFFEE, "mainnet", 250_000_000,
     "invoice does not start with 'ln', so it is not a Lightning invoice"),
])
def test_bad_invoices_are_refused_in_plain_words(invoice: str, network: str, amount_msat: int, message: str) -> None:
    with pytest.raises(InvoiceRejected) as refused:
        check_invoice(invoice, network=network, amount_msat=amount_msat)
    assert str(refused.value) == message


def test_the_shortest_complete_invoice_passes_and_one_character_less_is_too_short() -> None:
    # 104 groups of signature + 7 of timestamp, then the 6 of the checksum: 117 data characters.
    shortest = bech32_encode("lnbcrt10p", [0] * 111)
    check_invoice(shortest, network="regtest", amount_msat=1)
    short = bech32_encode("lnbcrt10p", [0] * 110)
    with pytest.raises(InvoiceRejected, match=r"^invoice is too short to be complete \(126 characters\)$"):
        check_invoice(short, network="regtest", amount_msat=1)


def test_a_long_bad_prefix_is_quoted_in_part_only() -> None:
    invoice = _with_hrp("lnbc2500" + "x" * 40)
    with pytest.raises(InvoiceRejected) as refused:
        check_invoice(invoice, network="mainnet", amount_msat=1)
    assert str(refused.value) == "invoice prefix 'lnbc2500xxxxxxxxxxxxxxxx' is not ln + network + amount"


def test_lnbcrt_is_not_mistaken_for_lnbc() -> None:
    regtest = _with_hrp("lnbcrt2500u")
    assert parse_hrp(regtest).prefix == "bcrt"
    assert invoice_network(regtest) == "regtest"
    assert invoice_network(_with_hrp("lnbcrt")) == "regtest" and invoice_amount_msat(_with_hrp("lnbcrt")) is None


def test_helpers_say_none_for_nonsense() -> None:
    assert invoice_network("hello") is None and invoice_amount_msat("hello") is None
    assert invoice_network(_with_hrp("lnzz1m")) is None
    assert invoice_amount_msat(_with_hrp("lnbc15p")) is None


def test_unknown_network_setting_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown network"):
        check_invoice(SPEC_COFFEE, network="bitcoin", amount_msat=250_000_000)


# --- the simulator's invoices ---------------------------------------------------------------------------


def test_the_test_decoder_reads_the_spec_example() -> None:
    timestamp, fields, signature_groups = decode_fields(SPEC_COFFEE)
    assert (timestamp, fields["d"], fields["x"], signature_groups) == (1496314658, b"1 cup coffee", 60, 104)


def test_simulator_invoice_carries_the_bolt11_fields() -> None:
    payment_hash = bytes(range(32))
    invoice = build_invoice(amount_msat=13_333_333, network="regtest", timestamp=1_795_000_000, expiry_s=120,
                            description="Mion demo K1-20261128-0001", payment_hash=payment_hash)

    timestamp, fields, signature_groups = decode_fields(invoice)

    assert invoice.startswith("lnbcrt133333330p1")
    assert timestamp == 1_795_000_000 and signature_groups == 104
    assert fields["p"] == payment_hash and len(fields["s"]) == 32  # type: ignore[arg-type]
    assert fields["d"] == b"Mion demo K1-20261128-0001" and fields["x"] == 120
    assert 250 <= len(invoice) <= 350


@pytest.mark.parametrize(("amount_msat", "text"), [
    (100_000_000_000, "1"), (250_000_000, "2500u"), (200_000_000, "2m"), (1_000, "10n"), (100, "1n"),
    (13_333_333, "133333330p"), (1, "10p"),
])
def test_amounts_use_the_shortest_multiplier(amount_msat: int, text: str) -> None:
    assert encode_amount(amount_msat) == text


@given(amount_msat=st.integers(min_value=1, max_value=21 * 10**18),
       network=st.sampled_from(sorted(PREFIX_BY_NETWORK)),
       timestamp=st.integers(min_value=0, max_value=2**35 - 1),
       expiry_s=st.integers(min_value=1, max_value=10**6),
       description=st.text(max_size=60))
def test_any_simulator_invoice_passes_the_check(amount_msat: int, network: str, timestamp: int, expiry_s: int,
                                                description: str) -> None:
    invoice = build_invoice(amount_msat=amount_msat, network=network, timestamp=timestamp, expiry_s=expiry_s,
                            description=description)
    check_invoice(invoice, network=network, amount_msat=amount_msat)
    check_invoice(invoice.upper(), network=network, amount_msat=amount_msat)
    decoded_timestamp, fields, _ = decode_fields(invoice)
    assert decoded_timestamp == timestamp and fields["x"] == expiry_s
    assert fields["d"] == description.encode()[:160]


def test_builder_refuses_impossible_input() -> None:
    with pytest.raises(ValueError):
        build_invoice(amount_msat=0, network="regtest", timestamp=0, expiry_s=60, description="")
    with pytest.raises(ValueError):
        build_invoice(amount_msat=1, network="liquid", timestamp=0, expiry_s=60, description="")
