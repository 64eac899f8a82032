"""The composition root: wires the register to Mion, the journal, the screen, the till and the outputs.

One thread, the main one, owns pygame and the register. Everything else (Mion requests, the serial
reader, the print worker) runs on threads at the edges that put events on ``self.events`` and wake the
main loop. The loop sleeps until it is woken, the register's next deadline comes or it is time to look
at the keyboard (see ``KEY_POLL_S``); it never spins.
"""

from __future__ import annotations

import contextlib
import logging
import math
import queue
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Self

import pygame

from kiosk.app_desk import Desk
from kiosk.app_outputs import Outputs
from kiosk.config import Settings
from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.core.model import Attempt, Phase
from kiosk.core.register import Register
from kiosk.core.sale import Timing
from kiosk.core.view import Frame, ShopStatus
from kiosk.display import qr
from kiosk.display.window import Window
from kiosk.errors import IllegalTransition
from kiosk.inputs.keypad import key_for
from kiosk.mion.client import MionClient
from kiosk.mion.worker import MionWorker
from kiosk.store.journal import Journal
from kiosk.store.records import SaleRecord

log = logging.getLogger(__name__)

MAX_WAIT_S = 1.0
"""Longest the loop sleeps without looking at the clock (also bounds the watchdog interval)."""
KEY_POLL_S = 0.04
"""How often keys are looked for while nothing else happens.

``pygame.event.wait(timeout)`` looks for events every millisecond, which alone costs a few percent of
a core (more on a Pi Zero). The loop instead sleeps on a ``threading.Event`` that the edge threads set,
and looks at the keyboard 25 times a second: a key waits at most 40 ms, unnoticed by a cashier.
"""


def timing_from(settings: Settings) -> Timing:
    sale = settings.sale
    return Timing(
        max_amount_cents=sale.max_amount_cents, poll_interval_s=sale.poll_interval_s,
        refresh_margin_s=sale.refresh_margin_s, refresh_lead_s=sale.refresh_lead_s,
        session_lifetime_s=sale.session_lifetime_s, late_grace_s=sale.late_grace_s,
        paid_screen_s=sale.paid_screen_s, message_screen_s=sale.message_screen_s,
        max_backoff_s=sale.max_backoff_s, dim_after_s=settings.display.dim_after_s,
        recovery_unpayable=sale.recovery_unpayable,
        # Three times the longest a request may take: a create Mion finishes late is found by a lookup
        # instead of being doubled (only after a create with an unknown outcome and an empty lookup).
        lookup_confirm_s=3 * (settings.mion.connect_timeout_s + settings.mion.read_timeout_s),
    )


@dataclass
class Hooks:
    """Ways for demo mode, tests and systemd to follow the loop without reaching into it."""

    on_frame: Callable[[Frame, Window], None] | None = None
    """Called after a frame was drawn (screenshots, READY=1)."""
    on_key: Callable[[pygame.event.Event], bool] | None = None
    """Demo keys; return True when the key was consumed."""
    on_idle_loop: Callable[[KioskApp], None] | None = None
    """Called once per loop iteration (the headless demo's script, the watchdog)."""
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


