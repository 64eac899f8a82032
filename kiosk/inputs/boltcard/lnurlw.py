"""The LNURL-withdraw client: from the URI a card holds to a paid-for-request callback.

Theory of operation
-------------------
A Bolt Card holds ``lnurlw://host/path?p=…&c=…``. The client turns it into ``https://`` (an onion host,
plain http, an IP literal or a private name is refused with a reason), fetches the withdraw request,
checks it against the invoice on screen, and calls its callback with ``k1``, the invoice and, when the
request's ``pinLimit`` is at or below the amount, the PIN. A callback ``OK`` means only that the card's
service will try: the sale is paid when Mion says ``paidAt``, never before.

Safety: every call runs under a total deadline and reads at most ``MAX_BODY_BYTES`` (the Mion client's
helpers, :mod:`kiosk.mion.wire`); redirects are followed only on the same host and only to https; the
session sends no kiosk header, cookie or key. The card URL's query (``p``, ``c``), ``k1`` and the PIN
are secrets: :func:`scrub` is the only form of a URL that may reach a log, the journal or a screen.
For the same reason ``requests``' exceptions become :class:`TapFailed` ``from None``: their text holds
the URL, and a chained traceback would log it.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import kiosk.mion.lean_requests  # noqa: F401  # before requests: it loads requests without charset guessing

# isort: split
import requests

from kiosk.errors import KioskError
from kiosk.mion.wire import Exchange, Watch, WatchedAdapter, read_body

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024
MAX_REDIRECTS = 3
MAX_REASON_CHARS = 120
SECRET_PARAMS = frozenset({"p", "c", "k1", "pin", "pr"})


class TapFailed(KioskError):
    """The tap cannot pay: ``reason`` is safe to show and journal (no secret in it).

    ``from_service`` is True when the card's service gave the reason itself (shown after a
    translated "The card service says:").
    """

    def __init__(self, reason: str, *, from_service: bool = False, unknown: bool = False, code: str | None = None,
                 sat: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        """In English, for the journal and the log."""
        self.code = code
        """The customer's line for it (``kiosk.core.tap_text``); None for the service's own words."""
        self.sat = sat
        """The card's limit, for the codes above_max and below_min."""
        self.from_service = from_service
        self.unknown = unknown
        """The callback may have been taken (it timed out or broke off): only Mion can tell."""


@dataclass(frozen=True, slots=True)
class WithdrawRequest:
    """A checked LUD-03 withdraw request."""

    callback: str
    k1: str
    min_msat: int
    max_msat: int
    pin_limit_msat: int | None
    host: str

    def needs_pin(self, amount_msat: int) -> bool:
        return self.pin_limit_msat is not None and amount_msat >= self.pin_limit_msat


def scrub(url: str) -> str:
    """The URL with every secret query value replaced by ``…`` (and no userinfo): safe to log."""
    try:
        parts = urlsplit(url)
        query = "&".join(f"{k}={'…' if k.lower() in SECRET_PARAMS else v}" for k, v in parse_qsl(parts.query,
                                                                                                    keep_blank_values=True))
        host = parts.hostname or ""
        return urlunsplit((parts.scheme, host, parts.path, query, ""))
    except ValueError:
        return "(unreadable URL)"


class _ScrubUrls(logging.Filter):
    """urllib3 logs each request line at debug level: hide the card's secrets there too."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, str) and "?" in a for a in record.args):
            record.args = tuple(scrub("https://x" + a).split("x", 1)[1] if isinstance(a, str) and "?" in a
                                else a for a in record.args)
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_ScrubUrls())


def host_of(url: str) -> str:
    """The host part of a URL, for the journal and the screen ("" when there is none)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def card_url(uri: str, *, allow_local_http: bool = False) -> str:
    """The https URL for a card's NDEF URI (``lnurlw://``, ``https://``, or ``lightning:`` + either).

    ``allow_local_http`` lets ``http://127.0.0.1`` through, for the simulator and tests only.

    Raises:
        TapFailed: not a withdraw link, or one the kiosk will not call (onion, http, IP, private host).
    """
    text = uri.strip()
    if text.lower().startswith("lightning:"):
        text = text[len("lightning:"):]
    lowered = text.lower()
    if lowered.startswith("lnurlw://"):
        text = "https://" + text[len("lnurlw://"):]
        if allow_local_http and host_of(text) in ("127.0.0.1", "localhost"):
            text = "http://" + text[len("https://"):]  # the simulator's card service (tests, demo)
    elif lowered.startswith("lnurl1"):
        raise TapFailed("this card holds an encoded LNURL, which the kiosk does not read", code="bad_link")
    check_url(text, allow_local_http=allow_local_http)
    return text


