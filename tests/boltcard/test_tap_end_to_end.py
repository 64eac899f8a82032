"""Tap to pay through the real loop: a fake card reader, the simulator's card service, Mion's simulator."""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path

import pygame
import pytest

from kiosk.cli import main
from kiosk.core import events as ev
from kiosk.core.events import Request
from kiosk.core.tap_text import tap_line
from kiosk.core.tap_view import TapStage
from kiosk.core.view import InvoiceView, PaidView
from kiosk.mion.simulator import MionSimulator
from kiosk.store.taps import taps_of, taps_text
from tests.boltcard.tap_helpers import tap_kiosk
from tests.helpers import drive


def paid(app) -> bool:  # type: ignore[no-untyped-def]
    return isinstance(app.register.view(app.now()), PaidView)


def test_a_tap_pays_the_invoice_on_screen_and_only_mions_paid_at_shows_paid(
        simulator: MionSimulator, tmp_path: Path) -> None:
    with tap_kiosk(simulator, tmp_path) as rig:
        rig.charge("42")
        assert rig.stage() is TapStage.OFFERED
        rig.tap()
        drive(rig.app, paid)
        sale = rig.app.register.sale
        assert sale is not None
        journaled = taps_of(rig.app.journal, sale.reference)
    assert [(t.outcome, t.host, t.reason) for t in journaled] == [("initiated", "127.0.0.1", None)]
    assert "Card taps (1):" in taps_text(journaled, UTC) and "initiated via 127.0.0.1" in taps_text(journaled, UTC)
    assert [r.outcome for r in rig.records] == ["sent", "initiated"]  # sent (with the pin) before the callback
    assert rig.records[0].pinned_until is not None and journaled[0].pinned_until == rig.records[0].pinned_until
    assert rig.records[1].settles and rig.records[0].host == "127.0.0.1" and rig.service.payments == 1


def test_an_ok_that_never_pays_leaves_the_sale_open_with_its_qr(simulator: MionSimulator, tmp_path: Path) -> None:
    with tap_kiosk(simulator, tmp_path) as rig:
        rig.service.never_pays = True
        rig.charge("42")
        rig.tap()
        rig.drive_until_stage(TapStage.INITIATED)
        assert isinstance(rig.app.register.view(rig.app.now()), InvoiceView)
        sale = rig.app.register.sale
        assert sale is not None and sale.tap_pinned_until is not None  # no refresh swap while it may pay
        rig.tap()  # one tap, one use: the second is ignored, and said so
        rig.drive_until_stage(TapStage.IGNORED)
        assert rig.service.calls.count("/callback") == 1


def test_a_service_reason_is_shown_after_a_translated_phrase_and_the_sale_goes_on(
        simulator: MionSimulator, tmp_path: Path) -> None:
    with tap_kiosk(simulator, tmp_path) as rig:
        rig.service.callback_error = "Card is disabled."
        rig.charge("42")
        rig.tap()
        rig.drive_until_stage(TapStage.FAILED)
        tap = rig.app.frame(rig.app.now()).tap
        assert tap is not None and tap.from_service and tap.reason == "Card is disabled."
        sale = rig.app.register.sale
        drive(rig.app, lambda a: sale is not None and sale.tap_pinned_until is None)  # released
        assert rig.records[-1].reason == "service: Card is disabled."
        assert sale is not None  # the refusal settled the tap's sent row and cleared its journaled pin
        assert [(r.outcome, r.pinned_until) for r in taps_of(rig.app.journal, sale.reference)] == [("failed", None)]
        rig.service.callback_error = None
        rig.tap()  # after a failure a new tap is welcome
        drive(rig.app, paid)


def test_a_lying_maximum_is_refused_by_the_service_and_shown(simulator: MionSimulator, tmp_path: Path) -> None:
    with tap_kiosk(simulator, tmp_path, max_msat=1_000, advertised_max_msat=10**12) as rig:
        rig.charge("42")
        rig.tap()
        rig.drive_until_stage(TapStage.FAILED)
        tap = rig.app.frame(rig.app.now()).tap
        assert tap is not None and tap.reason == "Max daily limit spent."


def test_a_maximum_below_the_amount_is_refused_before_the_callback(simulator: MionSimulator, tmp_path: Path) -> None:
    with tap_kiosk(simulator, tmp_path, max_msat=1_000) as rig:
        rig.charge("42")
        rig.tap()
        rig.drive_until_stage(TapStage.FAILED)
        tap = rig.app.frame(rig.app.now()).tap
        assert tap is not None and not tap.from_service and (tap.reason, tap.sat) == ("above_max", 1)
        assert "höchstens 1 sat" in tap_line(tap, "de")
        assert "/callback" not in rig.service.calls


