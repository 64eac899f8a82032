"""The composition root: builds the register, the loop and every part from the settings, in order.

Opening order matters and is the order of ``__enter__``: the journal first (nothing may happen
unrecorded), then the screen, Mion, the devices, the till and payment readers; recovery runs last,
before the loop can take a sale. Closing runs in reverse.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Self

import pygame

from kiosk.config import Settings
from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.core.model import SaleSource
from kiosk.core.register import Register
from kiosk.core.view import Frame
from kiosk.display import qr
from kiosk.display.window import Window
from kiosk.inputs import key_wake
from kiosk.inputs.payment_reader import PaymentReader
from kiosk.lean import one_malloc_arena
from kiosk.mion.worker import MionWorker
from kiosk.shell.devices import Devices
from kiosk.shell.ledger import Ledger
from kiosk.shell.loop import KEY_POLL_S, Hooks, Loop, Parts
from kiosk.shell.messages import Message
from kiosk.shell.recovery import read_recoverable
from kiosk.shell.rules import timing_from, tip_rules_from
from kiosk.store.ballast import Ballast
from kiosk.store.journal import Journal
from kiosk.store.paths import ensure_state_dir

if TYPE_CHECKING:
    from kiosk.mion.client import MionClient
    from kiosk.shell.metrics import KioskMetrics
    from kiosk.shell.metrics_server import MetricsServer
    from kiosk.shell.till import Till

__all__ = ["Hooks", "KioskApp", "timing_from"]

log = logging.getLogger(__name__)


class KioskApp:
    """The running kiosk. Use as a context manager; ``run()`` until ``stop()``."""

    def __init__(self, settings: Settings, *, api_key: str, state_dir: Path, hooks: Hooks | None = None,
                 demo: bool = False, readers: Sequence[PaymentReader] = ()) -> None:
        one_malloc_arena()  # before the threads start: see kiosk.lean
        self.settings = settings
        self.hooks = hooks or Hooks()
        self.demo = demo
        self.register = Register(timing_from(settings), shop_name=settings.shop.name,
                                 logo_path=settings.shop.logo or None, tips=tip_rules_from(settings))
        self.window = Window(settings.display, settings.shop.language, logo_path=settings.shop.logo or None)
        self.loop = Loop(self.register, self.window, self.hooks, owner=self, demo=demo)
        self.loop.on_started = self.warm_up
        self.journal = Journal(state_dir / "journal.sqlite3")
        self.devices = Devices(settings, self.journal, self.loop.post)
        self.till: Till | None = None
        self.worker: MionWorker | None = None
        self._client: MionClient | None = None
        self._readers = tuple(readers) or self._configured_readers()
        self.metrics: KioskMetrics | None = None
        self.metrics_server: MetricsServer | None = None
        self.loop.tap_min_left_s = settings.nfc.min_time_left_s
        self._api_key = api_key
        self._state_dir = state_dir
        self._stack = contextlib.ExitStack()

    # --- lifecycle ---------------------------------------------------------------------------------------

    def __enter__(self) -> Self:
        stack = self._stack
        ensure_state_dir(self._state_dir)
        self.journal.open()
        stack.callback(self.journal.close)
        self.window.open()
        stack.callback(self.window.close)
        self._watch_keys()
        if not self._api_key:
            raise ValueError("api_key must not be empty")
        if self.settings.metrics.listen:  # prometheus_client only when asked for
            from kiosk.shell.metrics_wiring import start_metrics

            self.metrics, self.metrics_server = start_metrics(self.settings, self._state_dir / "journal.sqlite3", stack)
        stack.callback(self._close_client)
        self.worker = MionWorker(self._connect, network=self.settings.mion.invoice_network, post=self.loop.post,
                                 prepare=lambda attempt: qr.encode(qr.qr_payload(attempt.invoice)),
                                 observe=None if self.metrics is None else self.metrics.mion_call)
        stack.callback(self.worker.close)
        self.devices.open()
        stack.callback(self.devices.close)
        if self.settings.pos.enabled:
            from kiosk.shell.till import Till  # the serial stack only for a kiosk with a till

            self.till = Till(self.settings, self.journal, self.register, self.loop.apply, self.loop.post,
                             new_reference=self.loop.new_reference, clock=self.loop.now)
            if self.devices.printer is not None:
                self.till.wake_printer = self.devices.printer.wake
            self.till.start()
            stack.callback(self.till.stop)
        for reader in self._readers:
            reader.start()
            stack.callback(reader.stop)
        ballast = Ballast(self._state_dir / "disk-reserve")
        ballast.lay()
        ledger = Ledger(self.settings, self.journal, self.devices, self.till, ballast=ballast, observer=self.metrics)
        self.loop.parts = Parts(journal=self.journal, ledger=ledger, worker=self.worker, devices=self.devices,
                                terminal_id=self.settings.shop.terminal_id, till=self.till, readers=self._readers)
        if self.metrics is not None:
            from kiosk.shell.metrics_wiring import follow

            follow(self.loop, self.metrics, printer=self.settings.printer.kind != "none")
        self._recover()  # before anything else can start a sale
        return self

    def _configured_readers(self) -> tuple[PaymentReader, ...]:
        """The payment readers the settings enable (tap to pay loads only when ``[nfc] enabled``)."""
        if not self.settings.nfc.enabled:
            return ()
        from kiosk.inputs.boltcard.build import build_reader, journaling

        return (build_reader(self.settings.nfc, self.loop.post, record=journaling(self.journal, self.hooks.clock)),)

    def _connect(self) -> MionClient:
        """The Mion client, built on its first use or by ``warm_up`` (it loads the HTTP stack)."""
        from kiosk.mion.client import MionClient

        self._client = MionClient(self.settings.mion, self._api_key)
        return self._client

    def _close_client(self) -> None:
        if self._client is not None:
            self._client.close()

    def warm_up(self) -> None:
        """Load what the first sale needs (the HTTP stack, the QR encoder) on a thread of its own.

        Called by the loop once the first frame is shown, so that neither the start nor the first
        invoice waits for these imports.
        """
        def load() -> None:
            try:
                # Pillow only where python-escpos needs it anyway: a kiosk without a printer saves 4 MB.
                qr.warm_up(pillow=self.settings.printer.kind != "none")
                if self.worker is not None:
                    self.worker.connect()
            except Exception:  # the first sale will try again, and report it
                log.exception("warming up failed")

        threading.Thread(target=load, name="warm-up", daemon=True).start()

    def _watch_keys(self) -> None:
        """Let a key wake the loop where SDL reads the keypads' devices; otherwise the loop looks for keys."""
        driver = pygame.display.get_driver()
        watching = False
        if driver in key_wake.EVDEV_DRIVERS:
            watcher = key_wake.EvdevKeyWake(self.loop.wake)
            watching = watcher.start()
            self._stack.callback(watcher.stop)
        self.loop.key_poll_s = KEY_POLL_S if key_wake.must_poll_keys(driver, watching) else None
        log.info("keys: %s (SDL driver %s)", "a key wakes the loop" if self.loop.key_poll_s is None
                 else f"looked for every {KEY_POLL_S * 1000:.0f} ms", driver)

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _recover(self) -> None:
        """Hand the register every sale the journal holds as unfinished, and every ended sale whose
        invoice may still be paid late (its watch lived in memory only)."""
        sale = self.settings.sale
        sales = read_recoverable(self.journal, self.now(), session_lifetime_s=sale.session_lifetime_s,
                                 late_grace_s=sale.late_grace_s)
        if not sales:
            return
        unfinished = [s.reference for s in sales if not s.ended]
        log.info("recovering %d unfinished sale(s) %s; watching %d ended one(s) for late payments",
                 len(unfinished), ", ".join(unfinished), len(sales) - len(unfinished))
        self.feed(ev.Recovered(sales=sales))

    # --- the loop, for the commands and the tests ---------------------------------------------------------

    def run(self) -> None:
        """Serve until ``stop()`` (or SIGTERM/SIGINT in the main thread)."""
        self.loop.run()

    def stop(self) -> None:
        self.loop.stop()

    def wake(self) -> None:
        self.loop.wake()

    def post(self, message: Message) -> None:
        self.loop.post(message)

    def now(self) -> datetime:
        return self.hooks.clock()

    def open_sale(self, amount_cents: int, source: SaleSource) -> str:
        """Start a sale as the keypad would (a fresh reference); main thread only."""
        return self.loop.open_sale(amount_cents, source)

    def feed(self, event: ev.Event) -> list[fx.Effect]:
        """Hand one event to the register and carry out its effects (main thread only)."""
        return self.loop.feed(event)

    def frame(self, now: datetime) -> Frame:
        return self.loop.frame(now)