class KioskApp:
    """The running kiosk. Use as a context manager; ``run()`` until ``stop()``."""

    def __init__(self, settings: Settings, *, api_key: str, state_dir: Path, hooks: Hooks | None = None,
                 demo: bool = False) -> None:
        self.settings = settings
        self.hooks = hooks or Hooks()
        self.demo = demo
        self.events: queue.Queue[ev.Event | Callable[[], None]] = queue.Queue()
        self.register = Register(timing_from(settings), shop_name=settings.shop.name,
                                 logo_path=settings.shop.logo or None)
        self._stack = contextlib.ExitStack()
        self._stop = threading.Event()
        self._woken = threading.Event()
        self._api_key = api_key
        self._state_dir = state_dir
        self.mion_reachable: bool | None = None
        self.journal = Journal(state_dir / "journal.sqlite3")
        self.window = Window(settings.display, settings.shop.language, logo_path=settings.shop.logo or None)
        self.outputs = Outputs(settings, self.journal, wake=self.wake, demo=demo)
        self.desk = Desk(self)
        self.worker: MionWorker | None = None

    # --- lifecycle ---------------------------------------------------------------------------------------

    def __enter__(self) -> Self:
        stack = self._stack
        self._state_dir.mkdir(parents=True, exist_ok=True)
        self.journal.open()
        stack.callback(self.journal.close)
        self.window.open()
        stack.callback(self.window.close)
        client = MionClient(self.settings.mion, self._api_key)
        stack.callback(client.close)
        self.worker = MionWorker(client, network=self.settings.mion.invoice_network,
                                 events=self.events, wake=self.wake,  # type: ignore[arg-type]
                                 prepare=lambda attempt: qr.encode(qr.qr_payload(attempt.invoice)))
        stack.callback(self.worker.close)
        self.outputs.open(self.desk)
        stack.callback(self.outputs.close)
        self._recover()  # before anything else can start a sale
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def stop(self) -> None:
        """Ask the loop to end (thread- and signal-safe)."""
        self._stop.set()
        self.wake()

    def wake(self) -> None:
        """Wake the main loop from any thread (after putting work on ``self.events``)."""
        self._woken.set()

    def now(self) -> datetime:
        return self.hooks.clock()

    # --- the loop ----------------------------------------------------------------------------------------

    def run(self) -> None:
        """Serve until ``stop()`` (or SIGTERM/SIGINT in the main thread)."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._on_signal)
            signal.signal(signal.SIGINT, self._on_signal)
        self._draw()
        while not self._stop.is_set():
            events = pygame.event.get()
            if not events and self.events.empty():
                self._woken.wait(min(self._wait_ms() / 1000, KEY_POLL_S))
                self._woken.clear()
                events = pygame.event.get()
            for event in events:
                self._on_pygame_event(event)
            self._drain()
            self._feed(ev.Tick())
            self._draw()
            if self.hooks.on_idle_loop is not None:
                self.hooks.on_idle_loop(self)
        log.info("kiosk loop ended")

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        log.info("signal %d: stopping", signum)
        self.stop()

    def _wait_ms(self) -> int:
        now = self.now()
        wait_s = MAX_WAIT_S
        deadline = self.register.next_deadline(now)
        if deadline is not None:
            wait_s = min(wait_s, max(0.0, (deadline - now).total_seconds()))
        animation_s = self.window.animation_interval_s(self.frame(now))
        if animation_s is not None:
            wait_s = min(wait_s, animation_s)
        # Round up: waking a hair before a deadline would find nothing due yet.
        return max(1, math.ceil(wait_s * 1000))

    def _on_pygame_event(self, event: pygame.event.Event) -> None:
        if event.type == pygame.QUIT:
            self.stop()
        elif event.type == pygame.KEYDOWN:
            if self.hooks.on_key is not None and self.hooks.on_key(event):
                return
            key = key_for(event)
            if key is not None:
                self._feed(ev.KeyPressed(key=key))

    def _drain(self) -> None:
        while True:
            try:
                item = self.events.get_nowait()
            except queue.Empty:
                return
            if callable(item):
                # Work handed over by an edge thread (the till's bytes). A fault in it is logged and the
                # kiosk goes on: nothing a till sends may stop the loop.
                try:
                    item()
                except Exception:
                    log.exception("handling input from the till failed")
            else:
                self._note_reachability(item)
                self._feed(item)

    def _note_reachability(self, event: ev.Event) -> None:
        if isinstance(event, ev.RequestFailed):
            self.mion_reachable = event.failure is not ev.Failure.UNAVAILABLE
        elif isinstance(event, ev.SessionCreated | ev.SessionLookedUp | ev.AttemptCreated | ev.StatusReceived):
            self.mion_reachable = True

    def frame(self, now: datetime) -> Frame:
        status = ShopStatus(mion_reachable=self.mion_reachable, till_connected=self.outputs.till_connected,
                            printer_problem=self.outputs.printer_problem, demo=self.demo)
        return Frame(view=self.register.view(now), status=status)

    def _draw(self) -> None:
        frame = self.frame(self.now())
        if self.window.show(frame) and self.hooks.on_frame is not None:
            self.hooks.on_frame(frame, self.window)

    # --- events in, effects out ------------------------------------------------------------------------

    def feed(self, event: ev.Event) -> list[fx.Effect]:
        """Hand one event to the register and carry out its effects (main thread only)."""
        return self._feed(event)

    def _feed(self, event: ev.Event) -> list[fx.Effect]:
        try:
            effects = self.register.handle(event, self.now())
        except IllegalTransition as exc:
            log.warning("ignored: %s", exc)
            return []
        for effect in effects:
            self._carry_out(effect)
        return effects

    def _carry_out(self, effect: fx.Effect) -> None:
        now = self.now()
        journal = self.journal
        if isinstance(effect, fx.RequestSale):
            self.desk.begin(effect.amount_cents, None, effect.source)
        elif isinstance(effect, fx.RecordSale):
            journal.create_sale(reference=effect.reference, amount_cents=effect.amount_cents, source=effect.source,
                                at=now)
        elif isinstance(effect, fx.RecordSession):
            journal.set_session(effect.reference, effect.session_id, now)
        elif isinstance(effect, fx.RecordAttempt):
            journal.add_attempt(effect.reference, effect.attempt, now)
            self.outputs.announce_invoice(effect.reference, effect.attempt, effect.expires_at, now)
        elif isinstance(effect, fx.RecordStatus):
            journal.record_status(effect.reference, effect.status, now)
        elif isinstance(effect, fx.RecordPaid):
            self.outputs.record_paid(effect, now)
        elif isinstance(effect, fx.RecordEnded):
            self.outputs.record_ended(effect, now)
        elif isinstance(effect, fx.SetLight):
            self.outputs.set_light(effect.light)
        else:
            assert self.worker is not None
            self.worker.submit(effect)

    def _recover(self) -> None:
        """Hand the register every sale the journal holds as unfinished, and every ended sale whose
        invoice may still be paid late (its watch lived in memory only)."""
        now = self.now()
        sale = self.settings.sale
        window = timedelta(seconds=sale.session_lifetime_s + sale.late_grace_s)
        unfinished = self.journal.unfinished()
        ended = [s for s in self.journal.sales_between(now - window, now + timedelta(seconds=1))
                 if s.phase in (Phase.CANCELLED, Phase.EXPIRED) and s.session_id is not None and s.attempts]
        if not unfinished and not ended:
            return
        log.info("recovering %d unfinished sale(s) %s; watching %d ended one(s) for late payments",
                 len(unfinished), ", ".join(s.reference for s in unfinished), len(ended))
        sales = tuple(
            ev.RecoveredSale(reference=s.reference, amount_cents=s.amount_cents, source=s.source,
                             created_at=s.created_at, session_id=s.session_id, last_attempt=_last_attempt(s),
                             ended=s.phase.is_final)
            for s in [*unfinished, *ended])
        self._feed(ev.Recovered(sales=sales))


def _last_attempt(record: SaleRecord) -> Attempt | None:
    if not record.attempts or record.session_id is None:
        return None
    last = record.attempts[-1]
    return Attempt(session_id=record.session_id, invoice=last.invoice, amount_msat=last.amount_msat,
                   expires_at=last.expires_at)