def test_a_service_paying_twice_pays_the_sale_once(simulator: MionSimulator, tmp_path: Path) -> None:
    with tap_kiosk(simulator, tmp_path) as rig:
        rig.service.pay_twice = True
        rig.charge("42")
        rig.tap()
        drive(rig.app, paid)
        reference = rig.app.register.sale.reference if rig.app.register.sale else ""
    assert rig.service.payments == 2
    assert simulator.session_count_for(reference) == 1


def test_a_slow_callback_ends_the_tap_not_the_sale(simulator: MionSimulator, tmp_path: Path) -> None:
    with tap_kiosk(simulator, tmp_path, nfc={"callback_timeout_s": 5.0}) as rig:
        rig.reader.client.callback_deadline_s = 0.3
        rig.service.slow_s = 1.0
        rig.charge("42")
        rig.tap()
        rig.drive_until_stage(TapStage.FAILED)
        tap = rig.app.frame(rig.app.now()).tap
        assert tap is not None and tap.reason == "timeout"
        assert rig.records[-1].reason == "the card's service did not answer in time"
        assert isinstance(rig.app.register.view(rig.app.now()), InvoiceView)
        sale = rig.app.register.sale
        assert sale is not None and sale.tap_pinned_until is not None  # it may still pay: no swap


def test_an_amount_above_the_tap_limit_offers_no_tap(simulator: MionSimulator, tmp_path: Path) -> None:
    with tap_kiosk(simulator, tmp_path, nfc={"max_tap_amount_cents": 41}) as rig:
        for key in ("4", "2", "enter"):
            rig.app.feed(ev.KeyPressed(key=ev.Key(key)))
        drive(rig.app, lambda a: isinstance(a.register.view(a.now()), InvoiceView))
        rig.tap()
        drive(rig.app, lambda a: rig.source._taps.empty())
        assert rig.stage() is None and rig.service.calls == []


def press(app, key: int, unicode: str = "") -> None:  # type: ignore[no-untyped-def]
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, unicode=unicode, mod=0))


