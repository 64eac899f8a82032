"""``[metrics]``: the Prometheus endpoint (``/metrics``) and the health check (``/healthz``).

Off by default: with ``listen`` empty nothing listens and ``prometheus_client`` is never imported.
Basic auth and TLS follow the way Prometheus' own exporters are configured (their web config): a
user with a password, and a certificate with its key, each pair given whole or not at all. The
password is read from a file of its own (or a systemd credential of that name), never written in
this file, and never repeated by a log line or an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kiosk.config_check import check_numbers, number, refuse_secret, require

_LISTEN = re.compile(r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]*):(?P<port>\d{1,5})")


def split_listen(listen: str) -> tuple[str, int]:
    """``"127.0.0.1:9810"`` -> ``("127.0.0.1", 9810)``; ``"[::1]:9810"`` -> ``("::1", 9810)``; an empty
    host (``":9810"``) listens on every address. Call only on a checked setting."""
    match = _LISTEN.fullmatch(listen)
    assert match is not None, "split_listen needs a checked [metrics] listen"
    host = match["host"]
    return (host[1:-1] if host.startswith("[") else host), int(match["port"])


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricsSettings:
    listen: str = ""
    """Address and port of /metrics and /healthz, such as "127.0.0.1:9810" or ":9810" (every address);
    empty: off. Port 0 takes any free port (the log names it)."""
    basic_auth_user: str = ""
    """A user name that scrapes must give (HTTP basic auth); empty: no password asked."""
    basic_auth_password_file: str = ""
    """File holding that user's password (a systemd credential name also works)."""
    tls_cert_file: str = ""
    """PEM certificate to serve over HTTPS; empty: plain HTTP."""
    tls_key_file: str = ""
    """The certificate's PEM private key."""
    stale_after_s: float = number(10.0, 2, 600, "seconds")
    """/healthz answers 503 when the main loop has not turned for this long."""

    def check(self) -> None:
        check_numbers(self, "metrics")
        match = _LISTEN.fullmatch(self.listen)
        require(not self.listen or (match is not None and int(match["port"]) <= 65_535), "metrics", "listen",
                'empty, or an address and a port such as "127.0.0.1:9810", "[::1]:9810" or ":9810"', self.listen)
        refuse_secret("metrics", "basic_auth_user", self.basic_auth_user)
        refuse_secret("metrics", "basic_auth_password_file", self.basic_auth_password_file,
                      'name the file that holds the password instead, such as "metrics-password"')
        require(bool(self.basic_auth_user) == bool(self.basic_auth_password_file), "metrics",
                "basic_auth_password_file", "a file name when basic_auth_user is set, and empty when it is not",
                self.basic_auth_password_file)
        require(bool(self.tls_cert_file) == bool(self.tls_key_file), "metrics", "tls_key_file",
                "a key file when tls_cert_file is set, and empty when it is not", self.tls_key_file)
