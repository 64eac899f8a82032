"""Logging to the systemd journal in its native protocol, with structured fields.

Under systemd, ``journalctl -u kiosk KIOSK_SALE=K1-20261128-0001-3F9A`` then shows everything about
one sale, and a journal shipper (systemd-journal-remote, promtail, vector) carries the fields along.
Each record is one datagram to ``/run/systemd/journal/socket`` (no C library needed): ``MESSAGE``,
``PRIORITY`` (syslog's levels), ``SYSLOG_IDENTIFIER``, where in the code it was logged, the thread,
and these fields when the log call gave them with ``extra=``:

========================  ==========================  ===============================
``extra=`` key            journal field               what
========================  ==========================  ===============================
``kiosk_sale``            ``KIOSK_SALE``              the sale's reference
``kiosk_phase``           ``KIOSK_PHASE``             where the sale stands
``mion_session``          ``MION_SESSION``            Mion's payment session id
========================  ==========================  ===============================

Nothing else from a record is sent, so no value reaches the journal that the message itself does
not hold; the project's messages never hold the API key. A record the socket refuses (the journal
is restarting, or the record is too large for one datagram) is written to stderr instead, which the
unit also sends to the journal.
"""

from __future__ import annotations

import logging
import os
import socket
import struct
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

SOCKET = Path("/run/systemd/journal/socket")
FIELDS = {"kiosk_sale": "KIOSK_SALE", "kiosk_phase": "KIOSK_PHASE", "mion_session": "MION_SESSION"}
"""``extra=`` key -> journal field."""
IDENTIFIER = "kiosk"


def priority(levelno: int) -> int:
    """Syslog's priority for a logging level: 2 critical, 3 error, 4 warning, 6 info, 7 debug."""
    if levelno >= logging.CRITICAL:
        return 2
    if levelno >= logging.ERROR:
        return 3
    if levelno >= logging.WARNING:
        return 4
    if levelno >= logging.INFO:
        return 6
    return 7


def encode(fields: Mapping[str, str]) -> bytes:
    """The journal's native datagram for ``fields``: ``NAME=value`` lines, or for a value holding a
    newline, the name, a newline, its length as 64-bit little-endian and the value."""
    out = bytearray()
    for name, value in fields.items():
        data = value.encode("utf-8", "replace")
        if b"\n" in data:
            out += name.encode() + b"\n" + struct.pack("<Q", len(data)) + data + b"\n"
        else:
            out += name.encode() + b"=" + data + b"\n"
    return bytes(out)


class JournalHandler(logging.Handler):
    """Sends each record to the journal's socket; falls back to ``fallback`` (stderr) for a record the
    socket refuses."""

    def __init__(self, path: Path = SOCKET, *, identifier: str = IDENTIFIER, fallback: TextIO | None = None) -> None:
        super().__init__()
        self._path = str(path)
        self._identifier = identifier
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._fallback = logging.StreamHandler(fallback if fallback is not None else sys.stderr)
        self._fallback.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def fields(self, record: logging.LogRecord) -> dict[str, str]:
        """The journal fields of ``record``."""
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
        fields = {"MESSAGE": message, "PRIORITY": str(priority(record.levelno)),
                  "SYSLOG_IDENTIFIER": self._identifier, "LOGGER": record.name,
                  "CODE_FILE": record.pathname, "CODE_LINE": str(record.lineno), "CODE_FUNC": record.funcName,
                  "THREAD_NAME": record.threadName or ""}
        for key, name in FIELDS.items():
            value = getattr(record, key, None)
            if value is not None:
                fields[name] = str(getattr(value, "value", value))  # an enum (a Phase) by its value
        return fields

    def emit(self, record: logging.LogRecord) -> None:
        try:
            datagram = encode(self.fields(record))
        except (TypeError, ValueError):  # a bad format string: logging's own report, as for any handler
            self.handleError(record)
            return
        try:
            self._socket.sendto(datagram, self._path)
        except OSError:
            self._fallback.handle(record)

    def close(self) -> None:
        self._socket.close()
        self._fallback.close()
        super().close()


def under_journal(environ: Mapping[str, str], stderr_fd: int = 2) -> bool:
    """Whether stderr goes to the journal: systemd sets ``$JOURNAL_STREAM`` to its device and inode."""
    stream = environ.get("JOURNAL_STREAM", "")
    if not stream:
        return False
    try:
        info = os.fstat(stderr_fd)
    except OSError:
        return False
    return stream == f"{info.st_dev}:{info.st_ino}"


def use_journal(environ: Mapping[str, str], *, path: Path = SOCKET) -> JournalHandler | None:
    """Under systemd with the journal's socket present, a handler for the root logger, else None
    (the log then stays on stderr). ``KIOSK_LOG=stderr`` keeps it on stderr; ``KIOSK_LOG=journal``
    uses the journal even when stderr goes elsewhere."""
    choice = environ.get("KIOSK_LOG", "")
    if choice == "stderr" or not path.is_socket():
        return None
    if choice == "journal" or under_journal(environ):
        return JournalHandler(path)
    return None
