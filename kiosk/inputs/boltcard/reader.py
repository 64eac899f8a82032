"""``BoltCardReader``: tap a Bolt Card to pay the invoice on screen (a :class:`PaymentReader`).

Theory of operation
-------------------
Two threads of its own. ``nfc-card`` waits on the card source (blocking, never busy-polling) and hands
each card's link on. ``nfc-tap`` runs one tap at a time:

1. ask the loop to pin the offered invoice (``TapUpdate(wants_pin=True)``; answered by :meth:`pinned`);
2. fetch and check the card's withdraw request (:mod:`.lnurlw`);
3. when the request's ``pinLimit`` is at or below the amount, take the PIN from the keypad (:meth:`key`
   gets the keys while the entry is up; the screen shows dots), Cancel abandons the tap, not the sale;
4. journal the tap as ``sent`` with the invoice's pin (``record``; the pin survives a kill that way),
   then call the service's callback. ``OK`` shows "payment sent": the sale is paid only when Mion
   says so. A tap that cannot be journaled is not sent.

A tap while another is in flight, or after the service took the shown invoice, is ignored with a
message (one tap, one use). A failure ends the tap, never the sale: the QR stays. A callback that
broke off may still be paid, so the invoice stays pinned until it expires. What the screen shows goes
to the loop as ``TapUpdate``; no URL, ``k1`` or PIN ever leaves this module except to the card's
service, and the PIN is dropped as soon as the callback was sent.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiosk.config_nfc import NfcSettings
from kiosk.core.tap_view import TapStage, TapView
from kiosk.inputs.boltcard.lnurlw import TapFailed, WithdrawClient, host_of
from kiosk.inputs.boltcard.source import CardError, CardSource
from kiosk.inputs.payment_reader import OfferedInvoice, PaymentReader
from kiosk.shell.messages import ReaderState, TapUpdate

log = logging.getLogger(__name__)

SENT = "sent"

WAIT_SLICE_S = 0.5
"""Longest single wait on the card source, so that ``stop`` is seen within a second."""
PIN_ANSWER_S = 5.0
PIN_MIN_DIGITS = 4
PIN_MAX_DIGITS = 8
PIN_TRIES = 3
"""PINs typed for one tap before it ends (services lock the card after three wrong ones)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TapRecord:
    """One tap, as the journal keeps it: never a URL, ``k1`` or PIN."""

    reference: str
    outcome: str
    """sent (the callback is about to be called), then initiated or failed."""
    host: str
    reason: str | None
    amount_msat: int
    pinned_until: datetime | None = None
    """The handed invoice may be paid until then, so the sale keeps it (None: the tap holds no pin)."""
    settles: bool = False
    """The outcome of a tap journaled as sent before its callback."""


