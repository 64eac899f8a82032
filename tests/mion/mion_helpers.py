"""Helpers for the Mion tests: the test key, a settable clock, a canned-answer server."""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from typing import Any

from kiosk.config import MionSettings

API_KEY = "sk_live_Zq7-SECRET-4f1c9e"
"""Distinctive, so a leak anywhere is easy to spot."""
SHORT_TIMEOUT_S = 0.3


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 28, 16, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def fast_settings(base_url: str, **overrides: Any) -> MionSettings:
    """Settings pointing at ``base_url`` with short timeouts, checked like a loaded config."""
    settings = MionSettings(base_url=base_url, connect_timeout_s=SHORT_TIMEOUT_S, read_timeout_s=SHORT_TIMEOUT_S,
                            **overrides)
    settings.check()
    return settings


# --- a server that answers whatever the test queued ------------------------------------------------


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class CannedServer:
    """Answers each request with the next queued (status, body, headers) and records what it saw."""

    server: ThreadingHTTPServer
    answers: deque[tuple[int, bytes, dict[str, str]]] = field(default_factory=deque)
    seen: list[Seen] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.answers.append((status, raw, headers or {}))


def exception_texts(exc: BaseException | None) -> str:
    """str() and repr() of an exception and everything it was raised from."""
    texts = []
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        texts += [str(exc), repr(exc)]
        exc = exc.__cause__ or exc.__context__
    return "\n".join(texts)


def key_fragments(text: str, key: str = API_KEY, size: int = 8) -> list[str]:
    """Every ``size``-character run of ``key`` found in ``text`` (any longer run contains one)."""
    return [key[i:i + size] for i in range(len(key) - size + 1) if key[i:i + size] in text]
