"""The devices beside the screen: status light, buzzer, chime and the receipt printer's worker.

Each is optional and opened only when the settings name it, so a kiosk without a printer or buzzer
never imports their libraries. Everything here is called on the main thread; the print worker runs
its own thread and reports the printer's state as a :class:`~kiosk.shell.messages.PrinterState`
message through ``post``, never by writing into the loop's fields.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from kiosk.config import Settings, shop_timezone
from kiosk.core.effects import Light
from kiosk.shell.messages import Message, PrinterState
from kiosk.store.journal import Journal

if TYPE_CHECKING:
    from kiosk.outputs.buzzer import PaidBuzzer
    from kiosk.outputs.light import StatusLight
    from kiosk.outputs.print_worker import PrintWorker
    from kiosk.outputs.sound import Chime

log = logging.getLogger(__name__)


class Devices:
    def __init__(self, settings: Settings, journal: Journal, post: Callable[[Message], None]) -> None:
        self._settings = settings
        self._journal = journal
        self._post = post
        self._light: StatusLight | None = None
        self._buzzer: PaidBuzzer | None = None
        self._chime: Chime | None = None
        self._printer: PrintWorker | None = None

    @property
    def light_pattern(self) -> str | None:
        """What the status LED shows (None when there is no LED)."""
        return None if self._light is None else self._light.pattern.value

    def open(self) -> None:
        settings = self._settings
        if settings.light.enabled:
            from kiosk.outputs.light import StatusLight

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
            from kiosk.outputs.print_worker import PrintWorker
            from kiosk.outputs.printer import ReceiptPrinter

            self._printer = PrintWorker(self._journal, lambda: ReceiptPrinter(settings.printer), settings.shop,
                                        settings.printer, on_status=lambda problem: self._post(PrinterState(problem)),
                                        tz=shop_timezone(settings))
            self._printer.start()

    def close(self) -> None:
        if self._printer is not None:
            self._printer.stop()
        for device in (self._chime, self._buzzer, self._light):
            if device is not None:
                device.close()

    def show(self, light: Light) -> None:
        if self._light is not None:
            self._light.show(light)

    def paid(self) -> None:
        """A payment was just recorded: print its slips, beep, chime."""
        if self._printer is not None:
            self._printer.wake()
        if self._buzzer is not None:
            self._buzzer.beep_paid()
        if self._chime is not None:
            self._chime.play()
