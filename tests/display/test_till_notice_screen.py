"""The till notice ("paid, not booked by the till") on screen: for the cashier, never over the customer's
"Paid" or the QR code, in every language, laid out cleanly."""

from __future__ import annotations

import dataclasses

import pygame
import pytest

from kiosk.core.text import LANGUAGES, texts
from kiosk.core.till_notice import TillNotice
from kiosk.core.till_notice_text import NOTICE_TEXTS, notice_lines
from kiosk.display import screens
from kiosk.display.assets import Assets
from kiosk.display.screenshot import sample_frame
from tests.display.test_screens import assert_sound_layout

ONE = TillNotice(count=1, reference="K1-20261129-0001-90B8", amount_cents=1250)
SIZES = ((800, 480), (480, 800))


def test_every_language_has_every_line_and_names_the_amount() -> None:
    assert set(NOTICE_TEXTS) == set(LANGUAGES)
    for lang in LANGUAGES:
        assert set(NOTICE_TEXTS[lang]) == set(NOTICE_TEXTS["en"]), lang
        _, body, footer = notice_lines(ONE, lang)
        assert ONE.reference in body and ONE.reference in footer
        assert "12" in body and "50" in body
    assert notice_lines(ONE, "de")[0] == "Bezahlt, nicht von der Kasse gebucht"
    _, body, _ = notice_lines(dataclasses.replace(ONE, count=3, amount_cents=None), "en")
    assert body.startswith("3 payments, the last K1-")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_idle_screen_shows_the_notice_as_a_banner(lang: str, assets: Assets) -> None:
    title, body, _ = notice_lines(ONE, lang)
    for size in SIZES:
        frame = dataclasses.replace(sample_frame("idle"), notice=ONE)
        boxes = screens.render(pygame.Surface(size), frame, lang, assets=assets)
        assert_sound_layout(boxes, size)
        names = {box.name: box for box in boxes}
        assert names["notice-title"].text == title
        assert names["notice-body"].text == " ".join(body.split())  # the whole of it: amount, reference, what to do
        assert "shop-name" in names or "logo" in names


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_paid_screen_keeps_paid_and_the_amount_and_says_it_in_the_footer(lang: str, assets: Assets) -> None:
    _, _, footer = notice_lines(ONE, lang)
    for name in ("paid", "paid-late"):
        for size in SIZES:
            frame = dataclasses.replace(sample_frame(name), notice=ONE)
            boxes = screens.render(pygame.Surface(size), frame, lang, assets=assets)
            assert_sound_layout(boxes, size)
            names = {box.name: box for box in boxes}
            t = texts(lang)
            assert names["title"].text == (t.paid_late_title if name == "paid-late" else t.paid_title)
            assert "amount" in names and "check" in names
            shown = names["notice-footer"].text
            assert shown == footer or (size[0] < 500 and shown.endswith("…") and footer.startswith(shown[:12]))
            assert names["notice-footer"].rect.top >= names["thanks"].rect.bottom


def test_the_invoice_screen_never_shows_it(assets: Assets) -> None:
    plain = screens.render(pygame.Surface(SIZES[0]), sample_frame("invoice"), "en", assets=assets)
    frame = dataclasses.replace(sample_frame("invoice"), notice=ONE)
    boxes = screens.render(pygame.Surface(SIZES[0]), frame, "en", assets=assets)
    assert [b.name for b in boxes] == [b.name for b in plain]


def test_a_new_or_dismissed_notice_redraws_the_whole_screen() -> None:
    idle = sample_frame("idle")
    assert not screens.same_static(idle, dataclasses.replace(idle, notice=ONE))
    assert not screens.same_static(dataclasses.replace(idle, notice=ONE), idle)
    assert screens.same_static(dataclasses.replace(idle, notice=ONE), dataclasses.replace(idle, notice=ONE))
