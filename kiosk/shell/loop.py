"""The main loop: drain the queue, hand each message to its owner, carry out the register's effects.

Theory of operation
-------------------
One thread, the main one, owns pygame, the register and every part's main-thread side. Edge threads
(Mion requests, the till's serial reader, the print worker, payment readers) only ``post`` a message
(:mod:`kiosk.shell.messages`) and wake the loop. The loop sleeps until it is woken (a key on the
Linux console wakes it too), the register's next deadline comes or, in a window, it is time to look
at the keyboard (``KEY_POLL_S``); it never spins.

Dispatch cannot fall through: messages and effects are matched by type, each to one owner, and the
last case is ``assert_never`` so that a new kind the loop does not handle fails the type check.
"""

from __future__ import annotations

import logging
import math
import queue
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import FrameType
from typing import TYPE_CHECKING, Any, assert_never

import pygame

from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.core.model import Phase, SaleSource
from kiosk.core.register import Register
from kiosk.core.tap_view import TapStage
from kiosk.core.view import (
    CheckingView,
    Frame,
    InvoiceView,
    MessageKind,
    MessageView,
    PreparingView,
    ShopStatus,
)
from kiosk.display.window import Window
from kiosk.errors import IllegalTransition, KioskError, SaleRefused, StoreError
from kiosk.inputs.keypad import key_for
from kiosk.inputs.payment_reader import OfferedInvoice, PaymentReader
from kiosk.shell.ledger import Ledger, SaleNotRecorded
from kiosk.shell.messages import Message, PrinterState, ReaderState, TapUpdate, TillBytes, TillLink, TillQuiet
from kiosk.shell.polls import hold_for
from kiosk.shell.taps import Taps

if TYPE_CHECKING:
    from kiosk.mion.worker import MionWorker
    from kiosk.shell.devices import Devices
    from kiosk.shell.till import Till
    from kiosk.store.journal import Journal

log = logging.getLogger(__name__)

TAP_BUSY = (TapStage.PROCESSING, TapStage.PIN, TapStage.INITIATED)
"""Tap stages during which Enter does not ask for more time (``kiosk.core.more_time``)."""
MAX_WAIT_S = 1.0
"""Longest the loop sleeps without looking at the clock (also bounds the watchdog interval)."""
KEY_POLL_S = 0.04
"""How often keys are looked for while nothing else happens, when nothing wakes the loop for a key.

``pygame.event.wait(timeout)`` looks for events every millisecond, which alone costs a few percent of
a core (more on a Pi Zero). The loop instead sleeps on a ``threading.Event`` that the edge threads set.
On the Linux console an edge thread watches the keypads and wakes it (:mod:`kiosk.inputs.key_wake`);
in a window the loop looks at the keyboard 25 times a second: a key waits at most 40 ms.
"""


SALE_IN_PROGRESS = (InvoiceView, CheckingView, PreparingView)
NOT_RECORDED = "the kiosk cannot record sales right now (its journal cannot be written)"


def out_of_service_detail(payments_kept: int) -> str:
    """The line for the cashier on the out-of-service screen."""
    if payments_kept == 1:
        return ("Storage full: 1 payment received is kept; it is recorded, printed and sent to the till as "
                "soon as the journal can be written.")
    if payments_kept:
        return (f"Storage full: {payments_kept} payments received are kept; they are recorded, printed and "
                "sent to the till as soon as the journal can be written.")
    return "Storage full: the journal cannot be written; no new sale starts until it can."


@dataclass
class Parts:
    """The owners the loop dispatches to (built by :class:`kiosk.shell.app.KioskApp`)."""

    journal: Journal
    ledger: Ledger
    worker: MionWorker
    devices: Devices
    terminal_id: str
    till: Till | None = None
    readers: Sequence[PaymentReader] = ()


@dataclass
class Hooks:
    """Ways for demo mode, tests and systemd to follow the loop without reaching into it."""

    on_frame: Callable[[Frame, Window], None] | None = None
    """Called after a frame was drawn (screenshots, READY=1)."""
    on_key: Callable[[pygame.event.Event], bool] | None = None
    """Demo keys; return True when the key was consumed."""
    on_idle_loop: Callable[[Any], None] | None = None
    """Called once per loop iteration with the running kiosk (the headless demo's script, the watchdog)."""
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    monotonic: Callable[[], float] = time.monotonic
    """The clock the status light is timed by (it must not jump with the wall clock)."""


