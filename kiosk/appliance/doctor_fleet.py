"""``kiosk doctor``'s fleet checks: does the metrics listener answer, and where does the last update stand?

Each check returns (status, detail, hint) for ``kiosk.appliance.doctor`` to wrap, and never raises.

* metrics: ``[metrics] listen`` set? Then ``GET /healthz`` on that address (a wildcard address is
  asked on loopback), with the basic-auth password when this user can read it. TLS is asked without
  checking the certificate: the listener is this machine's own, and only its answer matters here.
* version: what ``/opt/kiosk/current`` runs (``kiosk.appliance.update``'s layout).
* update pending: a switch not yet confirmed, how long ago, and whether the new version reached READY.
* last rollback: the last update rolled back, when and why (``update/rollback.json``); a failure while
  it is the last thing the updater did, so the technician knows the shop runs the version before.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from kiosk import __version__
from kiosk.config import read_key_file
from kiosk.config_metrics import MetricsSettings, split_listen
from kiosk.errors import ConfigError

Outcome = tuple[str, str, str]

SETTLE_DEADLINE_S = 300.0
"""``kiosk update --deadline-s``'s default: how long a new version has to reach READY."""
ROLLBACK = "rollback.json"
"""In the updater's folder: the last rollback, ``{"at", "version", "to", "why"}``."""


def check_metrics(settings: MetricsSettings, environ: Mapping[str, str], timeout_s: float) -> Outcome:
    if not settings.listen:
        return "skipped", "[metrics] listen is not set: no /metrics, no /healthz", ""
    host, port = split_listen(settings.listen)
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    where = f"{'https' if settings.tls_cert_file else 'http'}://{_netloc(host, port)}/healthz"
    headers = {}
    if settings.basic_auth_user:
        try:
            password = _password(settings, environ)
        except ConfigError:
            password = None
        if password is not None:
            token = base64.b64encode(f"{settings.basic_auth_user}:{password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
    connection: http.client.HTTPConnection
    if settings.tls_cert_file:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection = http.client.HTTPSConnection(host, port, timeout=timeout_s, context=context)
    else:
        connection = http.client.HTTPConnection(host, port, timeout=timeout_s)
    try:
        connection.request("GET", "/healthz", headers=headers)
        answer = connection.getresponse()
        status, body = answer.status, answer.read(300).decode("utf-8", "replace").strip()
    except (OSError, http.client.HTTPException) as exc:
        reason = "nothing listens there" if isinstance(exc, ConnectionRefusedError) else \
            "no answer in time" if isinstance(exc, socket.timeout) else type(exc).__name__
        return "fail", f"{where}: {reason}", "is kiosk.service running? (systemctl status kiosk; journalctl -u kiosk)"
    finally:
        connection.close()
    if status == 200:
        return "ok", f"{where} answers 200: healthy", ""
    if status == 401:
        return "unknown", f"{where} answers, but asks for the password, which cannot be read here", \
            "run it as root (sudo kiosk doctor) to check the health as well"
    if status == 503:
        return "fail", f"{where} answers 503: {' '.join(body.split())[:200]}", "journalctl -u kiosk"
    return "fail", f"{where} answers {status}, not the kiosk's /healthz", "check [metrics] listen"


def check_version(root: Path) -> Outcome:
    current = root / "current"
    if not current.exists():
        return "ok", f"kiosk {__version__}; no {current}: not installed from the image, so updates are off", ""
    target = current.resolve()
    return "ok", f"{current} -> {target} ({_version_of(root, target)})", ""


def check_pending(root: Path, kiosk_state: Path, clock: Callable[[], float] = time.time) -> Outcome:
    if not (root / "current").exists():
        return _not_installed(root)
    pending = _read_json(root / "update" / "pending.json")
    if pending is None:
        return "ok", "none: the running version is confirmed", ""
    new = Path(str(pending.get("new", "")))
    version = _version_of(root, new)
    try:
        age_s = max(0.0, clock() - float(str(pending.get("since"))))
    except ValueError:
        return "unknown", f"{version} is pending, since when cannot be read", ""
    running = _read_json(kiosk_state / "running.json")
    if running is not None and os.path.realpath(str(running.get("prefix", ""))) == os.path.realpath(new):
        return "ok", f"{version} reached READY; confirmed at the next boot or settle run", ""
    if age_s > SETTLE_DEADLINE_S:
        late = f"{version} switched to {age_s:.0f} s ago and has not reached READY: it will be rolled back"
        return "fail", late, "journalctl -u kiosk to see why it does not start"
    waiting = (f"{version} switched to {age_s:.0f} s ago, waiting for it to reach READY "
               f"(rolled back after {SETTLE_DEADLINE_S:.0f} s)")
    return "unknown", waiting, ""


def check_rollback(root: Path) -> Outcome:
    if not (root / "current").exists():
        return _not_installed(root)
    rollback = _read_json(root / "update" / ROLLBACK)
    if rollback is None:
        return "ok", "no update was ever rolled back", ""
    at = rollback.get("at")
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(float(at))) if isinstance(at, (int, float)) else "?"
    detail = f"{rollback.get('version', '?')} rolled back to {rollback.get('to', '?')} at {when}: " \
             f"{rollback.get('why', '?')}"
    last = _read_json(root / "update" / "last.json")
    if last is not None and last.get("at") == at:
        return "fail", detail + " (the last update; the shop runs the version before it)", \
            "that bundle is refused from now on: fix it and sign a new one (image-build/README.md)"
    return "ok", f"last one: {detail}; updated since", ""


def _not_installed(root: Path) -> Outcome:
    return "skipped", f"no {root / 'current'}: not installed from the image", ""


def _password(settings: MetricsSettings, environ: Mapping[str, str]) -> str | None:
    path = Path(settings.basic_auth_password_file)
    credentials = environ.get("CREDENTIALS_DIRECTORY")
    if not path.is_absolute():
        if not credentials:
            return None
        path = Path(credentials) / path
    return read_key_file(path, "[metrics] basic_auth_password_file")


def _netloc(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _version_of(root: Path, environment: Path) -> str:
    if environment.resolve() == (root / "venv").resolve():
        return "the image's own environment"
    return f"version {environment.name.rpartition('-')[0] or environment.name}"


def _read_json(path: Path) -> dict[str, object] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
