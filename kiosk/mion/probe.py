"""Raw exchanges with Mion for ``kiosk doctor --live``: what was sent, what came back, as seen.

The kiosk's :class:`kiosk.mion.client.MionClient` turns answers into the model and refuses what it
cannot read; the live check needs the opposite, every answer as it came (status, content type, the
JSON and the type of each field), to say what differs. The endpoint table, the base URL and the auth
header are the same settings the client uses. The key is set on the session's headers only; an
:class:`Exchange` never holds a header, and its text is scrubbed of the key (see
:func:`kiosk.mion.refusal.scrub`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import kiosk.mion.lean_requests  # noqa: F401  # before requests: it loads requests without charset guessing

# isort: split
import requests

from kiosk.config import MionSettings
from kiosk.mion.refusal import NotFoundKind, not_found_kind, scrub
from kiosk.mion.wire import Watch, WatchedAdapter, read_body

log = logging.getLogger(__name__)

MAX_ANSWER_BYTES = 1024 * 1024
"""The most of one answer the check reads, as the client (a longer one is cut, and then not JSON)."""
NOT_JSON = object()
"""The ``data`` of an exchange whose body is not JSON."""


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request of the endpoint table and its answer. ``status`` 0: no answer (``problem`` says why)."""

    name: str
    method: str
    path: str
    request: dict[str, Any] | None
    status: int
    content_type: str
    text: str
    data: Any
    problem: str = ""

    @property
    def ok(self) -> bool:
        """A 2xx answer with a JSON body."""
        return 200 <= self.status < 300 and self.data is not NOT_JSON

    def not_found(self) -> NotFoundKind | None:
        """For a 404: whether the session or the path does not exist; None for any other answer."""
        if self.status != 404:
            return None
        return not_found_kind(self.content_type, self.text.encode("utf-8"))


class Probe:
    """Sends requests of the endpoint table as the kiosk would, and keeps every exchange."""

    def __init__(self, settings: MionSettings, api_key: str) -> None:
        self._settings = settings
        self._key = api_key
        self._base = settings.base_url.rstrip("/")
        self._timeout = (settings.connect_timeout_s, settings.read_timeout_s)
        self._deadline_s = settings.connect_timeout_s + settings.read_timeout_s
        self._watch = Watch()
        self._http = requests.Session()
        adapter = WatchedAdapter()  # a total deadline per call, as the kiosk's own client has
        self._http.mount("https://", adapter)
        self._http.mount("http://", adapter)
        scheme = settings.auth_scheme.strip()
        self._http.headers[settings.auth_header] = f"{scheme} {api_key}" if scheme else api_key
        self._http.headers["Accept"] = "application/json"
        self.exchanges: list[Exchange] = []

    def close(self) -> None:
        """Close the keep-alive connections."""
        self._http.close()

    def call(self, name: str, *, session_id: str = "", reference: str = "", body: dict[str, Any] | None = None,
             spec: str | None = None) -> Exchange:
        """Send the request of endpoint ``name`` (a field of :class:`kiosk.config.MionPaths`); never raises.

        ``spec`` ("METHOD /path") replaces the configured one, to try another path.
        """
        spec = spec or str(getattr(self._settings.paths, name))
        method, _, template = spec.partition(" ")
        path = template.replace("{id}", quote(session_id, safe="")).replace("{reference}", quote(reference, safe=""))
        try:
            with self._watch.exchange(self._deadline_s) as deadline, \
                    self._http.request(method, self._base + path, json=body, timeout=self._timeout,
                                       allow_redirects=False, stream=True) as response:
                raw, _ = read_body(response, MAX_ANSWER_BYTES, deadline)
        except requests.RequestException as exc:
            problem = "TLS certificate not accepted" if isinstance(exc, requests.exceptions.SSLError) else \
                f"no answer ({type(exc).__name__})"
            exchange = Exchange(name, method, path, body, 0, "", "", NOT_JSON, problem)
        else:
            text = scrub(raw.decode("utf-8", errors="replace"), self._key)
            try:
                data = json.loads(text)
            except ValueError:
                data = NOT_JSON
            exchange = Exchange(name, method, path, body, response.status_code,
                                response.headers.get("Content-Type", ""), text, data)
        log.debug("live check %s %s -> %s", method, path, exchange.status or exchange.problem)
        self.exchanges.append(exchange)
        return exchange


def json_type(value: Any) -> str:
    """The JSON type of ``value`` as the check reports it: object, array, string, integer, number, boolean, null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"