def test_the_pin_typed_on_the_keypad_pays_and_kiosk_show_tells_no_secret(
        simulator: MionSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with tap_kiosk(simulator, tmp_path, pin="1234", pin_limit_msat=1) as rig:
        rig.charge("42")
        rig.tap()
        rig.drive_until_stage(TapStage.PIN)
        for digit in "1234":
            assert rig.reader.key(digit)
        tap_view = None
        drive(rig.app, lambda a: (t := a.frame(a.now()).tap) is not None and t.pin_digits == 4)
        tap_view = rig.app.frame(rig.app.now()).tap
        assert tap_view is not None and tap_view.stage is TapStage.PIN
        assert rig.reader.key("enter")
        drive(rig.app, paid)
        sale = rig.app.register.sale
        assert sale is not None
        assert main(["--state-dir", str(tmp_path), "show", sale.reference, "--json"]) == 0
        shown = capsys.readouterr().out
        secrets = ["1234", "p=", "c=", "lnurl", "callback", *rig.service._k1]
        assert len(secrets) > 5 and not [s for s in secrets if s in shown.lower()]  # no PIN, card link or k1
    assert [t["outcome"] for t in json.loads(shown)["taps"]] == ["initiated"]
    assert "1234" not in repr(rig.records)


def test_a_wrong_pin_shows_the_services_reason_and_asks_again_until_the_tries_are_spent(
        simulator: MionSimulator, tmp_path: Path) -> None:
    with tap_kiosk(simulator, tmp_path, pin="1234", pin_limit_msat=1) as rig:
        rig.charge("42")
        rig.tap()
        for attempt in range(3):
            expected = None if attempt == 0 else "Invalid PIN"
            drive(rig.app, lambda a, reason=expected: (t := a.frame(a.now()).tap) is not None  # type: ignore[misc]
                  and t.stage is TapStage.PIN and t.pin_digits == 0 and t.reason == reason)
            for key in ("9", "9", "9", "9", "enter"):
                rig.reader.key(key)
            if attempt < 2:
                drive(rig.app, lambda a: (t := a.frame(a.now()).tap) is not None and t.reason == "Invalid PIN")
        rig.drive_until_stage(TapStage.FAILED)
        tap = rig.app.frame(rig.app.now()).tap
        assert tap is not None and tap.from_service and tap.reason == "Invalid PIN"
        assert isinstance(rig.app.register.view(rig.app.now()), InvoiceView)
        assert rig.service.calls.count("/card") == 1 and rig.service.calls.count("/callback") == 3  # one k1


def test_a_wrong_pin_then_the_right_one_pays(simulator: MionSimulator, tmp_path: Path) -> None:
    with tap_kiosk(simulator, tmp_path, pin="1234", pin_limit_msat=1) as rig:
        rig.charge("42")
        rig.tap()
        rig.drive_until_stage(TapStage.PIN)
        for key in ("1", "2", "3", "5", "enter"):
            rig.reader.key(key)
        drive(rig.app, lambda a: (t := a.frame(a.now()).tap) is not None and t.reason == "Invalid PIN")
        assert "Invalid PIN" in tap_line(rig.app.frame(rig.app.now()).tap, "en")  # type: ignore[arg-type]
        for key in ("1", "2", "3", "4", "enter"):
            rig.reader.key(key)
        drive(rig.app, paid)


def test_a_pin_shorter_than_four_digits_is_not_sent(simulator: MionSimulator, tmp_path: Path) -> None:
    with tap_kiosk(simulator, tmp_path, pin="1234", pin_limit_msat=1) as rig:
        rig.charge("42")
        rig.tap()
        rig.drive_until_stage(TapStage.PIN)
        for key in ("1", "2", "3", "enter"):
            assert rig.reader.key(key)
        drive(rig.app, lambda a: (t := a.frame(a.now()).tap) is not None and t.pin_digits == 3)
        assert "/callback" not in rig.service.calls
        for key in ("backspace", "backspace", "backspace", "backspace"):  # Clear on an empty entry abandons
            rig.reader.key(key)
        rig.drive_until_stage(TapStage.FAILED)
        assert not rig.reader.key("1")  # the entry is gone: keys go to the register again


def test_cancel_abandons_the_tap_not_the_sale(simulator: MionSimulator, tmp_path: Path) -> None:
    with tap_kiosk(simulator, tmp_path, pin="1234", pin_limit_msat=1) as rig:
        rig.charge("42")
        rig.tap()
        rig.drive_until_stage(TapStage.PIN)
        rig.reader.key("1")
        press(rig.app, pygame.K_ESCAPE)  # through the loop: the PIN entry takes the key, the sale stays
        rig.drive_until_stage(TapStage.FAILED)
        tap = rig.app.frame(rig.app.now()).tap
        assert tap is not None and tap.reason == "pin_cancelled"
        assert isinstance(rig.app.register.view(rig.app.now()), InvoiceView)
        assert "/callback" not in rig.service.calls


def test_a_tap_while_a_fresh_invoice_is_on_its_way_is_refused_and_calls_no_service(
        simulator: MionSimulator, tmp_path: Path) -> None:
    with tap_kiosk(simulator, tmp_path) as rig:
        rig.charge("42")
        sale = rig.app.register.sale
        assert sale is not None
        sale.in_flight.add(Request.CREATE_ATTEMPT)  # the refresh was asked for a moment ago
        rig.tap()
        rig.drive_until_stage(TapStage.FAILED)
        tap = rig.app.frame(rig.app.now()).tap
        assert tap is not None and tap.reason == "refreshing" and sale.tap_pinned_until is None
        assert rig.service.calls == []
        assert "new code" in tap_line(tap, "en")


def test_an_unreadable_card_and_a_fault_in_the_tap_are_shown_and_the_reader_goes_on(
        simulator: MionSimulator, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with tap_kiosk(simulator, tmp_path) as rig:
        rig.charge("42")
        rig.source.tap_unreadable("the card was taken away too soon")
        rig.drive_until_stage(TapStage.FAILED)
        tap = rig.app.frame(rig.app.now()).tap
        assert tap is not None and tap.reason == "unreadable"
        original = rig.reader.client.fetch

        def broken(uri: str, amount_msat: int) -> None:
            raise RuntimeError(f"bug while reading {uri}")

        rig.reader.client.fetch = broken  # type: ignore[assignment,method-assign]
        uri = rig.service.card_uri()
        rig.source.tap(uri)
        drive(rig.app, lambda a: bool(rig.records))
        assert rig.records[-1].outcome == "failed" and uri not in caplog.text and "p=" not in caplog.text
        rig.reader.client.fetch = original  # type: ignore[method-assign]
        rig.tap()
        drive(rig.app, paid)


def test_a_second_tap_while_the_first_is_processing_is_ignored_with_a_message(
        simulator: MionSimulator, tmp_path: Path) -> None:
    with tap_kiosk(simulator, tmp_path) as rig:
        rig.service.slow_s = 0.4
        rig.charge("42")
        rig.tap()
        drive(rig.app, lambda a: "/callback" in rig.service.calls)  # the first tap is with the service
        rig.tap()
        rig.drive_until_stage(TapStage.IGNORED)
        assert tap_line(rig.app.frame(rig.app.now()).tap, "fi") == "Korttimaksu on jo käynnissä"  # type: ignore[arg-type]
        drive(rig.app, paid)
    assert rig.service.calls.count("/card") == 1 and rig.service.payments == 1
