"""Spoken prompts (``[accessibility] speech``): a text-to-speech program, run on its own thread.

``say()`` only queues the words and returns at once, so speaking never delays a frame. The thread
runs the program (``espeak-ng`` on Raspberry Pi OS) once per utterance with the text on its standard
input: ``<command> -v <language> -s <wpm> --stdin``. A queue of a few utterances is kept; when it is
full the oldest waiting one is dropped (the newest outcome matters most). A program that is not
installed is logged once and speech stays off; a program that fails is logged per failure.
"""

from __future__ import annotations

import logging
import queue
import subprocess
import threading

log = logging.getLogger(__name__)

QUEUE_SIZE = 3
UTTERANCE_TIMEOUT_S = 20.0
"""The longest one utterance may take before the program is stopped."""


class Speaker:
    """Speaks queued texts with ``command``. ``start()`` once, ``stop()`` once (returns within a second)."""

    def __init__(self, command: str, language: str, wpm: int) -> None:
        self._argv = [command, "-v", language, "-s", str(wpm), "--stdin"]
        self._queue: queue.Queue[str | None] = queue.Queue(maxsize=QUEUE_SIZE)
        self._thread: threading.Thread | None = None
        self._missing = False
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def available(self) -> bool:
        """False once the program was found missing."""
        return not self._missing

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="speech", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop speaking: the current utterance is cut, the waiting ones dropped."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._drain()
        self._queue.put(None)
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()
        thread.join(timeout=1.0)

    def say(self, text: str) -> None:
        """Queue ``text`` to be spoken; never blocks."""
        if self._missing or self._thread is None or not text.strip():
            return
        while True:
            try:
                self._queue.put_nowait(text)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()  # drop the oldest: the newest outcome matters most
                except queue.Empty:
                    pass

    def _drain(self) -> None:
        try:
            while True:
                self._queue.get_nowait()
        except queue.Empty:
            pass

    def _run(self) -> None:
        while True:
            text = self._queue.get()
            if text is None:
                return
            self._speak(text)

    def _speak(self, text: str) -> None:
        try:
            self._process = subprocess.Popen(self._argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL)
        except FileNotFoundError:
            if not self._missing:
                log.warning("speech off: the program %s is not installed (apt install espeak-ng)", self._argv[0])
            self._missing = True
            self._drain()
            return
        except OSError as exc:
            log.warning("speech: cannot run %s: %s", self._argv[0], exc)
            return
        process = self._process
        try:
            process.communicate(text.encode("utf-8"), timeout=UTTERANCE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            log.warning("speech: %s took over %.0f s and was stopped", self._argv[0], UTTERANCE_TIMEOUT_S)
        except OSError as exc:
            log.warning("speech: %s failed: %s", self._argv[0], exc)
        finally:
            self._process = None
        if process.returncode not in (0, None, -9):
            log.warning("speech: %s ended with status %s", self._argv[0], process.returncode)
