"""The Mion API client: one keep-alive ``requests.Session``, one table of endpoints, one error tree.

Policy lives here; the wire is ``requests``, behind the seam in :mod:`kiosk.mion.wire`:

- every path, the base URL and the auth header come from :class:`kiosk.config.MionSettings`, so a
  technician can correct a wrong guess about Mion's API in the config file;
- every call has explicit (connect, read) timeouts, and a total deadline of their sum however
  slowly the answer comes (:mod:`kiosk.mion.wire` cuts the connection then); :meth:`MionClient.close`
  and :meth:`MionClient.cancel_requests` cut calls in flight at once;
- every answer is read streamed and at most :data:`MAX_ANSWER_BYTES` of it is held;
- no call is retried here: a POST that timed out may have been processed, and only the caller
  knows how to resolve it (by reference);
- every failure becomes a :class:`kiosk.errors.MionError`, chained with ``from``:
  no connection, timeouts, a passed deadline, 5xx and 429 -> ``MionUnavailable`` (outcome
  unknown); a 2xx body that is not what the API promises, or is too long -> ``MionMalformed``;
  any other refusal -> ``MionRejected``.

The API key is set on the session's headers and nowhere else: messages and log lines are built
from the method and path only, and a refusal keeps only what :mod:`kiosk.mion.refusal` lets
through of Mion's answer (a short message with no part of the key; for a 401 or 403, Mion's
error code alone).
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import kiosk.mion.lean_requests  # noqa: F401  # before requests: it loads requests without charset guessing

# isort: split
import requests
import urllib3

from kiosk.config import MionSettings
from kiosk.core.model import Attempt, Session, SessionStatus
from kiosk.errors import MionError, MionMalformed, MionRejected, MionUnavailable
from kiosk.mion.refusal import not_found_kind, refusal_detail
from kiosk.mion.wire import DeadlinePassed, Exchange, Watch, WatchedAdapter, read_body

log = logging.getLogger(__name__)

PREPARED_KEPT = 16
"""Prepared GET requests kept (a few sessions' status paths); all are dropped when it is full."""

MAX_ANSWER_BYTES = 1024 * 1024
"""The most of one answer the kiosk holds; a longer one is refused as malformed (Mion's are a few kB)."""
ERROR_BODY_BYTES = 64 * 1024
"""The most of a refusal's body read for its message; the rest is left unread."""
_USER_AGENT = "lightning-kiosk/0.1"


class MionClient:
    """Talks to Mion for one kiosk.

    A few worker threads may share it: it keeps no state between calls, and the connection pool
    underneath hands each concurrent request its own connection.

    ``session`` may be given (e.g. with a custom CA bundle); the client mounts its own transport
    adapter on it for http and https (the one that enforces the deadline) and closes it too.
    """

    def __init__(self, settings: MionSettings, api_key: str, *, session: requests.Session | None = None) -> None:
        if not api_key:
            raise ValueError("api_key must not be empty")
        self._settings = settings
        self._base_url = settings.base_url.rstrip("/")
        self._secret = api_key
        self._timeout = (settings.connect_timeout_s, settings.read_timeout_s)
        self._deadline_s = settings.connect_timeout_s + settings.read_timeout_s
        self._watch = Watch()
        self._prepared: dict[tuple[str, str], requests.PreparedRequest] = {}
        self._http = session if session is not None else requests.Session()
        _read_environment_once(self._http, self._base_url)
        adapter = WatchedAdapter()
        self._http.mount("https://", adapter)
        self._http.mount("http://", adapter)
        scheme = settings.auth_scheme.strip()
        self._http.headers[settings.auth_header] = f"{scheme} {api_key}" if scheme else api_key
        self._http.headers["Accept"] = "application/json"
        self._http.headers["User-Agent"] = _USER_AGENT

    def __repr__(self) -> str:
        return f"MionClient(base_url={self._base_url!r})"

    def cancel_requests(self) -> int:
        """Cut every request in flight now; each fails as ``MionUnavailable`` (its outcome unknown).

        Thread-safe; for shutting down, so no worker thread is left waiting on Mion. Later requests
        are not affected. Returns how many requests were cut.
        """
        return self._watch.cut_all()

    def close(self) -> None:
        """Cut any request in flight and close the keep-alive connections."""
        self.cancel_requests()
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # --- the API ---------------------------------------------------------------------------------

    def create_session(self, *, amount_cents: int, reference: str, expires_at: datetime) -> Session:
        """Open a Lightning point-of-sale payment session for ``amount_cents`` euro cents.

        If this raises ``MionUnavailable``, the session may still have been created: look it up
        with :meth:`session_by_reference` before trying again.
        """
        if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
            raise ValueError(f"amount_cents must be a positive whole number, got {amount_cents!r}")
        if not reference:
            raise ValueError("reference must not be empty")
        if expires_at.tzinfo is None:
            raise ValueError("expires_at must be timezone-aware")
        body = {"amount": amount_cents, "currencyIso3": "EUR",
                self._settings.session_expiry_field: _format_time(expires_at),
                "reference": reference, "retailPos": True}
        data = self._call(self._settings.paths.create_session, json_body=body)
        return _session(_as_object(data, "session"), reference)

    def create_attempt(self, session_id: str) -> Attempt:
        """Ask for a Lightning invoice for the session. The invoice is not checked here."""
        body = {"paymentSessionId": session_id, "paymentMethod": "lightning", "retailPos": True}
        data = self._call(self._settings.paths.create_attempt, session_id=session_id, json_body=body)
        return _attempt(_as_object(data, "attempt"), session_id, self._settings.attempt_expiry_field)

    def session_status(self, session_id: str) -> SessionStatus:
        """The session's status. Paid only when ``paid_at`` is set."""
        data = self._call(self._settings.paths.session_status, session_id=session_id)
        return _status(_as_object(data, "status"), session_id, "status")

    def session_by_id(self, session_id: str) -> SessionStatus:
        """The full session, read for the same status fields as :meth:`session_status`."""
        data = self._call(self._settings.paths.session_by_id, session_id=session_id)
        return _status(_as_object(data, "session"), session_id, "session")

    def session_by_reference(self, reference: str) -> Session | None:
        """The session created with ``reference``, or None when Mion has none.

        A 404 that says the path does not exist is no answer: it raises, as any refusal does.
        """
        try:
            data = self._call(self._settings.paths.session_by_reference, reference=reference)
        except MionRejected as exc:
            if exc.status == 404 and not exc.wrong_path:
                return None
            raise
        return _session_for_reference(data, reference)

    # --- one HTTP exchange -----------------------------------------------------------------------

    def _call(self, spec: str, *, session_id: str = "", reference: str = "",
              json_body: dict[str, Any] | None = None) -> Any:
        """Send one request of the endpoint table and return its decoded JSON body."""
        method, _, template = spec.partition(" ")
        path = template.replace("{id}", quote(session_id, safe="")).replace("{reference}", quote(reference, safe=""))
        where = f"{method} {path}"
        with self._watch.exchange(self._deadline_s) as exchange:
            try:
                return self._exchange(method, path, where, json_body, exchange)
            except MionError:
                raise
            except Exception as exc:
                if not isinstance(exc, requests.RequestException) and exchange.reason is None:
                    raise  # not the wire: a bug, to be seen as one
                raise self._unavailable(where, exc, exchange) from exc

    def _exchange(self, method: str, path: str, where: str, json_body: dict[str, Any] | None,
                  exchange: Exchange) -> Any:
        started = time.monotonic()
        # No redirects: one would carry a custom key header to whatever host it names, and turn
        # a POST into a GET. A 3xx is reported as a refusal so the technician fixes base_url.
        # Streamed, so the body is read here, within its limit and its deadline, never whole by requests.
        if json_body is None and not self._http.cookies:
            response = self._http.send(self._prepared_get(method, path), timeout=self._timeout,
                                       allow_redirects=False, stream=True)
        else:
            response = self._http.request(method, self._base_url + path, json=json_body, timeout=self._timeout,
                                          allow_redirects=False, stream=True)
        with response:  # closing a response that was not read to its end closes its connection
            elapsed_ms = round((time.monotonic() - started) * 1000)
            log.debug("Mion %s -> %d in %d ms", where, response.status_code, elapsed_ms)
            return self._decode(response, where, exchange)

    def _prepared_get(self, method: str, path: str) -> requests.PreparedRequest:
        """A copy of the prepared request for ``method path`` (a GET: no body), prepared once per path.

        Preparing merges the session's headers, auth and cookies and parses the URL: a fifth of a status
        poll's CPU, the same every time for the session on screen. Not used once Mion sets cookies
        (they would have to be merged anew).
        """
        key = (method, path)
        prepared = self._prepared.get(key)
        if prepared is None:
            prepared = self._http.prepare_request(requests.Request(method, self._base_url + path))
            if len(self._prepared) >= PREPARED_KEPT:
                self._prepared.clear()
            self._prepared[key] = prepared
        return prepared.copy()

    def _unavailable(self, where: str, exc: Exception, exchange: Exchange) -> MionUnavailable:
        if exchange.reason == "cancelled":
            reason = "cancelled, the client is closing"
        elif exchange.reason is not None or isinstance(exc, DeadlinePassed):
            reason = f"no complete answer within {self._deadline_s:g} s"
        elif isinstance(exc, requests.RequestException):
            reason = _describe(exc, self._timeout)
        else:
            reason = f"request failed ({type(exc).__name__})"
        message = f"{where}: {reason}"
        log.warning("Mion %s", message)
        return MionUnavailable(message)

    def _decode(self, response: requests.Response, where: str, exchange: Exchange) -> Any:
        status = response.status_code
        if status in (408, 429) or status >= 500:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            wait = f", retry after {retry_after:g} s" if retry_after is not None else ""
            log.warning("Mion %s: HTTP %d%s", where, status, wait)
            raise MionUnavailable(f"{where}: Mion answered HTTP {status}{wait}", retry_after_s=retry_after)
        if not 200 <= status < 300:
            body, complete = read_body(response, ERROR_BODY_BYTES, exchange)
            detail = refusal_detail(status, body, complete, self._secret)
            wrong_path = status == 404 and not_found_kind(response.headers.get("Content-Type", ""), body) == "wrong path"
            log.warning("Mion %s: refused with HTTP %d%s: %s", where, status, " (no such path)" if wrong_path else "",
                        detail)
            raise MionRejected(status, detail, wrong_path=wrong_path)
        declared = response.headers.get("Content-Length", "").strip()
        body, complete = (b"", False) if declared.isdigit() and int(declared) > MAX_ANSWER_BYTES else \
            read_body(response, MAX_ANSWER_BYTES, exchange)
        if not complete:
            message = f"{where}: the answer is larger than {MAX_ANSWER_BYTES // 2**20} MiB"
            log.warning("Mion %s", message)
            raise MionMalformed(message)
        try:
            return json.loads(body)
        except ValueError as exc:
            message = f"{where}: the answer is not JSON"
            log.warning("Mion %s", message)
            raise MionMalformed(message) from exc


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _read_environment_once(http: requests.Session, base_url: str) -> None:
    """Take the proxy and CA bundle settings from the environment now, not on every request.

    By default ``requests`` reads the environment (proxy variables, ``NO_PROXY``, the CA bundle
    variables, ``~/.netrc``) again for each request: a third of a status poll's CPU. The kiosk's
    environment does not change while it runs, so it is read once, when the client is made; a netrc
    entry is never used, so nothing can replace the API key's header.
    """
    http.trust_env = False
    http.proxies.update(requests.utils.get_environ_proxies(base_url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle and http.verify is True:
        http.verify = bundle


def _describe(exc: requests.RequestException, timeout: tuple[float, float]) -> str:
    """A plain reason for a failed exchange, built without the exception's own text (it may hold the request)."""
    if isinstance(exc, requests.ConnectTimeout):
        return f"could not connect within {timeout[0]:g} s"
    cause = exc.args[0] if exc.args else None
    if isinstance(exc, requests.Timeout) or isinstance(cause, urllib3.exceptions.ReadTimeoutError):
        return f"no answer within {timeout[1]:g} s"  # requests reports a stalled body as a ConnectionError
    if isinstance(exc, requests.ConnectionError):
        text = repr(exc).lower()
        if "refused" in text:
            return "connection refused"
        if "name or service" in text or "nodename" in text or "resolution" in text:
            return "cannot resolve the host name"
        return "connection dropped before the answer arrived"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError):
        return "the answer was cut off or garbled"
    return f"request failed ({type(exc).__name__})"


# --- JSON -> model ----------------------------------------------------------------------------------
# Each check names the object and the field, so a technician reading the log knows what Mion changed.

_STATUS_FIELDS = ("paymentSessionId", "status", "paidAt", "expiresAt")


def _format_time(moment: datetime) -> str:
    """``2026-11-28T17:05:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _as_object(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise MionMalformed(f"{what}: expected a JSON object, got {_json_type(data)}")
    return data


def _session(obj: dict[str, Any], reference: str) -> Session:
    session_id = _text(obj, "session", "paymentSessionId")
    echoed = obj.get("reference")
    return Session(session_id=session_id, reference=echoed if isinstance(echoed, str) and echoed else reference)


def _attempt(obj: dict[str, Any], session_id: str, expiry_field: str = "expiry") -> Attempt:
    _same_session(obj, "attempt", session_id, required=False)
    blocked = _flag(obj, "attempt", "blockedByCompliance")
    missing = obj.get("missingComplianceCustomerFields") or []
    if not isinstance(missing, list) or not all(isinstance(item, str) for item in missing):
        raise MionMalformed("attempt: missingComplianceCustomerFields must be a list of texts")
    if blocked:
        # A blocked attempt may come without an invoice; it is never shown anyway.
        raw_invoice = obj.get("lnInvoice")
        invoice = raw_invoice if isinstance(raw_invoice, str) else ""
    else:
        invoice = _text(obj, "attempt", "lnInvoice")
    method = obj.get("paymentMethod", "lightning")
    if not isinstance(method, str):
        raise MionMalformed("attempt: paymentMethod must be a text")
    return Attempt(session_id=session_id, invoice=invoice, amount_msat=_positive_int(obj, "attempt", "amountMsat"),
                   expires_at=_required_time(obj, "attempt", expiry_field),
                   blocked_by_compliance=blocked, missing_compliance_fields=tuple(missing), payment_method=method)


def _status(obj: dict[str, Any], session_id: str, what: str) -> SessionStatus:
    _same_session(obj, what, session_id, required=True)
    status = obj.get("status")
    if not isinstance(status, str):
        raise MionMalformed(f"{what}: status {'missing' if status is None else 'must be a text'}")
    return SessionStatus(session_id=session_id, status=status,
                         paid_at=_time(obj, what, "paidAt", required=False, full=True),
                         expires_at=_time(obj, what, "expiresAt", required=False),
                         extra={k: v for k, v in obj.items() if k not in _STATUS_FIELDS})


def _session_for_reference(data: Any, reference: str) -> Session | None:
    """Accept a session object, a list of them, or {"items": [...]}; pick the one with ``reference``."""
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]
    if isinstance(data, dict):
        if data.get("reference", reference) != reference:
            log.warning("Mion by-reference lookup answered with a session for another reference")
            return None
        return _session(data, reference)
    if not isinstance(data, list):
        raise MionMalformed(f"session by reference: expected a session or a list, got {_json_type(data)}")
    candidates = [_as_object(item, "session by reference") for item in data]
    matches = [item for item in candidates if item.get("reference") == reference]
    if not matches:
        if candidates:
            log.warning("Mion by-reference lookup returned %d sessions, none with our reference", len(candidates))
        return None
    if len(matches) > 1:
        log.warning("Mion holds %d sessions with one reference; using the paid or the newest", len(matches))
    paid = [item for item in matches if item.get("paidAt")]
    return _session((paid or matches)[-1], reference)


def _same_session(obj: dict[str, Any], what: str, session_id: str, *, required: bool) -> None:
    if "paymentSessionId" not in obj and not required:
        return
    if _text(obj, what, "paymentSessionId") != session_id:
        raise MionMalformed(f"{what}: paymentSessionId is not the session asked for")


def _text(obj: dict[str, Any], what: str, name: str) -> str:
    value = obj.get(name)
    if value is None:
        raise MionMalformed(f"{what}: {name} missing")
    if not isinstance(value, str) or not value.strip():
        raise MionMalformed(f"{what}: {name} must be a non-empty text")
    return value


def _positive_int(obj: dict[str, Any], what: str, name: str) -> int:
    value = obj.get(name)
    if value is None:
        raise MionMalformed(f"{what}: {name} missing")
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise MionMalformed(f"{what}: {name} must be a positive integer")
    return value


def _flag(obj: dict[str, Any], what: str, name: str) -> bool:
    value = obj.get(name, False)
    if not isinstance(value, bool):
        raise MionMalformed(f"{what}: {name} must be true or false")
    return value


_FULL_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})")
"""RFC 3339: date, time to the second and a zone. The one form a ``paidAt`` is believed in."""


def _time(obj: dict[str, Any], what: str, name: str, *, required: bool, full: bool = False) -> datetime | None:
    """The time in field ``name``. With ``full``, only a complete RFC 3339 timestamp is taken: a date
    alone, a time without its zone or seconds, or a week or ordinal date is malformed (for ``paidAt``,
    a payment is never read from half a timestamp)."""
    value = obj.get(name)
    if value is None:
        if required:
            raise MionMalformed(f"{what}: {name} missing")
        return None
    if not isinstance(value, str):
        raise MionMalformed(f"{what}: {name} must be an ISO 8601 time")
    if full and not _FULL_TIME.fullmatch(value):
        raise MionMalformed(f"{what}: {name} must be a full timestamp with date, time and zone")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise MionMalformed(f"{what}: {name} must be an ISO 8601 time") from exc
    # Mion's examples end in Z; a time without a zone is taken as UTC rather than refused.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _required_time(obj: dict[str, Any], what: str, name: str) -> datetime:
    moment = _time(obj, what, name, required=True)
    assert moment is not None  # _time raised otherwise
    return moment


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a text", bool: "true/false", type(None): "null"}
    return names.get(type(value), "a number")
