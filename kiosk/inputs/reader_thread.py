"""Stopping an edge thread that reads from a till link (the serial port, the ZVT listener)."""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)

JOIN_TIMEOUT_S = 2.0
"""How long ``stop_reader`` waits for the thread before it says so and goes on."""


def stop_reader(stop: threading.Event, thread: threading.Thread | None, what: str) -> None:
    """Ask ``thread`` to end (``stop``), wait at most :data:`JOIN_TIMEOUT_S`, and log if it did not."""
    stop.set()
    if thread is not None:
        thread.join(JOIN_TIMEOUT_S)
        if thread.is_alive():
            log.error("%s did not stop within %.1f s", what, JOIN_TIMEOUT_S)
