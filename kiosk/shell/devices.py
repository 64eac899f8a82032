"""The devices beside the screen: status light, buzzer, chime and the receipt printer's worker.

Each is optional and opened only when the settings name it, so a kiosk without a printer or buzzer
never imports their libraries. Devices opens and closes them; the loop (the light) and the ledger
(what a payment sets off) use them through its attributes, on the main thread. The print worker
runs its own thread and reports the printer's state as a :class:`~kiosk.shell.messages.PrinterState`
message through ``post``, never by writing into the loop's fields.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from kiosk.config import Settings, shop_timezone
from kiosk.core.view import View
from kiosk.outputs.cues import Cue
from kiosk.shell.announce import Announcer
from kiosk.shell.messages import Message, PrinterState
from kiosk.store.journal import Journal

if TYPE_CHECKING:
    from kiosk.outputs.buzzer import PaidBuzzer
    from kiosk.outputs.light import StatusLight
    from kiosk.outputs.print_worker import PrintWorker
    from kiosk.outputs.sound import Chime
    from kiosk.outputs.speech import Speaker

log = logging.getLogger(__name__)


class Devices:
    def __init__(self, settings: Settings, journal: Journal, post: Callable[[Message], None]) -> None:
        self._settings = settings
        self._journal = journal
        self._post = post
        self.light: StatusLight | None = None
        self.buzzer: PaidBuzzer | None = None
        self.chime: Chime | None = None
        self.printer: PrintWorker | None = None
        """The print worker (None without a printer)."""
        self.speaker: Speaker | None = None
        self.announcer: Announcer | None = None
        """Cues and spoken words as the screen changes (``kiosk.shell.announce``)."""

    @property
    def light_pattern(self) -> str | None:
        """What the status LED shows (None when there is no LED)."""
        return None if self.light is None else self.light.pattern.value

    def open(self) -> None:
        settings = self._settings
        if settings.light.enabled:
            from kiosk.outputs.light import StatusLight

            self.light = StatusLight(settings.light)
            self.light.open()
        if settings.light.buzzer_pin:
            from kiosk.outputs.buzzer import PaidBuzzer

            self.buzzer = PaidBuzzer(settings.light.buzzer_pin, active_high=settings.light.active_high)
            self.buzzer.open()
        if settings.light.sound:
            from kiosk.outputs.sound import Chime

            self.chime = Chime(settings.light)
            self.chime.open()
        if settings.printer.kind != "none":
            from kiosk.outputs.print_worker import PrintWorker
            from kiosk.outputs.printer import ReceiptPrinter

            self.printer = PrintWorker(self._journal, lambda: ReceiptPrinter(settings.printer), settings.shop,
                                        settings.printer, on_status=lambda problem: self._post(PrinterState(problem)),
                                        tz=shop_timezone(settings))
            self.printer.start()
        self._open_announcer()

    def _open_announcer(self) -> None:
        settings = self._settings
        if settings.accessibility.speech:
            from kiosk.outputs.speech import Speaker

            self.speaker = Speaker(settings.accessibility.speech_command, settings.shop.language,
                                   settings.accessibility.speech_wpm)
            self.speaker.start()
        players: list[Callable[[Cue], None]] = [] if self.buzzer is None else [self.buzzer.play]
        if self.chime is not None:
            players.append(self.chime.play_cue)
        if players or self.speaker is not None:
            self.announcer = Announcer(settings.shop.language, players=players, voice=self.speaker)

    def announce(self, view: View) -> None:
        """Hand the view on screen to the announcer (main thread; returns at once)."""
        if self.announcer is not None:
            self.announcer.observe(view)

    def close(self) -> None:
        if self.speaker is not None:
            self.speaker.stop()
        if self.printer is not None:
            self.printer.stop()
        for device in (self.chime, self.buzzer, self.light):
            if device is not None:
                device.close()
