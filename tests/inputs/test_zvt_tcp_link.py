"""The ZVT TCP listener: one till at a time, bytes and connection changes posted, a busy port retried."""

from __future__ import annotations

import socket

import pytest

from kiosk.inputs.zvt import tcp_link
from kiosk.inputs.zvt.tcp_link import TcpLink
from tests.clocks import Wait


def test_bytes_both_ways_and_a_new_connection_replaces_the_old(wait: Wait) -> None:
    got: list[bytes] = []
    changes: list[bool] = []
    link = TcpLink(("127.0.0.1", 0), on_data=got.append, on_connection=changes.append)
    assert not link.write(b"nobody")
    link.start()
    try:
        first = socket.create_connection(("127.0.0.1", link.port), timeout=2)
        assert wait(lambda: link.connected)
        first.sendall(b"\x06\x00")
        assert wait(lambda: b"".join(got) == b"\x06\x00")
        assert link.write(b"\x80\x00\x00") and first.recv(16) == b"\x80\x00\x00"
        second = socket.create_connection(("127.0.0.1", link.port), timeout=2)
        assert wait(lambda: changes == [True, False, True])
        assert first.recv(16) == b""  # the old one was closed
        second.close()
        assert wait(lambda: changes[-1] is False and not link.connected)
        first.close()
    finally:
        link.stop()


def test_a_taken_port_is_tried_again_until_it_is_free(wait: Wait, monkeypatch: pytest.MonkeyPatch) -> None:
    holder = socket.create_server(("127.0.0.1", 0))
    port = holder.getsockname()[1]
    monkeypatch.setattr(tcp_link, "MIN_BACKOFF_S", 0.01)
    changes: list[bool] = []
    link = TcpLink(("127.0.0.1", port), on_data=lambda _: None, on_connection=changes.append)
    link.start()  # does not raise: the kiosk runs on, the till link comes when it can
    try:
        holder.close()
        assert wait(lambda: _connects(port), 5.0)
        assert wait(lambda: True in changes)
    finally:
        link.stop()


def _connects(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True