def check_url(url: str, *, allow_local_http: bool = False) -> None:
    """Refuse any URL the kiosk will not call (see :func:`card_url`).

    Raises:
        TapFailed: with the reason.
    """
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise TapFailed("the card holds no readable link", code="bad_link") from None
    if parts.scheme not in ("https", "http") or not host:
        raise TapFailed("the card holds no withdraw link", code="bad_link")
    if host.endswith(".onion"):
        raise TapFailed("the card's service is an onion address, which the kiosk cannot reach", code="onion")
    if parts.username or parts.password:
        raise TapFailed("the card's link carries a user name", code="bad_link")
    local = _is_ip(host) or host == "localhost" or host.endswith((".local", ".localhost", ".internal", ".lan"))
    if allow_local_http and local and host in ("127.0.0.1", "localhost"):
        return
    if parts.scheme != "https":
        raise TapFailed("the card's service does not use https", code="not_https")
    if local or "." not in host:
        raise TapFailed("the card's service is a local or numeric address, which the kiosk does not call", code="local_host")


def refuse_private(host: str) -> None:
    """Refuse a host name that resolves to a private, loopback, link-local or reserved address.

    A card's link and its service's callback are set by whoever wrote the card: they must not make the
    kiosk call into the shop's own network. (A name that resolves differently a moment later is not
    caught here; the service still has to answer a withdraw request to get anything.)

    Raises:
        TapFailed: it resolves to such an address, or not at all.
    """
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)}
    except (OSError, UnicodeError):
        raise TapFailed("the card's service could not be reached", code="unreachable") from None
    for address in addresses:
        ip = ipaddress.ip_address(str(address).split("%")[0])
        if not ip.is_global:
            raise TapFailed("the card's service is a local or numeric address, which the kiosk does not call",
                            code="local_host")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _amount(obj: dict[str, Any], key: str, *, required: bool = True) -> int | None:
    value = obj.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or value != int(value):
        raise TapFailed(f"the card's service sent an unreadable {key}", code="service_broken")
    return int(value)


def service_reason(obj: Any) -> str | None:
    """The reason of an ``{"status": "ERROR", "reason": …}`` (or LNbits ``{"detail": …}``) answer, cleaned."""
    if not isinstance(obj, dict):
        return None
    text = obj.get("reason") if str(obj.get("status", "")).upper() == "ERROR" else obj.get("detail")
    if text is None and str(obj.get("status", "")).upper() == "ERROR":
        text = "no reason given"
    if not isinstance(text, str):
        return None if text is None else "no reason given"
    cleaned = "".join(ch if ch.isprintable() else " " for ch in text).strip() or "no reason given"
    return cleaned if len(cleaned) <= MAX_REASON_CHARS else cleaned[:MAX_REASON_CHARS - 1] + "…"


