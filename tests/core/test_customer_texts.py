"""The customer's and cashier's words for tips, the rate, card taps and unbooked payments (pure)."""

from __future__ import annotations

import pytest

from kiosk.core.tap_text import reason_text, tap_line
from kiosk.core.tap_view import TapStage, TapView
from kiosk.core.text_tips import format_tip_option, rate_line, tip_texts
from kiosk.core.till_notice import TillNotice
from kiosk.core.till_notice_text import notice_lines


@pytest.mark.parametrize(("cents", "msat", "shown"), [
    (1250, 25_000_000, "€1 = 2,000 sats"),
    (100, 1_111_500, "€1 = 1,112 sats"),   # 1111.5 sats per euro: half rounds up
    (100, 1_111_499, "€1 = 1,111 sats"),
    (1, 10_000, "€1 = 1,000 sats"),
])
def test_the_rate_is_mions_msat_over_the_amount_in_whole_sats_half_up(cents: int, msat: int, shown: str) -> None:
    line = rate_line(cents, msat, "en")
    assert line is not None and line.replace("\xa0", " ") == shown  # a no-break space keeps "sats" with its number


@pytest.mark.parametrize(("cents", "msat"), [(0, 25_000_000), (1250, 0), (-1, 1000), (1250, -1)])
def test_no_rate_without_an_amount_and_an_invoice_amount(cents: int, msat: int) -> None:
    assert rate_line(cents, msat, "en") is None


def test_a_tip_line_says_its_percentage_and_total_and_no_tip_says_only_the_total() -> None:
    t = tip_texts("en")
    assert format_tip_option(t, 0, 0, 1250) == t.no_tip.format(total="€12.50")
    line = format_tip_option(t, 10, 125, 1375)
    assert "10" in line and "€1.25" in line and "€13.75" in line and line != t.no_tip.format(total="€13.75")


def test_a_card_limit_is_said_in_sats_and_the_services_own_words_are_quoted() -> None:
    limit = TapView(stage=TapStage.FAILED, reason="above_max", sat=1500)
    assert "1,500" in reason_text(limit, "en") or "1500" in reason_text(limit, "en")
    service = TapView(stage=TapStage.FAILED, reason="Card blocked", from_service=True)
    assert "“Card blocked”" in reason_text(service, "en")


def test_an_ignored_tap_says_why_unless_another_is_simply_under_way() -> None:
    busy = tap_line(TapView(stage=TapStage.IGNORED, reason="busy"), "en")
    other = tap_line(TapView(stage=TapStage.IGNORED, reason="above_max", sat=1500), "en")
    assert busy == "A card payment is already under way"
    assert other != busy and "1" in other


@pytest.mark.parametrize(("count", "plural"), [(1, False), (2, True)])
def test_the_cashiers_notice_counts_unbooked_payments_from_two_on(count: int, plural: bool) -> None:
    title, body, footer = notice_lines(TillNotice(count=count, reference="K1-7", amount_cents=1250), "en")
    assert title == "Paid, not booked by the till"
    assert "€12.50 (K1-7)" in body and "€12.50 (K1-7)" in footer
    assert ("2 payments" in body) is plural