class BoltCardReader(PaymentReader):
    name = "nfc"

    def __init__(self, post: Callable[[Any], None], settings: NfcSettings, source: CardSource,
                 client: WithdrawClient, *, record: Callable[[TapRecord], None] | None = None) -> None:
        super().__init__(post)
        self.settings = settings
        self.source = source
        self.client = client
        self.record = record
        """Journals each tap's outcome (the journal's card-tap table); any thread."""
        self._lock = threading.Lock()
        self._offer: OfferedInvoice | None = None
        self._busy = False
        self._taken: str | None = None
        """The invoice a service took: further taps on it are ignored."""
        self._pin_answer: tuple[str, str | None] | None = None
        self._pin_answered = threading.Event()
        self._pin_digits: list[str] | None = None
        """The PIN being typed (None: no PIN entry is up)."""
        self._pin_done = threading.Event()
        self._pin_ok = False
        self._pin_refused: str | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._tap_thread: threading.Thread | None = None
        self._problem: str | None = None
        self._last = TapView(stage=TapStage.FAILED)
        """What the screen says about the tap that just failed (sent with the pin's release)."""
        self._handed = False
        """This tap's callback was (about to be) called: journaled as sent (``nfc-tap`` only)."""

    # --- the seam ------------------------------------------------------------------------------------

    def start(self) -> None:
        try:
            self.source.open()
        except CardError as exc:
            log.warning("the NFC reader cannot be used: %s", exc)
            self._set_problem(self.source.problem or "no reader")
        self._thread = threading.Thread(target=self._wait_cards, name="nfc-card", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._finish_pin(False)
        self.source.close()
        self.client.cancel()
        for thread in (self._thread, self._tap_thread):
            if thread is not None:
                thread.join(timeout=0.45)
        self.client.close()

    def offer(self, invoice: OfferedInvoice | None) -> None:
        with self._lock:
            self._offer = invoice
            if invoice is None or invoice.invoice != self._taken:
                self._taken = None
            busy = self._busy
        if invoice is None:
            self._finish_pin(False)  # the sale ended or its invoice goes: a PIN entry is pointless
        elif self.welcome(invoice) and not busy:
            self._say(invoice, TapView(stage=TapStage.OFFERED))

    def welcome(self, invoice: OfferedInvoice) -> bool:
        """A tap is offered for this invoice (its amount is within ``max_tap_amount_cents``)."""
        return 0 < invoice.amount_cents <= self.settings.max_tap_amount_cents

    def pinned(self, invoice: str, refusal: str | None) -> None:
        self._pin_answer = (invoice, refusal)
        self._pin_answered.set()

    def key(self, key: str) -> bool:
        with self._lock:
            digits = self._pin_digits
            offer = self._offer
            if digits is None:
                return False
            if key.isdigit() and len(key) == 1:
                if len(digits) < PIN_MAX_DIGITS:
                    digits.append(key)
            elif key == "backspace":
                if not digits:  # Clear on an empty entry abandons the tap, as Cancel does
                    self._pin_ok = False
                    self._pin_done.set()
                    return True
                digits.pop()
            elif key == "enter":
                if len(digits) >= PIN_MIN_DIGITS:
                    self._pin_ok = True
                    self._pin_done.set()
                return True
            elif key == "cancel":
                self._pin_ok = False
                self._pin_done.set()
                return True
            count = len(digits)
        if offer is not None:
            refused = self._pin_refused
            self._say(offer, TapView(stage=TapStage.PIN, pin_digits=count, reason=refused,
                                     from_service=refused is not None))
        return True

    @property
    def problem(self) -> str | None:
        return self._problem or self.source.problem

    # --- the card thread ------------------------------------------------------------------------------

    def _wait_cards(self) -> None:
        while not self._stopping.is_set():
            try:
                uri = self.source.wait_tap(WAIT_SLICE_S)
            except CardError as exc:
                self._card_unreadable(str(exc))
                continue
            except Exception:  # a driver fault must not end the thread: say so, wait, go on
                log.exception("the card reader failed")
                self._set_problem("reader fault")
                self._stopping.wait(1.0)
                continue
            if uri is None and self.source.problem is not None:
                self._set_problem(self.source.problem)
                self._stopping.wait(WAIT_SLICE_S)  # no reader to wait on: look again later, without spinning
                continue
            self._set_problem(None)
            if uri is not None and not self._stopping.is_set():
                self._on_card(uri)

    def _card_unreadable(self, reason: str) -> None:
        offer = self._offer
        if offer is not None and self.welcome(offer) and not self._busy:
            code = "not_a_card" if "payment link" in reason else "unreadable"
            self._say(offer, TapView(stage=TapStage.FAILED, reason=code))

    def _on_card(self, uri: str) -> None:
        with self._lock:
            offer = self._offer
            if offer is None or not self.welcome(offer):
                log.info("a card was tapped with no invoice to pay")
                return
            if self._busy or self._taken == offer.invoice:
                ignored = True
            else:
                ignored = False
                self._busy = True
        if ignored:
            log.info("card tap ignored: a tap for sale %s is already under way", offer.reference)
            self._say(offer, TapView(stage=TapStage.IGNORED))
            return
        self._tap_thread = threading.Thread(target=self._tap, args=(offer, uri), name="nfc-tap", daemon=True)
        self._tap_thread.start()

    # --- one tap --------------------------------------------------------------------------------------

    def _tap(self, offer: OfferedInvoice, uri: str) -> None:
        host = host_of(uri.replace("lnurlw://", "https://", 1))
        outcome = "failed"
        self._handed = False
        try:
            outcome, reason, keep_pin = self._run_tap(offer, uri)
        except Exception as exc:  # noqa: BLE001 - nothing a card or a service sends may crash the kiosk
            # Only the kind: an exception's text may hold the card's link.
            log.error("card tap for sale %s failed: %s", offer.reference, type(exc).__name__)
            outcome, reason, keep_pin = "failed", f"internal error ({type(exc).__name__})", True
            self._say(offer, TapView(stage=TapStage.FAILED, reason="service_broken"))
        finally:
            with self._lock:
                if outcome == "initiated":  # before the next tap can start: it is ignored, not sent
                    self._taken = offer.invoice
                self._busy = False
                self._pin_digits = None
        log.info("card tap for sale %s: %s%s (service %s)", offer.reference, outcome,
                 f": {reason}" if reason else "", host or "-")
        if self.record is not None:
            try:
                self.record(TapRecord(reference=offer.reference, outcome=outcome, host=host, reason=reason,
                                      amount_msat=offer.amount_msat,
                                      pinned_until=pin_end(offer) if keep_pin and self._handed else None,
                                      settles=self._handed))
            except Exception:
                log.exception("the card tap could not be journaled")
        if not keep_pin and outcome != "initiated":
            self._say(offer, self._last, released=True)

    def _run_tap(self, offer: OfferedInvoice, uri: str) -> tuple[str, str | None, bool]:
        """Run one tap; (outcome, reason, invoice still pinned)."""
        self._pin_answered.clear()
        self._say(offer, TapView(stage=TapStage.PROCESSING), wants_pin=True)
        if not self._pin_answered.wait(PIN_ANSWER_S) or self._pin_answer is None:
            return self._fail(offer, "no_invoice", pinned=False)
        invoice, refusal = self._pin_answer
        if invoice != offer.invoice or refusal is not None:
            return self._fail(offer, refusal or "no_invoice", pinned=False)
        try:
            request = self.client.fetch(uri, offer.amount_msat)
        except TapFailed as exc:
            return self._fail(offer, exc.reason, from_service=exc.from_service, code=exc.code, sat=exc.sat)
        needs_pin = request.needs_pin(offer.amount_msat)
        refused: str | None = None
        for tries_left in range(PIN_TRIES - 1 if needs_pin else 0, -1, -1):
            pin: str | None = None
            if needs_pin:
                pin = self._ask_pin(offer, refused)
                if pin is None:
                    return self._fail(offer, "pin_cancelled" if not self._stopping.is_set() else "no_invoice")
                self._say(offer, TapView(stage=TapStage.PROCESSING))
            if not self._hand_over(offer, uri):
                return self._fail(offer, "the tap could not be journaled", code="no_invoice")
            try:
                self.client.withdraw(request, offer.invoice, pin)
            except TapFailed as exc:
                if needs_pin and exc.from_service and "pin" in exc.reason.lower() and tries_left:
                    refused = exc.reason  # a wrong PIN leaves k1 valid: ask again, with the service's words
                    continue
                return self._fail(offer, exc.reason, from_service=exc.from_service, pinned=exc.unknown,
                                  code=exc.code, sat=exc.sat)
            finally:
                pin = None
            break
        self._say(offer, TapView(stage=TapStage.INITIATED))
        return "initiated", None, True

    def _hand_over(self, offer: OfferedInvoice, uri: str) -> bool:
        """Journal the tap as sent, with its pin, before the first callback; False when that failed."""
        if self._handed or self.record is None:
            self._handed = True
            return True
        try:
            self.record(TapRecord(reference=offer.reference, outcome=SENT, host=host_of(uri.replace(
                "lnurlw://", "https://", 1)), reason=None, amount_msat=offer.amount_msat, pinned_until=pin_end(offer)))
        except Exception:
            log.exception("the card tap could not be journaled: it is not sent")
            return False
        self._handed = True
        return True

    def _fail(self, offer: OfferedInvoice, reason: str, *, from_service: bool = False, pinned: bool = False,
              code: str | None = None, sat: int | None = None) -> tuple[str, str | None, bool]:
        """``reason``: English, journaled; ``code``: the customer's line for it, in their language."""
        self._last = TapView(stage=TapStage.FAILED, reason=code or reason, from_service=from_service, sat=sat)
        if pinned:  # the pin stays: no release message, so show it now
            self._say(offer, self._last)
        return "failed", (f"service: {reason}" if from_service else reason), pinned

    def _ask_pin(self, offer: OfferedInvoice, refused: str | None = None) -> str | None:
        """The PIN typed on the keypad; None when cancelled or not typed in time. ``refused``: the
        service's words for the PIN typed before (shown above the new entry)."""
        with self._lock:
            self._pin_digits = []
            self._pin_ok = False
            self._pin_done.clear()
            self._pin_refused = refused
        self._say(offer, TapView(stage=TapStage.PIN, pin_digits=0, reason=refused, from_service=refused is not None))
        done = self._pin_done.wait(self.settings.pin_timeout_s)
        with self._lock:
            digits, self._pin_digits = self._pin_digits, None
            ok = done and self._pin_ok
            self._pin_ok = False
        if not ok or not digits:
            return None
        return "".join(digits)

    def _finish_pin(self, ok: bool) -> None:
        with self._lock:
            if self._pin_digits is not None:
                self._pin_ok = ok
                self._pin_done.set()

    # --- to the loop ----------------------------------------------------------------------------------

    def _say(self, offer: OfferedInvoice, tap: TapView, *, wants_pin: bool = False, released: bool = False) -> None:
        self.post(TapUpdate(reader=self.name, reference=offer.reference, invoice=offer.invoice, tap=tap,
                            wants_pin=wants_pin, released=released))

    def _set_problem(self, problem: str | None) -> None:
        if problem != self._problem:
            self._problem = problem
            self.post(ReaderState(name=self.name, problem=problem))


def pin_end(offer: OfferedInvoice) -> datetime:
    """Until when a card service handed this invoice may pay it (it expires, or its session ends)."""
    return offer.pay_until or offer.shown_until
