"""Demo mode's settings: a window, the simulator, a file printer, whatever the config file says."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from kiosk.commands.demo import demo_settings
from kiosk.config import Settings
from kiosk.mion.simulator import MionSimulator


def test_the_demo_is_a_window_against_the_simulator_printing_to_a_file(tmp_path: Path) -> None:
    with MionSimulator() as sim:
        settings = demo_settings(Settings(), sim, tmp_path, window=None)
        sized = demo_settings(dataclasses.replace(Settings(), display=dataclasses.replace(
            Settings().display, width=1280, height=720)), sim, tmp_path, window=None)
        asked = demo_settings(Settings(), sim, tmp_path, window=(1024, 600))
        base_url = sim.base_url
    assert not settings.display.fullscreen and (settings.display.width, settings.display.height) == (800, 480)
    assert (sized.display.width, sized.display.height) == (1280, 720)
    assert (asked.display.width, asked.display.height) == (1024, 600)
    assert settings.mion.base_url == base_url and settings.mion.invoice_network == "regtest"
    assert settings.printer.kind == "file" and settings.printer.device == str(tmp_path / "receipts.bin")