class Loop:
    def __init__(self, register: Register, window: Window, hooks: Hooks, *, owner: object, demo: bool = False) -> None:
        self.register = register
        self.window = window
        self.hooks = hooks
        self.owner = owner
        """What ``hooks.on_idle_loop`` is given (the KioskApp)."""
        self.demo = demo
        self.queue: queue.Queue[Message] = queue.Queue()
        self.parts: Parts | None = None
        self.mion_reachable: bool | None = None
        self.printer_problem: str | None = None
        self.reader_problems: dict[str, str] = {}
        self._offered: OfferedInvoice | None = None
        self.taps = Taps()
        self.tap_min_left_s = 60.0
        """A card tap pins the invoice only with this long left (``[nfc] min_time_left_s``)."""
        self._polls: list[fx.PollStatus] = []
        """Status polls decided in this turn, handed to the worker just before the loop sleeps, so that
        the worker thread does not wake only to wait for the main thread to let go of the interpreter
        while it draws (two polls a second would cost two more wake-ups)."""
        self._stop = threading.Event()
        self._woken = threading.Event()
        self.on_started: Callable[[], None] | None = None
        """Called once the first frame is shown (the app loads what the first sale needs)."""
        self.key_poll_s: float | None = KEY_POLL_S
        """How often to look at the keyboard while asleep; None when a key wakes the loop (see ``KEY_POLL_S``)."""
        self.on_turn: Callable[[], None] | None = None
        """Called once per turn, after drawing (the metrics note that the loop turns); must return at once."""

    def now(self) -> datetime:
        return self.hooks.clock()

    # --- from any thread --------------------------------------------------------------------------------

    def post(self, message: Message) -> None:
        """Hand the loop a message and wake it (thread-safe)."""
        self.queue.put(message)
        self._woken.set()

    def wake(self) -> None:
        self._woken.set()

    def stop(self) -> None:
        """Ask the loop to end (thread- and signal-safe)."""
        self._stop.set()
        self._woken.set()

    # --- the loop ---------------------------------------------------------------------------------------

    def run(self) -> None:
        """Serve until ``stop()`` (or SIGTERM/SIGINT in the main thread)."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._on_signal)
            signal.signal(signal.SIGINT, self._on_signal)
        self.draw()
        if self.on_started is not None:
            self.on_started()
            self.on_started = None
        while not self._stop.is_set():
            self._send_requests()
            events = pygame.event.get()
            if not events and self.queue.empty():
                wait_s = self._wait_ms() / 1000
                self._woken.wait(wait_s if self.key_poll_s is None else min(wait_s, self.key_poll_s))
                self._woken.clear()
                events = pygame.event.get()
            for event in events:
                self._on_pygame_event(event)
            self._drain()
            if self.parts is not None:
                self.parts.ledger.retry(self.hooks.clock())
                if self.parts.till is not None:
                    self.parts.till.tick()  # logs a fault of its own: the till's clock work never stops the loop
            self.feed(ev.Tick())
            self._tick_light()
            self.draw()
            if self.on_turn is not None:
                self.on_turn()
            if self.hooks.on_idle_loop is not None:
                self.hooks.on_idle_loop(self.owner)
        log.info("kiosk loop ended")

    def _send_requests(self) -> None:
        polls, self._polls = self._polls, []
        if polls:
            assert self.parts is not None
            for poll in polls:
                self.parts.worker.submit(poll, hold_for(poll, self.register, self.hooks.clock(),
                                                        self.mion_reachable))

    def _tick_light(self) -> None:
        light = self.parts.devices.light if self.parts is not None else None
        if light is not None:
            light.tick(self.hooks.monotonic())

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        log.info("signal %d: stopping", signum)
        self.stop()

    def _wait_ms(self) -> int:
        now = self.hooks.clock()
        wait_s = MAX_WAIT_S
        deadline = self.register.next_deadline(now)
        if deadline is not None:
            wait_s = min(wait_s, max(0.0, (deadline - now).total_seconds()))
        animation_s = self.window.animation_interval_s(self.frame(now))
        if animation_s is not None:
            wait_s = min(wait_s, animation_s)
        light = self.parts.devices.light if self.parts is not None else None
        change = light.next_change() if light is not None else None
        if change is not None:
            # The light's change may wait for a wake-up that comes within its slack anyway.
            light_s = change[0] - self.hooks.monotonic()
            if wait_s > light_s + change[1]:
                wait_s = max(0.0, light_s)
        # Round up: waking a hair before a deadline would find nothing due yet.
        return max(1, math.ceil(wait_s * 1000))

    def _on_pygame_event(self, event: pygame.event.Event) -> None:
        if event.type == pygame.QUIT:
            self.stop()
        elif event.type == pygame.KEYDOWN:
            if self.hooks.on_key is not None and self.hooks.on_key(event):
                return
            key = key_for(event)
            if key is not None and self.parts is not None and Taps.key(key.value, self.parts.readers):
                return  # a reader's PIN entry took it
            if key is ev.Key.ENTER and self.taps.view is not None and self.taps.view.stage in TAP_BUSY:
                return  # no "more time" (a fresh invoice) while a card is paying the one on screen
            if key is not None:
                self.feed(ev.KeyPressed(key=key))

    def _drain(self) -> None:
        while True:
            try:
                message = self.queue.get_nowait()
            except queue.Empty:
                return
            self.dispatch(message)

    def dispatch(self, message: Message) -> None:
        """Hand one message to its owner (main thread)."""
        till = self.parts.till if self.parts is not None else None
        match message:
            case TillBytes() | TillQuiet() | TillLink():
                if till is None:
                    return
                # Nothing a till sends may stop the loop: a fault in handling it is logged, and the kiosk goes on.
                try:
                    if isinstance(message, TillBytes):
                        till.on_bytes(message.data)
                    elif isinstance(message, TillQuiet):
                        till.on_quiet()
                    else:
                        till.on_link(message.connected)
                except Exception:
                    log.exception("handling input from the till failed")
            case PrinterState(problem=problem):
                if problem != self.printer_problem:
                    log.warning("printer: %s", problem or "ok again")
                self.printer_problem = problem
            case ReaderState(name=name, problem=problem):
                if problem is None:
                    self.reader_problems.pop(name, None)
                else:
                    log.warning("payment reader %s: %s", name, problem)
                    self.reader_problems[name] = problem
            case TapUpdate():
                if self.parts is not None:
                    self.taps.update(message, self.register, self.parts.readers, self.hooks.clock(),
                                     self.tap_min_left_s)
            case (ev.KeyPressed() | ev.SaleRequested() | ev.CancelRequested() | ev.SessionCreated()
                  | ev.SessionLookedUp() | ev.AttemptCreated() | ev.StatusReceived() | ev.RequestFailed()
                  | ev.PoleUpdated() | ev.Recovered() | ev.Tick()):
                self._note_reachability(message)
                self.feed(message)
            case _:
                assert_never(message)

    def _note_reachability(self, event: ev.Event) -> None:
        if isinstance(event, ev.RequestFailed):
            self.mion_reachable = event.failure is not ev.Failure.UNAVAILABLE
        elif isinstance(event, ev.SessionCreated | ev.SessionLookedUp | ev.AttemptCreated | ev.StatusReceived):
            self.mion_reachable = True

    # --- the screen -------------------------------------------------------------------------------------

    def frame(self, now: datetime) -> Frame:
        till = self.parts.till if self.parts is not None else None
        status = ShopStatus(mion_reachable=self.mion_reachable, till_connected=None if till is None else till.connected,
                            printer_problem=self.printer_problem, demo=self.demo,
                            reader_problem=", ".join(self.reader_problems[n] for n in sorted(self.reader_problems)) or None)
        view = self.register.view(now)
        ledger = self.parts.ledger if self.parts is not None else None
        if ledger is not None and ledger.out_of_service and not isinstance(view, SALE_IN_PROGRESS):
            # The journal cannot be written: no new sale; a sale on screen still finishes (it is in the journal).
            view = MessageView(kind=MessageKind.OUT_OF_SERVICE, amount_cents=None,
                               detail=out_of_service_detail(ledger.payments_kept))
        return Frame(view=view, status=status, tap=self.taps.view if isinstance(view, InvoiceView) else None,
                     notice=None if till is None else till.notice)

    def draw(self) -> None:
        frame = self.frame(self.hooks.clock())
        self._offer(frame)
        if self.parts is not None:
            self.parts.devices.announce(frame.view)  # cues and spoken words (kiosk.shell.announce)
        if self.window.show(frame) and self.hooks.on_frame is not None:
            self.hooks.on_frame(frame, self.window)

    def _offer(self, frame: Frame) -> None:
        """Tell the payment readers which invoice the customer sees, when that changes."""
        if self.parts is None or not self.parts.readers:
            return
        view, sale = frame.view, self.register.sale
        offered = None
        if isinstance(view, InvoiceView) and sale is not None and sale.session_id is not None and sale.attempt:
            offered = OfferedInvoice(reference=sale.reference, session_id=sale.session_id,
                                     invoice=sale.attempt.invoice, amount_msat=sale.attempt.amount_msat,
                                     shown_until=sale.shown_until(self.register.timing) or sale.attempt.expires_at,
                                     amount_cents=sale.amount_cents,
                                     pay_until=min(sale.attempt.expires_at, sale.session_expires_at))
        if offered != self._offered:
            self._offered = offered
            self.taps.offered(offered)
            for reader in self.parts.readers:
                reader.offer(offered)

    # --- events in, effects out ------------------------------------------------------------------------

    def feed(self, event: ev.Event) -> list[fx.Effect]:
        """Hand one event to the register and carry out its effects; a refused event is logged."""
        till = self.parts.till if self.parts is not None else None
        if isinstance(event, ev.KeyPressed) and till is not None and till.notice is not None \
                and till.acknowledge(event.key, self.register.view(self.hooks.clock())):
            return []  # the key dismissed the till notice
        try:
            return self.apply(event)
        except IllegalTransition as exc:
            log.warning("ignored: %s", exc)
            return []

    def apply(self, event: ev.Event) -> list[fx.Effect]:
        """Hand one event to the register and carry out its effects, in order (main thread only).

        Raises:
            IllegalTransition: the register refused the event (``SaleRefused`` for a sale); nothing changed.
                Also ``SaleRefused("UNAVAILABLE")`` for a sale the journal cannot take: the register is
                told it failed, and nothing after its record is carried out (no Mion session).
        """
        if isinstance(event, ev.SaleRequested) and self.parts is not None and self.parts.ledger.out_of_service:
            raise SaleRefused("UNAVAILABLE", "the kiosk cannot record sales right now (its journal cannot be written)")
        effects = self.register.handle(event, self.hooks.clock())
        for effect in effects:
            try:
                self._carry_out(effect)
            except SaleNotRecorded as exc:
                log.error("sale %s not started: the journal cannot be written: %s", exc.reference, exc)
                self.feed(ev.RequestFailed(reference=exc.reference, request=ev.Request.CREATE_SESSION,
                                           failure=ev.Failure.REJECTED, message=NOT_RECORDED))
                raise SaleRefused("UNAVAILABLE", NOT_RECORDED) from exc
        return effects

    def open_sale(self, amount_cents: int, source: SaleSource) -> str:
        """Give a sale from the keypad or the pole a fresh reference and hand it to the register.

        Raises:
            SaleRefused: the register refused it, or the journal cannot take sales; nothing changed.
            StoreError: the journal could not draw a reference.
        """
        reference = self.new_reference()
        self.apply(ev.SaleRequested(reference=reference, amount_cents=amount_cents, source=source))
        return reference

    def new_reference(self) -> str:
        """A reference no sale has, from the journal; while it cannot be written, none.

        Raises:
            SaleRefused: the journal cannot be written (out of service).
            StoreError: drawing it failed (the kiosk is then out of service until the journal takes writes).
        """
        assert self.parts is not None
        ledger = self.parts.ledger
        if ledger.out_of_service:
            raise SaleRefused("UNAVAILABLE", NOT_RECORDED)
        try:
            return self.parts.journal.next_reference(self.parts.terminal_id, self.hooks.clock().astimezone().date())
        except StoreError as exc:
            ledger.unwritable(exc, self.hooks.clock())
            raise

    def _carry_out(self, effect: fx.Effect) -> None:
        parts = self.parts
        assert parts is not None, "the loop runs only once its parts are connected"
        match effect:
            case fx.RequestSale():
                try:
                    self.open_sale(effect.amount_cents, effect.source)
                except KioskError as exc:
                    log.log(logging.INFO if isinstance(exc, SaleRefused) else logging.ERROR,
                            "sale of %d cents not started: %s", effect.amount_cents, exc)
                    if self.register.phase is Phase.ENTERING_AMOUNT:
                        self.feed(ev.CancelRequested())  # the typed amount goes; the screen says why
            case (fx.RecordSale() | fx.RecordSession() | fx.RecordAttempt() | fx.RecordStatus() | fx.RecordPaid()
                  | fx.RecordEnded() | fx.RecordRefusal()):
                parts.ledger.record(effect, self.hooks.clock())
                if isinstance(effect, fx.RecordPaid | fx.RecordEnded):
                    parts.worker.release(effect.reference)  # its held poll need not ask Mion again
            case fx.SetLight():
                if parts.devices.light is not None:
                    parts.devices.light.show(effect.light, self.hooks.monotonic())
            case fx.PollStatus():
                self._polls.append(effect)
            case fx.CreateSession() | fx.FindSession() | fx.CreateAttempt():
                parts.worker.submit(effect)  # the customer waits for these: at once
            case _:
                assert_never(effect)
