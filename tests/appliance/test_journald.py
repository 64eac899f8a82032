"""The journal handler: native datagrams with structured fields, against a fake journal socket.

Given a unix datagram socket standing in for /run/systemd/journal/socket; when the kiosk logs a
sale's line; then one datagram arrives holding MESSAGE, PRIORITY and the sale's fields, a message with
a newline is length-framed, and a refused send falls back to stderr.
"""

from __future__ import annotations

import io
import logging
import os
import socket
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.appliance.journald import JournalHandler, encode, priority, under_journal, use_journal


def decode(datagram: bytes) -> dict[str, str]:
    """Parse the journal's native protocol, as journald does."""
    fields: dict[str, str] = {}
    rest = datagram
    while rest:
        line, _, after = rest.partition(b"\n")
        if b"=" in line:
            name, _, value = line.partition(b"=")
            fields[name.decode()] = value.decode()
            rest = after
        else:
            (size,) = struct.unpack("<Q", after[:8])
            fields[line.decode()] = after[8:8 + size].decode()
            assert after[8 + size:9 + size] == b"\n"
            rest = after[9 + size:]
    return fields


@pytest.fixture
def journal_socket() -> Iterator[tuple[Path, socket.socket]]:
    folder = Path(tempfile.mkdtemp(prefix="jd", dir="/tmp"))  # unix socket paths are short
    path = folder / "socket"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(path))
    server.settimeout(5)
    yield path, server
    server.close()
    path.unlink()
    folder.rmdir()


def logger_with(handler: logging.Handler) -> logging.Logger:
    logger = logging.getLogger("kiosk.test.journald")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger


def test_a_sale_line_arrives_with_its_structured_fields(journal_socket: tuple[Path, socket.socket]) -> None:
    path, server = journal_socket
    handler = JournalHandler(path)
    log = logger_with(handler)
    log.info("sale %s paid", "K1-1", extra={"kiosk_sale": "K1-1", "kiosk_phase": "paid", "mion_session": "ps_9"})
    fields = decode(server.recv(65536))
    handler.close()
    assert fields["MESSAGE"] == "sale K1-1 paid"
    assert (fields["PRIORITY"], fields["SYSLOG_IDENTIFIER"]) == ("6", "kiosk")
    assert (fields["KIOSK_SALE"], fields["KIOSK_PHASE"], fields["MION_SESSION"]) == ("K1-1", "paid", "ps_9")
    assert fields["LOGGER"] == "kiosk.test.journald" and fields["CODE_FUNC"].startswith("test_a_sale_line")


def test_a_line_without_sale_fields_carries_none_and_a_traceback_is_framed(
        journal_socket: tuple[Path, socket.socket]) -> None:
    path, server = journal_socket
    handler = JournalHandler(path)
    log = logger_with(handler)
    try:
        raise ValueError("bad byte from the till")
    except ValueError:
        log.exception("handling input from the till failed")
    fields = decode(server.recv(65536))
    handler.close()
    assert fields["PRIORITY"] == "3"
    assert fields["MESSAGE"].startswith("handling input from the till failed\nTraceback")
    assert "ValueError: bad byte from the till" in fields["MESSAGE"]
    assert not {"KIOSK_SALE", "KIOSK_PHASE", "MION_SESSION"} & set(fields)


def test_the_encoding_frames_only_values_with_a_newline() -> None:
    assert encode({"A": "one", "B": "two\nlines"}) == b"A=one\nB\n" + struct.pack("<Q", 9) + b"two\nlines\n"


def test_levels_map_to_syslog_priorities() -> None:
    assert [priority(level) for level in (5, 10, 20, 30, 40, 50)] == [7, 7, 6, 4, 3, 2]
    assert priority(logging.INFO - 1) == 7 and priority(logging.WARNING - 1) == 6


def test_without_a_journal_the_record_goes_to_stderr(tmp_path: Path) -> None:
    stderr = io.StringIO()
    handler = JournalHandler(tmp_path / "no-socket", fallback=stderr)
    logger_with(handler).warning("printer: %s", "paper out")
    handler.close()
    assert stderr.getvalue() == "WARNING kiosk.test.journald: printer: paper out\n"


def test_the_journal_is_used_only_under_systemd(journal_socket: tuple[Path, socket.socket], tmp_path: Path) -> None:
    path, _ = journal_socket
    info = os.fstat(2)
    mine = f"{info.st_dev}:{info.st_ino}"
    assert under_journal({"JOURNAL_STREAM": mine})
    assert not under_journal({"JOURNAL_STREAM": "1:2"})  # inherited from a parent: stderr goes elsewhere
    assert not under_journal({})
    assert use_journal({}, path=path) is None
    assert use_journal({"JOURNAL_STREAM": mine, "KIOSK_LOG": "stderr"}, path=path) is None
    assert use_journal({"JOURNAL_STREAM": mine}, path=tmp_path / "absent") is None
    for environ in ({"JOURNAL_STREAM": mine}, {"KIOSK_LOG": "journal"}):
        handler = use_journal(environ, path=path)
        assert isinstance(handler, JournalHandler)
        handler.close()
