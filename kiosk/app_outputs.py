"""Everything the kiosk does on the outside of a sale: status light, buzzer, chime, receipts, the till.

Journal first, effect second: a payment is written together with its receipt job and its till
message (``Journal.mark_paid``); the print worker and the till link then work from those queues,
so a crash at any point prints and reports exactly once after the restart.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from kiosk import __version__
from kiosk.config import Settings, shop_timezone
from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.core.model import Attempt, Phase, SaleSource
from kiosk.inputs import pos_protocol
from kiosk.outputs.light import LightPattern, StatusLight
from kiosk.store.journal import Journal

if TYPE_CHECKING:
    from kiosk.app_desk import Desk
    from kiosk.inputs.pole import PoleDisplay
    from kiosk.inputs.pos_service import PosService
    from kiosk.inputs.serial_link import SerialLink
    from kiosk.outputs.buzzer import PaidBuzzer
    from kiosk.outputs.print_worker import PrintWorker
    from kiosk.outputs.sound import Chime

log = logging.getLogger(__name__)

_LIGHTS = {fx.Light.OFF: LightPattern.OFF, fx.Light.INVOICE: LightPattern.INVOICE,
           fx.Light.PAID: LightPattern.PAID, fx.Light.ERROR: LightPattern.ERROR}


class Outputs:
    """Owns the light, buzzer, chime, print worker and till link; opened and closed by the app."""

    def __init__(self, settings: Settings, journal: Journal, *, wake: Callable[[], None], demo: bool) -> None:
        self._settings = settings
        self._journal = journal
        self._wake = wake
        self._demo = demo
        self.printer_problem: str | None = None
        self._light: StatusLight | None = None
        self._buzzer: PaidBuzzer | None = None
        self._chime: Chime | None = None
        self._printer: PrintWorker | None = None
        self._link: SerialLink | None = None
        self._service: PosService | None = None
        self._pole: PoleDisplay | None = None
        self._post: Callable[[Callable[[], None]], None] | None = None

    @property
    def light_pattern(self) -> str | None:
        """What the status LED shows (None when there is no LED)."""
        return None if self._light is None else self._light.pattern.value

    @property
    def till_connected(self) -> bool | None:
        return None if self._link is None else self._link.connected

    @property
    def sends_till_events(self) -> bool:
        pos = self._settings.pos
        return pos.enabled and pos.mode == "line"

    def open(self, desk: Desk) -> None:
        settings = self._settings
        if settings.light.enabled:
            self._light = StatusLight(settings.light)
            self._light.open()
        if settings.light.buzzer_pin:
            from kiosk.outputs.buzzer import PaidBuzzer

            self._buzzer = PaidBuzzer(settings.light.buzzer_pin, active_high=settings.light.active_high)
            self._buzzer.open()
        if settings.light.sound:
            from kiosk.outputs.sound import Chime

            self._chime = Chime(settings.light)
            self._chime.open()
        if settings.printer.kind != "none":
            self._open_printer()
        if settings.pos.enabled:
            self._open_till(desk)

    def close(self) -> None:
        for part in (self._link, self._printer):
            if part is not None:
                part.stop()
        for device in (self._chime, self._buzzer, self._light):
            if device is not None:
                device.close()

    # --- light -------------------------------------------------------------------------------------------

    def set_light(self, light: fx.Light) -> None:
        if self._light is not None:
            self._light.show(_LIGHTS[light])

    # --- the journal-first effects -------------------------------------------------------------------------

    def record_paid(self, effect: fx.RecordPaid, now: datetime) -> None:
        printer = self._settings.printer
        copies: tuple[str, ...] = ()
        if printer.kind != "none":
            copies = ("customer", "merchant") if printer.merchant_copy else ("customer",)
        till_line = None
        if self.sends_till_events:
            sat = (effect.amount_msat or 0) // 1000
            till_line = pos_protocol.event_paid(effect.reference, effect.session_id, effect.paid_at, sat)
        recorded = self._journal.mark_paid(effect.reference, paid_at=effect.paid_at, amount_msat=effect.amount_msat,
                                           late=effect.late, at=now, print_copies=copies, till_line=till_line)
        if not recorded:
            return
        log.info("sale %s paid at %s%s", effect.reference, effect.paid_at.isoformat(), " (late)" if effect.late else "")
        if self._printer is not None:
            self._printer.wake()
        if self._buzzer is not None:
            self._buzzer.beep_paid()
        if self._chime is not None:
            self._chime.play()
        self.flush_till(now)

    def record_ended(self, effect: fx.RecordEnded, now: datetime) -> None:
        till_line = None
        if self.sends_till_events:
            if effect.phase is Phase.EXPIRED:
                till_line = pos_protocol.event_expired(effect.reference)
            elif effect.phase is Phase.CANCELLED:
                till_line = pos_protocol.event_cancelled(effect.reference)
            else:
                till_line = pos_protocol.event_error(effect.reference, effect.detail or effect.phase.value)
        self._journal.end_sale(effect.reference, effect.phase, now, detail=effect.detail, till_line=till_line)
        log.info("sale %s ended %s%s", effect.reference, effect.phase.value,
                 f": {effect.detail}" if effect.detail else "")
        self.flush_till(now)

    def announce_invoice(self, reference: str, attempt: Attempt, shown_until: datetime, now: datetime) -> None:
        if self.sends_till_events:
            line = pos_protocol.event_invoice(reference, attempt.amount_sat, shown_until)
            self._journal.queue_till_message(reference, line, now)
            self.flush_till(now)

    # --- the till --------------------------------------------------------------------------------------------

    def flush_till(self, now: datetime) -> None:
        """Send the till's queued event lines, oldest first, while the link is up."""
        if self._link is None or not self._link.connected:
            return
        for message in self._journal.pending_till_messages():
            if not self._link.write(message.line.encode("ascii", "replace") + b"\r\n"):
                return
            self._journal.mark_till_sent(message.message_id, now)

    def _open_till(self, desk: Desk) -> None:
        from kiosk.inputs.serial_link import SerialLink

        pos = self._settings.pos
        app = desk.app
        if pos.mode == "pole":
            from kiosk.inputs.pole import PoleDisplay

            self._pole = PoleDisplay(pos.pole_command_set, pos.total_pattern)
        else:
            from kiosk.inputs.pos_service import PosService

            self._service = PosService(desk, max_amount_cents=self._settings.sale.max_amount_cents,
                                       version=__version__, busy_policy=pos.busy_policy)

        def on_data(data: bytes) -> None:  # reader thread: hand the bytes to the main thread
            app.events.put(lambda: self._on_till_bytes(desk, data))
            self._wake()

        def on_connection(connected: bool) -> None:
            log.info("till link %s", "connected" if connected else "disconnected")
            app.events.put(lambda: self._on_till_connection(connected, app.now()))
            self._wake()

        def on_idle() -> None:  # reader thread: the till stopped writing for a moment
            app.events.put(lambda: self._on_till_quiet(desk))
            self._wake()

        self._link = SerialLink(pos, on_data=on_data, on_connection=on_connection,
                                on_idle=on_idle if pos.mode == "pole" else None)
        self._link.start()

    def _on_till_bytes(self, desk: Desk, data: bytes) -> None:
        app = desk.app
        if self._service is not None:
            for reply in self._service.handle_bytes(data):
                if self._link is not None:
                    self._link.write(reply)
            self.flush_till(app.now())
        elif self._pole is not None:
            # While the till repaints, lines may pair a new TOTAL with the old price: show the text,
            # but take a total only from the settled screen (after the line went quiet).
            for update in self._pole.feed(data):
                app.feed(ev.PoleUpdated(lines=update.lines, total_cents=None))

    def _on_till_quiet(self, desk: Desk) -> None:
        app = desk.app
        if self._pole is None:
            return
        for update in self._pole.flush():
            app.feed(ev.PoleUpdated(lines=update.lines, total_cents=update.total_cents))
            total = update.total_cents
            if (total is not None and self._settings.pos.on_total == "start" and app.register.open_reference is None
                    and 1 <= total <= self._settings.sale.max_amount_cents):
                desk.begin(total, None, SaleSource.POLE)

    def _on_till_connection(self, connected: bool, now: datetime) -> None:
        if connected:
            if self._service is not None:
                self._service.reset()
            if self._pole is not None:
                self._pole.reset()
            self.flush_till(now)

    # --- the printer -----------------------------------------------------------------------------------------

    def _open_printer(self) -> None:
        from kiosk.outputs.print_worker import PrintWorker
        from kiosk.outputs.printer import ReceiptPrinter

        settings = self._settings

        def on_status(problem: str | None) -> None:
            if problem != self.printer_problem:
                log.warning("printer: %s", problem or "ok again")
            self.printer_problem = problem
            self._wake()

        self._printer = PrintWorker(self._journal, lambda: ReceiptPrinter(settings.printer), settings.shop,
                                    settings.printer, on_status=on_status, tz=shop_timezone(settings))
        self._printer.start()
