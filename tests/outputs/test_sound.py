"""The paid chime: generated samples and quiet failure without an audio device."""

from __future__ import annotations

import array
import logging
import os
from collections.abc import Iterator

import pygame
import pytest

from kiosk.config import LightSettings
from kiosk.outputs.sound import CHIME_NOTES, CHIME_VOLUME, Chime, chime_samples


@pytest.fixture(autouse=True)
def no_mixer() -> Iterator[None]:
    pygame.mixer.quit()
    yield
    pygame.mixer.quit()


def test_chime_is_short_soft_and_starts_without_a_click() -> None:
    data = array.array("h", chime_samples(22_050, 2))
    frames = sum(int(22_050 * duration_s) for _, duration_s in CHIME_NOTES)
    assert len(data) == frames * 2
    assert max(abs(v) for v in data) <= CHIME_VOLUME * 32767
    assert max(abs(v) for v in data) > 0.5 * CHIME_VOLUME * 32767
    assert abs(data[0]) < 100 and abs(data[2]) < 500  # 5 ms attack
    assert data[0::2] == data[1::2]  # both channels identical


def test_chime_plays_through_the_dummy_audio_driver() -> None:
    chime = Chime(LightSettings(sound=True))
    chime.open()
    assert chime.available
    chime.play()
    chime.close()
    assert pygame.mixer.get_init() is None  # it closed the mixer it opened


def test_sound_off_in_settings_touches_no_mixer() -> None:
    chime = Chime(LightSettings(sound=False))
    chime.open()
    chime.play()
    assert not chime.available
    assert pygame.mixer.get_init() is None
    chime.close()


def test_no_audio_device_costs_one_log_line_and_silence(monkeypatch: pytest.MonkeyPatch,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("SDL_AUDIODRIVER", "no-such-driver")
    assert os.environ["SDL_AUDIODRIVER"] == "no-such-driver"
    chime = Chime(LightSettings(sound=True))
    with caplog.at_level(logging.WARNING, logger="kiosk.outputs.sound"):
        chime.open()
        chime.play()
        chime.close()
    assert not chime.available
    assert len(caplog.records) == 1
    assert "paid chime off" in caplog.records[0].message
