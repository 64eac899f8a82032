"""The metrics server: ``/metrics`` for Prometheus and ``/healthz`` for an uptime checker, on threads
of their own.

It never touches the loop: ``/metrics`` reads the registry (:mod:`kiosk.shell.metrics`), ``/healthz``
asks ``KioskMetrics.health``. With ``basic_auth_user`` set, both ask for the user and password
(compared in constant time); a wrong one gets 401 and is logged without what was sent. With a
certificate they are served over TLS (the handshake runs on the request's thread, so a slow client
holds up nobody else). Each request has :data:`REQUEST_TIMEOUT_S` to finish.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import socket
import ssl
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import make_wsgi_app

from kiosk.config import read_key_file
from kiosk.config_metrics import MetricsSettings, split_listen
from kiosk.errors import ConfigError
from kiosk.shell.metrics import KioskMetrics

log = logging.getLogger(__name__)

REQUEST_TIMEOUT_S = 10.0
StartResponse = Callable[..., Any]
Environ = dict[str, Any]


def read_password(settings: MetricsSettings, environ: dict[str, str]) -> str | None:
    """The basic-auth password from its file or systemd credential; None when no user is set.

    Raises:
        ConfigError: the file cannot be read or is empty (the message never holds the password).
    """
    if not settings.basic_auth_user:
        return None
    path = Path(settings.basic_auth_password_file)
    credentials = environ.get("CREDENTIALS_DIRECTORY")
    if not path.is_absolute() and credentials:
        path = Path(credentials) / path
    return read_key_file(path, "[metrics] basic_auth_password_file")


def _authorised(header: str, user: str, password: str) -> bool:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        given = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    given_user, _, given_password = given.partition(":")
    # Both compared, always: the time taken says nothing about which one was wrong.
    user_ok = hmac.compare_digest(given_user.encode(), user.encode())
    password_ok = hmac.compare_digest(given_password.encode(), password.encode())
    return user_ok and password_ok


class MetricsApp:
    """The WSGI application: routes, basic auth, health."""

    def __init__(self, metrics: KioskMetrics, *, user: str = "", password: str | None = None) -> None:
        self._metrics = metrics
        self._exposition = make_wsgi_app(metrics.registry)
        self._user = user
        self._password = password

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if self._password is not None and not _authorised(environ.get("HTTP_AUTHORIZATION", ""), self._user,
                                                          self._password):
            log.warning("metrics: refused a request from %s without the right user and password",
                        environ.get("REMOTE_ADDR", "?"))
            return _text(start_response, "401 Unauthorized", "user and password required\n",
                         [("WWW-Authenticate", 'Basic realm="kiosk", charset="UTF-8"')])
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            problem = self._metrics.health()
            if problem is None:
                return _text(start_response, "200 OK", "ok\n")
            return _text(start_response, "503 Service Unavailable", problem + "\n")
        if path == "/metrics":
            return self._exposition(environ, start_response)  # type: ignore[no-any-return]
        return _text(start_response, "404 Not Found", "not found: try /metrics or /healthz\n")


def _text(start_response: StartResponse, status: str, body: str,
          headers: list[tuple[str, str]] | None = None) -> list[bytes]:
    data = body.encode()
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data))),
                            *(headers or [])])
    return [data]


class _Handler(WSGIRequestHandler):
    timeout = REQUEST_TIMEOUT_S

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("metrics: %s " + format, self.address_string(), *args)


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    tls: ssl.SSLContext | None = None

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, address = super().get_request()
        if self.tls is not None:
            conn = self.tls.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        return conn, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that speaks plain HTTP to TLS, hangs up or times out: its business, not a fault of the kiosk.
        failure = sys.exc_info()[1]
        log.info("metrics: a request from %s failed: %s", client_address[0] if client_address else "?",
                 type(failure).__name__ if failure is not None else "?")


class _Server6(_Server):
    address_family = socket.AF_INET6


class MetricsServer:
    """``/metrics`` and ``/healthz`` on ``[metrics] listen``. ``start()`` binds (raising ``ConfigError``
    when it cannot), ``stop()`` closes."""

    def __init__(self, settings: MetricsSettings, metrics: KioskMetrics, *, password: str | None) -> None:
        self._settings = settings
        self._app = MetricsApp(metrics, user=settings.basic_auth_user, password=password)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port it listens on (the one chosen when ``listen`` asked for port 0)."""
        assert self._server is not None
        return int(self._server.server_address[1])

    def start(self) -> None:
        host, port = split_listen(self._settings.listen)
        server_class = _Server6 if ":" in host else _Server
        try:
            tls = self._tls()
            server = make_server(host, port, self._app, server_class=server_class, handler_class=_Handler)
        except OSError as exc:
            raise ConfigError(f"[metrics] listen: cannot listen on {self._settings.listen}: {exc.strerror}") from exc
        assert isinstance(server, _Server)
        server.tls = tls
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="metrics", daemon=True)
        self._thread.start()
        log.info("metrics: serving /metrics and /healthz on %s port %d%s%s", host or "every address", self.port,
                 " over TLS" if tls else "", " with basic auth" if self._settings.basic_auth_user else "")

    def _tls(self) -> ssl.SSLContext | None:
        cert, key = self._settings.tls_cert_file, self._settings.tls_key_file
        if not cert:
            return None
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        try:
            context.load_cert_chain(cert, key)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"[metrics] tls_cert_file: cannot load the certificate and key: {exc}") from exc
        return context

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        self._server = None