class WithdrawClient:
    """Calls card services. One per reader; thread-safe for one tap at a time."""

    def __init__(self, *, connect_timeout_s: float = 5.0, request_deadline_s: float = 10.0,
                 callback_deadline_s: float = 45.0, allow_local_http: bool = False,
                 session: requests.Session | None = None) -> None:
        self.connect_timeout_s = connect_timeout_s
        self.request_deadline_s = request_deadline_s
        self.callback_deadline_s = callback_deadline_s
        self.allow_local_http = allow_local_http
        self._watch = Watch()
        self._http = session if session is not None else requests.Session()
        self._http.trust_env = False  # no proxy settings, no .netrc credentials from the environment
        self._http.headers.clear()
        self._http.headers["Accept"] = "application/json"
        adapter = WatchedAdapter(max_retries=0)
        self._http.mount("https://", adapter)
        self._http.mount("http://", adapter)

    def close(self) -> None:
        self._watch.cut_all()
        self._http.close()

    def cancel(self) -> None:
        """Cut any call in progress (another thread; the call then fails as unreachable)."""
        self._watch.cut_all()

    def fetch(self, uri: str, amount_msat: int) -> WithdrawRequest:
        """Step 1: read the card's withdraw request and check it against ``amount_msat``.

        Raises:
            TapFailed: refused, unreachable, or the service gave a reason.
        """
        url = card_url(uri, allow_local_http=self.allow_local_http)
        obj = self._get(url, self.request_deadline_s)
        reason = service_reason(obj)
        if reason is not None:
            raise TapFailed(reason, from_service=True)
        if not isinstance(obj, dict) or obj.get("tag") != "withdrawRequest":
            raise TapFailed("the card's link is not a withdraw request", code="bad_link")
        callback, k1 = obj.get("callback"), obj.get("k1")
        if not isinstance(callback, str) or not isinstance(k1, str) or not k1 or len(k1) > 512:
            raise TapFailed("the card's service sent an incomplete withdraw request", code="service_broken")
        check_url(callback, allow_local_http=self.allow_local_http)
        low, high = _amount(obj, "minWithdrawable"), _amount(obj, "maxWithdrawable")
        assert low is not None and high is not None
        pin_limit = _amount(obj, "pinLimit", required=False)
        request = WithdrawRequest(callback=callback, k1=k1, min_msat=low, max_msat=high, pin_limit_msat=pin_limit,
                                  host=host_of(callback))
        if amount_msat > high:
            raise TapFailed(f"the card allows at most {high // 1000} sat at a time", code="above_max", sat=high // 1000)
        if amount_msat < low:
            raise TapFailed(f"the card needs at least {-(-low // 1000)} sat", code="below_min", sat=-(-low // 1000))
        return request

    def withdraw(self, request: WithdrawRequest, invoice: str, pin: str | None = None) -> None:
        """Step 2: ask the service to pay ``invoice``. Returning means only "OK, will try".

        Raises:
            TapFailed: the service refused (its reason), or the call broke off (``unknown``).
        """
        parts = urlsplit(request.callback)
        query = parse_qsl(parts.query, keep_blank_values=True)
        query += [("k1", request.k1), ("pr", invoice)] + ([("pin", pin)] if pin is not None else [])
        url = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
        try:
            obj = self._get(url, self.callback_deadline_s)
        except TapFailed as exc:
            if exc.from_service:
                raise
            raise TapFailed(exc.reason, code=exc.code, unknown=True) from None
        reason = service_reason(obj)
        if reason is not None:
            raise TapFailed(reason, from_service=True)
        if not isinstance(obj, dict) or str(obj.get("status", "")).upper() != "OK":
            raise TapFailed("the card's service gave no clear answer", unknown=True, code="service_broken")

    # --- one GET --------------------------------------------------------------------------------------

    def _get(self, url: str, deadline_s: float) -> Any:
        if not self.allow_local_http:
            refuse_private(host_of(url))
        with self._watch.exchange(deadline_s) as exchange:
            try:
                return self._follow(url, exchange)
            except requests.RequestException as exc:
                what = "did not answer in time" if exchange.reason is not None else "could not be reached"
                log.info("card service %s %s (%s)", host_of(url), what, type(exc).__name__)
                raise TapFailed(f"the card's service {what}", code="timeout" if exchange.reason else "unreachable") from None

    def _follow(self, url: str, exchange: Exchange) -> Any:
        host = host_of(url)
        for _ in range(MAX_REDIRECTS + 1):
            with self._http.get(url, timeout=(self.connect_timeout_s, self.callback_deadline_s), stream=True,
                                allow_redirects=False) as response:
                if response.is_redirect:
                    target = urljoin(url, response.headers.get("location", ""))
                    if host_of(target) != host:
                        raise TapFailed("the card's service sent the kiosk to another host", code="redirect")
                    check_url(target, allow_local_http=self.allow_local_http)
                    url = target
                    continue
                body, complete = read_body(response, MAX_BODY_BYTES, exchange)
                if not complete:
                    raise TapFailed("the card's service sent too long an answer", code="service_broken")
                try:
                    return json.loads(body)
                except ValueError:
                    if response.status_code >= 400:
                        raise TapFailed(f"the card's service failed (HTTP {response.status_code})", code="service_broken") from None
                    raise TapFailed("the card's service sent an unreadable answer", code="service_broken") from None
        raise TapFailed("the card's service redirected too often", code="redirect")
