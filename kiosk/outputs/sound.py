"""An optional chime on paid, through pygame's mixer.

The chime is generated here (two soft sine tones with a decaying envelope), so there is no sound
file to ship. No audio device, or any mixer trouble, costs one log line and silence: sound is a
nicety and never stands in the way of a sale. Call everything from the main (pygame) thread.
"""

from __future__ import annotations

import array
import logging
import math
from typing import Any

import pygame
import pygame.mixer  # not loaded with pygame itself (kiosk.lean): only a kiosk that plays sound needs it

from kiosk.config import LightSettings
from kiosk.outputs.cues import CHIME_NOTES as CUE_NOTES
from kiosk.outputs.cues import Cue

log = logging.getLogger(__name__)

SAMPLE_RATE_HZ = 22_050
CHIME_NOTES = CUE_NOTES[Cue.PAID]
"""(frequency in Hz, duration in seconds) of each note, played one after the other."""
CHIME_VOLUME = 0.35
"""Peak amplitude as a share of full scale; kept low, a shop is not a stadium."""


def chime_samples(rate_hz: int = SAMPLE_RATE_HZ, channels: int = 1,
                  notes: tuple[tuple[float, float], ...] = CHIME_NOTES) -> bytes:
    """The chime as signed 16-bit native-endian PCM, ``channels`` interleaved copies per frame."""
    samples = array.array("h")
    peak = CHIME_VOLUME * 32767
    for freq, duration_s in notes:
        frames = int(rate_hz * duration_s)
        for i in range(frames):
            t = i / rate_hz
            attack = min(1.0, i / (0.005 * rate_hz))  # 5 ms attack avoids a click
            envelope = attack * math.exp(-6.0 * t / duration_s)
            value = int(peak * envelope * math.sin(2 * math.pi * freq * t))
            samples.extend([value] * channels)
    return samples.tobytes()


class Chime:
    """Plays the paid chime when ``[light] sound`` is on and an audio device exists."""

    def __init__(self, settings: LightSettings) -> None:
        self._enabled = settings.sound
        self._sound: Any = None
        self._cues: dict[Cue, Any] = {}
        self._we_opened_mixer = False

    @property
    def available(self) -> bool:
        """True when ``play()`` will make a sound."""
        return self._sound is not None

    def open(self) -> None:
        """Start the mixer (unless the display already did) and prepare the chime; never raises."""
        if not self._enabled:
            return
        try:
            if pygame.mixer.get_init() is None:
                pygame.mixer.init(frequency=SAMPLE_RATE_HZ, size=-16, channels=1)
                self._we_opened_mixer = True
            mixer_format = pygame.mixer.get_init()
            if mixer_format is None:
                raise pygame.error("the mixer did not start")
            rate, size, channels = mixer_format
            if size != -16:
                log.warning("paid chime off: the audio output uses %d-bit samples, the chime is 16-bit signed", size)
                return
            self._sound = pygame.mixer.Sound(buffer=chime_samples(rate, channels))
            self._cues = {cue: pygame.mixer.Sound(buffer=chime_samples(rate, channels, notes))
                          for cue, notes in CUE_NOTES.items()}
        except (pygame.error, OSError, ValueError) as exc:
            log.warning("paid chime off: no usable audio output (%s)", exc)
            self._sound = None

    def close(self) -> None:
        """Stop the chime and close the mixer if this object started it."""
        sound, self._sound = self._sound, None
        if sound is not None:
            sound.stop()
        for cue_sound in self._cues.values():
            cue_sound.stop()
        self._cues = {}
        if self._we_opened_mixer:
            pygame.mixer.quit()
            self._we_opened_mixer = False

    def play(self) -> None:
        """Start the chime in the background; silently nothing when unavailable."""
        if self._sound is None:
            return
        try:
            self._sound.play()
        except pygame.error as exc:
            log.warning("paid chime failed: %s", exc)

    def play_cue(self, cue: Cue) -> None:
        """The cue's own notes (``kiosk.outputs.cues``) in the background; nothing when unavailable."""
        sound = self._cues.get(cue)
        if sound is None:
            return
        try:
            sound.play()
        except pygame.error as exc:
            log.warning("%s chime failed: %s", cue.value, exc)
