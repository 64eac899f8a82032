"""``kiosk run``: the production kiosk under systemd, with READY/WATCHDOG and a config-error screen.

A bad configuration must not become a restart loop that nobody can read: the kiosk shows the
one-line reason on the display, tells systemd it is ready, keeps the watchdog fed and waits for a
technician (or a SIGTERM after a corrected file).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
import time
from pathlib import Path

from kiosk.appliance.confirm import confirm_running
from kiosk.appliance.notify import SystemdNotifier
from kiosk.appliance.provision import pending_config_error
from kiosk.commands import common
from kiosk.config import DisplaySettings, Settings, load_settings, read_api_key
from kiosk.core.view import Frame, MessageKind, MessageView
from kiosk.display.window import Window
from kiosk.errors import ConfigError, DisplayError
from kiosk.shell.app import Hooks, KioskApp

log = logging.getLogger(__name__)

ETC_DIR = Path("/etc/kiosk")


def run_production(config_path: Path | None, state_dir: Path, *, window: tuple[int, int] | None) -> int:
    """Run the kiosk until SIGTERM; returns the exit status."""
    os.umask(0o077)  # whatever the shell that started it: its state files are the shop's business only
    notifier = SystemdNotifier.from_environ()
    try:
        settings = load_settings(config_path)
        problem = pending_config_error(ETC_DIR) if config_path is not None and config_path.parent == ETC_DIR else None
        if problem:
            raise ConfigError(f"the new kiosk.toml on the boot partition was not installed: {problem}")
        api_key = read_api_key(settings.mion)
        if api_key is None:
            raise ConfigError(f"[mion] no API key: write it to the file named by api_key_file or set "
                              f"{settings.mion.api_key_env}")
    except ConfigError as exc:
        log.error("configuration: %s", exc)
        return show_config_error(str(exc), notifier, window=window)
    if window is not None:
        import dataclasses

        settings = dataclasses.replace(settings, display=dataclasses.replace(
            settings.display, fullscreen=False, width=window[0], height=window[1]))
    return _serve(settings, api_key, state_dir, notifier)


def _serve(settings: Settings, api_key: str, state_dir: Path, notifier: SystemdNotifier) -> int:
    last_watchdog = [0.0]
    interval = notifier.watchdog_interval_s
    period = min(interval / 2, 5.0) if interval else None

    def on_frame(frame: Frame, window: Window) -> None:
        if not last_watchdog[0]:
            notifier.ready("showing the first screen")
            confirm_running(state_dir)  # an update that got this far is kept (kiosk.appliance.update)
            last_watchdog[0] = time.monotonic()

    def on_loop(app: KioskApp) -> None:
        # Fed from the loop itself, so a hung loop stops feeding it and systemd restarts the kiosk.
        if period is not None and time.monotonic() - last_watchdog[0] >= period:
            notifier.watchdog()
            last_watchdog[0] = time.monotonic()

    hooks = Hooks(on_frame=on_frame, on_idle_loop=on_loop)
    with KioskApp(settings, api_key=api_key, state_dir=state_dir, hooks=hooks) as app:
        app.run()
    notifier.stopping()
    return 0


def show_config_error(reason: str, notifier: SystemdNotifier, *, window: tuple[int, int] | None) -> int:
    """Show the reason on screen and wait for SIGTERM, feeding the watchdog."""
    display = DisplaySettings(fullscreen=window is None, width=window[0] if window else 0,
                              height=window[1] if window else 0)
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
    screen = Window(display, "en")
    try:
        screen.open()
    except DisplayError as exc:  # no display either: the log and the exit status are all we have
        log.error("cannot show the configuration error on screen: %s", exc)
        return 2
    try:
        screen.show(Frame(view=MessageView(kind=MessageKind.CONFIG_ERROR, detail=reason)))
        notifier.ready("configuration error: " + reason)
        interval = notifier.watchdog_interval_s
        while not stop.wait(min(interval / 2, 5.0) if interval else 5.0):
            notifier.watchdog()
            import pygame

            pygame.event.pump()
    finally:
        screen.close()
    return 2


def main(args: argparse.Namespace) -> int:
    """``kiosk run``."""
    return run_production(args.config, common.state_dir(args), window=args.window)
