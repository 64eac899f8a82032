"""``kiosk demo`` with a ZVT till: the till-side console (``kiosk pos-console --zvt``) starts a sale as
the keypad does, P pays it, and the console gets the paid status and the Completion."""

from __future__ import annotations

import socket
from pathlib import Path

import pygame

from kiosk.commands.demo import DEMO_API_KEY, demo_app
from kiosk.commands.demo_card import DemoCard
from kiosk.config import PosSettings, Settings
from kiosk.config_zvt import ZvtSettings
from kiosk.core.model import Phase, SaleSource
from kiosk.core.view import InvoiceView
from kiosk.inputs.zvt.console import EcrConsole, command_bytes
from kiosk.mion.simulator import MionSimulator
from kiosk.shell.app import KioskApp
from tests.helpers import drive


def test_the_demo_takes_a_zvt_authorization_from_the_till_console_and_p_pays_it(tmp_path: Path) -> None:
    base = Settings(pos=PosSettings(enabled=True, mode="zvt"), zvt=ZvtSettings(listen="127.0.0.1:0"))
    with (MionSimulator(api_key=DEMO_API_KEY, network="regtest", store=tmp_path / "simulator.json") as simulator,
          DemoCard(simulator) as card):
        app = demo_app(base, tmp_path, simulator, card, window=(800, 480))
        with app:
            assert app.till is not None
            sock = socket.create_connection(("127.0.0.1", app.till._link.port), timeout=5)  # type: ignore[union-attr]
            sock.setblocking(False)
            shown: list[str] = []
            console = EcrConsole(sock.sendall, shown.append, serial_link=False)

            def read(_: KioskApp) -> None:
                try:
                    data = sock.recv(4096)
                except BlockingIOError:
                    return
                if data:
                    console.received(data)

            def typed(line: str) -> None:
                apdu = command_bytes(line)
                assert apdu is not None
                console.send(apdu)

            try:
                drive(app, lambda a: a.till is not None and a.till.connected, step=read)
                typed("register")
                drive(app, lambda a: any("(completion" in line for line in shown), step=read)
                typed("pay 12,50")
                drive(app, lambda a: isinstance(a.frame(a.now()).view, InvoiceView), step=read)
                view = app.frame(app.now()).view
                assert isinstance(view, InvoiceView) and view.amount_cents == 1250  # on screen as a keyed sale
                pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_p, mod=0, unicode="p",
                                                     scancode=0))  # the demo's "customer pays"
                drive(app, lambda a: bool(shown) and shown[-1].startswith("< 06 0F 00"), step=read)
                record = app.journal.last_paid()
            finally:
                sock.close()
    statuses = [line for line in shown if "(status information" in line]
    assert len(statuses) == 1 and "result 00, amount 12,50, Mion session" in statuses[0], "\n".join(shown)
    assert record is not None and record.amount_cents == 1250 and record.source is SaleSource.POS
    assert record.phase is Phase.PAID and record.paid_at is not None
