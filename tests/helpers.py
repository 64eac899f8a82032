"""Shared test helpers: a kiosk wired to the simulator, driven until a condition holds."""

from __future__ import annotations

import dataclasses
import time
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from kiosk.config import Settings
from kiosk.mion.simulator import MionSimulator
from kiosk.shell.app import Hooks, KioskApp

API_KEY = "test-key-7f3a9c"


def settings_for(simulator: MionSimulator, state_dir: Path, **sections: object) -> Settings:
    base = Settings()
    mion = dataclasses.replace(base.mion, base_url=simulator.base_url, invoice_network="regtest",
                               connect_timeout_s=0.5, read_timeout_s=0.5)
    display = dataclasses.replace(base.display, fullscreen=False, width=800, height=480)
    sale = dataclasses.replace(base.sale, poll_interval_s=0.1, max_backoff_s=0.4)
    printer = dataclasses.replace(base.printer, kind="file", device=str(state_dir / "receipts.bin"))
    settings = dataclasses.replace(base, mion=mion, display=display, sale=sale, printer=printer)
    for name, value in sections.items():
        settings = dataclasses.replace(settings, **{name: dataclasses.replace(getattr(settings, name), **value)})  # type: ignore[arg-type]
    return settings


@contextmanager
def running_kiosk(settings: Settings, state_dir: Path, hooks: Hooks | None = None) -> Iterator[KioskApp]:
    with KioskApp(settings, api_key=API_KEY, state_dir=state_dir, hooks=hooks or Hooks()) as app:
        yield app


def charge(app: KioskApp, amount: str) -> None:
    """Type ``amount`` on the kiosk's keypad and press Enter, as the cashier does."""
    from kiosk.core import events as ev

    for key in amount:
        app.feed(ev.KeyPressed(key=ev.Key(key)))
    app.feed(ev.KeyPressed(key=ev.Key.ENTER))


def drive(app: KioskApp, until: Callable[[KioskApp], bool], *, timeout_s: float = 10.0,
          step: Callable[[KioskApp], None] | None = None) -> None:
    """Run the kiosk's real loop until ``until(app)`` holds; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    reached = [False]

    def on_loop(a: KioskApp) -> None:
        if step is not None:
            step(a)
        if until(a):
            reached[0] = True
            a.stop()
        elif time.monotonic() > deadline:
            a.stop()

    app.hooks.on_idle_loop = on_loop
    app.loop._stop.clear()
    app.run()
    assert reached[0], f"condition not reached within {timeout_s} s; phase {app.register.phase.value}"


def every_setting(cls: type = Settings, where: str = "") -> list[tuple[str, str, typing.Any]]:
    """(section, name, type) of every setting, nested sections (``mion.paths``) included: so a test
    that walks them all cannot forget one added later."""
    found: list[tuple[str, str, typing.Any]] = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        if dataclasses.is_dataclass(hint):
            found += every_setting(hint, f"{where}.{f.name}" if where else f.name)  # type: ignore[arg-type]
        else:
            found.append((where, f.name, hint))
    return found
