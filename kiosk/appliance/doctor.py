"""``kiosk doctor``: one line per thing the kiosk needs, and how to fix what is wrong.

Meant for the technician on a console or over ssh (``sudo kiosk doctor``), and for tools
(``--json``). Each check is independent and never raises; a check that cannot tell says "unknown"
rather than guessing. The API key is only ever reported as present or missing, and a key pasted into
another setting is shown as ``***`` (see ``kiosk.config_check``).

Checks, in order: config, API key, Mion (reachable, TLS, key accepted), clock, display, till serial
port, receipt printer, GPIO, NFC reader, then the fleet's (:mod:`kiosk.appliance.doctor_fleet`): the
metrics listener, the running version, a pending update and the last rollback. Checks that depend on a setting are "skipped" when the setting turns them
off or when the config itself is invalid. The Mion check only looks a reference up (a 404 that says the
path does not exist fails it); ``kiosk doctor --live`` (:func:`run_live`) goes through every endpoint.
"""

from __future__ import annotations

import dataclasses
import glob
import json
import logging
import os
import ssl
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from kiosk.appliance.provision import pending_config_error
from kiosk.config import PosSettings, Settings, load_settings, read_api_key
from kiosk.config_check import scrub, secret_texts
from kiosk.errors import ConfigError, KioskError, MionMalformed, MionRejected, MionUnavailable

if TYPE_CHECKING:
    from kiosk.appliance.live_check import LiveReport

log = logging.getLogger(__name__)

Status = Literal["ok", "fail", "unknown", "skipped"]

PROBE_REFERENCE = "doctor-probe"
"""Looked up by reference: a harmless authenticated read that creates nothing."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult:
    """The outcome of one check."""

    name: str
    status: Status
    detail: str
    hint: str = ""
    """How to fix a failure; empty when there is nothing to do."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SystemPaths:
    """Where the doctor looks on the machine; tests point these at temporary directories."""

    dev_dir: Path = Path("/dev")
    timesync_flag: Path = Path("/run/systemd/timesync/synchronized")
    timedatectl: tuple[str, ...] = ("timedatectl", "show", "-p", "NTPSynchronized", "--value")
    python: str = sys.executable
    subprocess_timeout_s: float = 10.0
    network_timeout_s: float = 3.0
    update_root: Path = Path("/opt/kiosk")
    """Where ``kiosk update`` keeps the kiosk's environments."""
    kiosk_state: Path = Path("/var/lib/kiosk")
    """The state folder of ``kiosk.service``, where a new version confirms that it reached READY."""


@dataclass(slots=True)
class _Context:
    config_path: Path | None
    environ: Mapping[str, str]
    system: SystemPaths
    settings: Settings | None = None
    api_key: str | None = None
    results: list[CheckResult] = field(default_factory=list)


def run_doctor(
    config_path: Path | None,
    *,
    environ: Mapping[str, str] = os.environ,
    system: SystemPaths | None = None,
) -> list[CheckResult]:
    """Run every check against the config at ``config_path`` (None: defaults) and return the results."""
    ctx = _Context(config_path, environ, system or SystemPaths())
    checks: list[Callable[[_Context], CheckResult]] = [
        _check_config, _check_api_key, _check_mion, _check_clock, _check_display, _check_serial,
        _check_printer, _check_gpio, _check_nfc, _check_metrics, _check_version, _check_pending, _check_rollback,
    ]
    for check in checks:
        try:
            result = check(ctx)
        except Exception as exc:
            log.exception("check %s crashed", check.__name__)
            result = CheckResult(name=check.__name__.removeprefix("_check_"), status="unknown",
                                 detail=f"the check itself failed: {type(exc).__name__}")
        ctx.results.append(result)
    return _hide_secrets(ctx)


def run_live(config_path: Path | None, *, environ: Mapping[str, str] = os.environ
             ) -> tuple[list[CheckResult], LiveReport | None, set[str]]:
    """``kiosk doctor --live``: the config and key checks, then the live check when both passed.

    Also returns every text that what is printed or recorded must not contain (the key, key-like settings).
    """
    from kiosk.appliance.live_check import run_live_check

    ctx = _Context(config_path, environ, SystemPaths())
    ctx.results += [_check_config(ctx), _check_api_key(ctx)]
    secrets = secret_texts(ctx.settings) if ctx.settings is not None else set()
    secrets |= {ctx.api_key} if ctx.api_key else set()
    if ctx.settings is None or ctx.api_key is None:
        return _hide_secrets(ctx), None, secrets
    return _hide_secrets(ctx), run_live_check(ctx.settings.mion, ctx.api_key), secrets


def _hide_secrets(ctx: _Context) -> list[CheckResult]:
    """The results with the key, and every key-like piece of a setting, replaced by ``***``.

    Serial ports, printers and networks repeat the names they were given in their errors, so a key
    pasted into ``[pos] port`` would otherwise come back in a detail line.
    """
    secrets = secret_texts(ctx.settings) if ctx.settings is not None else set()
    if ctx.api_key:
        secrets.add(ctx.api_key)
    return [dataclasses.replace(r, detail=scrub(r.detail, secrets), hint=scrub(r.hint, secrets))
            for r in ctx.results]


def format_results(results: list[CheckResult], as_json: bool) -> str:
    """Render the results as aligned text lines, or as one JSON object for tools."""
    if as_json:
        return json.dumps({"ok": exit_code(results) == 0, "checks": [asdict(r) for r in results]}, indent=2)
    width = max((len(r.name) for r in results), default=0)
    lines = []
    for r in results:
        line = f"{r.status.upper():<7} {r.name:<{width}}  {r.detail}"
        if r.hint:
            line += f"  -> fix: {r.hint}"
        lines.append(line)
    return "\n".join(lines)


def exit_code(results: list[CheckResult]) -> int:
    """0 when nothing failed, 1 otherwise ("unknown" and "skipped" are not failures)."""
    return 1 if any(r.status == "fail" for r in results) else 0


# --- config and key --------------------------------------------------------------------------------------


def _check_config(ctx: _Context) -> CheckResult:
    try:
        ctx.settings = load_settings(ctx.config_path)
    except ConfigError as exc:
        return CheckResult(name="config", status="fail", detail=str(exc),
                           hint="correct the setting named, or put a fixed kiosk.toml on the boot partition")
    if ctx.config_path is not None:
        refused = pending_config_error(ctx.config_path.parent, ctx.environ)
        if refused:
            return CheckResult(name="config", status="fail",
                               detail=f"valid, but the last provisioned config was refused: {refused}",
                               hint="fix kiosk.toml on the boot partition and reboot")
    where = str(ctx.config_path) if ctx.config_path else "no file, all defaults"
    return CheckResult(name="config", status="ok", detail=f"valid ({where})")


def _check_api_key(ctx: _Context) -> CheckResult:
    if ctx.settings is None:
        return _skipped("api key", "config invalid")
    env = dict(ctx.environ)
    # Outside the service there is no $CREDENTIALS_DIRECTORY: look next to the config, where
    # provisioning puts the key that LoadCredential= hands to the service.
    if ctx.config_path is not None and "CREDENTIALS_DIRECTORY" not in env:
        env["CREDENTIALS_DIRECTORY"] = str(ctx.config_path.parent)
    try:
        ctx.api_key = read_api_key(ctx.settings.mion, env)
    except ConfigError as exc:
        return CheckResult(name="api key", status="fail", detail=str(exc),
                           hint="run as root (sudo kiosk doctor), or put mion-api-key on the boot partition")
    if ctx.api_key is None:
        return CheckResult(name="api key", status="fail", detail="no API key configured",
                           hint='put mion-api-key on the boot partition and set [mion] api_key_file = "mion-api-key"')
    return CheckResult(name="api key", status="ok", detail="present")


# --- Mion ------------------------------------------------------------------------------------------------


def _check_mion(ctx: _Context) -> CheckResult:
    if ctx.settings is None or ctx.api_key is None:
        return _skipped("mion", "no valid config and key")
    try:
        from kiosk.mion.client import MionClient
    except ImportError:
        return CheckResult(name="mion", status="unknown", detail="the Mion client is not installed")
    mion = ctx.settings.mion
    client = MionClient(mion, ctx.api_key)
    try:
        client.session_by_reference(PROBE_REFERENCE)
    except MionRejected as exc:
        if exc.status in (401, 403):
            return CheckResult(name="mion", status="fail", detail=f"the API key was refused (HTTP {exc.status})",
                               hint="put the right key in mion-api-key on the boot partition and reboot")
        what = " for a path it does not have" if exc.wrong_path else ""
        return CheckResult(name="mion", status="fail", detail=f"Mion answered HTTP {exc.status}{what}",
                           hint=f"check [mion] base_url and [mion.paths] session_by_reference ({mion.base_url}); "
                                "kiosk doctor --live checks every endpoint")
    except MionMalformed:
        return CheckResult(name="mion", status="fail", detail="Mion answered, but not with what the API promises",
                           hint=f"check [mion] base_url and [mion.paths] ({mion.base_url})")
    except MionUnavailable as exc:
        if _is_tls_problem(exc):
            return CheckResult(name="mion", status="fail", detail=f"TLS certificate not accepted: {exc}",
                               hint="check the clock (an unsynchronised clock breaks TLS) and [mion] base_url")
        return CheckResult(name="mion", status="fail", detail=f"unreachable: {exc}",
                           hint="check the network cable or Wi-Fi, DNS and [mion] base_url")
    except KioskError as exc:
        return CheckResult(name="mion", status="fail", detail=str(exc), hint="check the [mion] settings")
    finally:
        client.close()
    # The config allows plain http only to this machine (the simulator); anything else is https.
    tls = "TLS ok, " if urlsplit(mion.base_url).scheme == "https" else "plain http to this machine, "
    return CheckResult(name="mion", status="ok", detail=f"reachable, {tls}key accepted ({mion.base_url})")


def _is_tls_problem(exc: BaseException) -> bool:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLError) or type(cause).__name__ == "SSLError":
            return True
        cause = cause.__cause__ or cause.__context__
    text = str(exc).lower()
    return any(word in text for word in ("tls", "ssl", "certificate"))


# --- clock and display ---------------------------------------------------------------------------------


def _check_clock(ctx: _Context) -> CheckResult:
    if ctx.system.timesync_flag.exists():
        return CheckResult(name="clock", status="ok", detail="synchronised (systemd-timesyncd)")
    answer = _run(ctx.system.timedatectl, ctx.system.subprocess_timeout_s)
    if answer == "yes":
        return CheckResult(name="clock", status="ok", detail="synchronised")
    if answer == "no":
        return CheckResult(name="clock", status="fail", detail="not synchronised",
                           hint="the Pi has no battery clock: give it network access to an NTP server")
    return CheckResult(name="clock", status="unknown", detail="neither timedatectl nor the timesyncd flag answered")


def _check_display(ctx: _Context) -> CheckResult:
    driver = ctx.environ.get("SDL_VIDEODRIVER", "")
    env = {k: v for k, v in ctx.environ.items() if k != "SDL_VIDEODRIVER"}
    if driver:
        env["SDL_VIDEODRIVER"] = driver
    env.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    # A child process: a driver that hangs or crashes must not take the doctor with it.
    code = "import pygame; pygame.display.init(); print(pygame.display.get_driver()); pygame.display.quit()"
    try:
        done = subprocess.run([ctx.system.python, "-c", code], env=env, capture_output=True, text=True,
                              timeout=ctx.system.subprocess_timeout_s, check=False)
    except subprocess.TimeoutExpired:
        return CheckResult(name="display", status="fail", detail=f"video driver {driver or '(auto)'} hangs",
                           hint="check the screen cable and dtoverlay=vc4-kms-v3d in config.txt")
    except OSError as exc:
        return CheckResult(name="display", status="unknown", detail=f"cannot start Python: {exc.strerror}")
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return CheckResult(name="display", status="fail", detail=f"video driver {driver or '(auto)'}: {last}",
                           hint="connect the screen before power-up; stop the kiosk (systemctl stop kiosk) "
                                "so it does not hold the display; check SDL_VIDEODRIVER")
    actual = done.stdout.strip()
    if actual in ("offscreen", "dummy") and driver != actual:
        return CheckResult(name="display", status="fail", detail=f"no screen found (SDL fell back to {actual})",
                           hint="connect the screen before power-up and check dtoverlay=vc4-kms-v3d in "
                                "config.txt; on the appliance SDL_VIDEODRIVER=kmsdrm is set by the service")
    return CheckResult(name="display", status="ok", detail=f"video driver {actual} available")


# --- till link, printer, GPIO ----------------------------------------------------------------------------


def _check_serial(ctx: _Context) -> CheckResult:
    if ctx.settings is None:
        return _skipped("till port", "config invalid")
    pos: PosSettings = ctx.settings.pos
    if not pos.enabled:
        return _skipped("till port", "[pos] enabled = false")
    if pos.mode == "zvt" and ctx.settings.zvt.listen:
        return _skipped("till port", f"the ZVT till connects over TCP to {ctx.settings.zvt.listen}")
    import serial

    try:
        port = serial.serial_for_url(pos.port, baudrate=pos.baudrate, timeout=0, do_not_open=True)
        if "://" not in pos.port:
            port.exclusive = True  # a port the running kiosk holds shows up as busy
        port.open()
        port.close()
    except (serial.SerialException, OSError, ValueError) as exc:
        hint = "plug in the serial adapter and check [pos] port (prefer /dev/serial/by-id/...)"
        if "busy" in str(exc).lower() or "lock" in str(exc).lower():
            hint = "another program holds the port: stop it (is the kiosk running?)"
        return CheckResult(name="till port", status="fail", detail=f"{pos.port} cannot be opened: {exc}",
                           hint=hint + "; the kiosk user needs the dialout group")
    return CheckResult(name="till port", status="ok", detail=f"{pos.port} present and openable")


def _check_printer(ctx: _Context) -> CheckResult:
    if ctx.settings is None:
        return _skipped("printer", "config invalid")
    printer = ctx.settings.printer
    if printer.kind == "none":
        return _skipped("printer", "[printer] kind = none")
    if printer.kind in ("file", "serial") and not Path(printer.device).exists():
        # Checked first: opening a missing device file would create an ordinary file in its place.
        return _missing_device(printer.device)
    # Imported here: python-escpos is slow to import and only this check needs it.
    from kiosk.outputs.printer import ReceiptPrinter

    device: ReceiptPrinter | None = None
    try:
        device = ReceiptPrinter(printer, timeout_s=ctx.system.network_timeout_s)
        device.open()
        paper = device.paper_status()
    except KioskError as exc:
        return CheckResult(name="printer", status="fail", detail=f"{printer.kind} printer: {exc}",
                           hint="switch the printer on, load paper, check the cable and [printer] settings")
    finally:
        if device is not None:
            device.close()
    paper_text = str(getattr(paper, "value", paper))
    if paper_text == "out":
        return CheckResult(name="printer", status="fail", detail=f"{printer.kind} printer reachable, paper: out",
                           hint="load a paper roll")
    return CheckResult(name="printer", status="ok", detail=f"{printer.kind} printer reachable, paper: {paper_text}")


def _missing_device(device: str) -> CheckResult:
    return CheckResult(name="printer", status="fail", detail=f"{device} does not exist",
                       hint="plug in and switch on the printer; check [printer] device")


def _check_gpio(ctx: _Context) -> CheckResult:
    if ctx.settings is None:
        return _skipped("gpio", "config invalid")
    light = ctx.settings.light
    if not light.enabled and not light.buzzer_pin:
        return _skipped("gpio", "[light] enabled = false and no buzzer")
    chips = sorted(glob.glob(str(ctx.system.dev_dir / "gpiochip*")))
    if chips:
        usable = [c for c in chips if os.access(c, os.R_OK | os.W_OK)]
        if not usable:
            return CheckResult(name="gpio", status="fail", detail=f"{', '.join(chips)} present but not usable",
                               hint="the kiosk user needs the gpio group")
        return CheckResult(name="gpio", status="ok", detail=f"{', '.join(Path(c).name for c in usable)} usable")
    factory = ctx.environ.get("GPIOZERO_PIN_FACTORY", "")
    if factory:
        return CheckResult(name="gpio", status="ok", detail=f"no GPIO chip; gpiozero pin factory {factory!r} set")
    return CheckResult(name="gpio", status="fail", detail=f"no {ctx.system.dev_dir}/gpiochip*",
                       hint="not a Raspberry Pi? set [light] enabled = false")


# --- helpers -----------------------------------------------------------------------------------------------


def _check_nfc(ctx: _Context) -> CheckResult:
    if ctx.settings is None:
        return _skipped("nfc reader", "config invalid")
    from kiosk.appliance.doctor_nfc import check_nfc

    status, detail, hint = check_nfc(ctx.settings.nfc, ctx.system.dev_dir)
    return CheckResult(name="nfc reader", status=status, detail=detail, hint=hint)  # type: ignore[arg-type]


def _check_metrics(ctx: _Context) -> CheckResult:
    if ctx.settings is None:
        return _skipped("metrics", "config invalid")
    from kiosk.appliance.doctor_fleet import check_metrics

    return _result("metrics", check_metrics(ctx.settings.metrics, ctx.environ, ctx.system.network_timeout_s))


def _check_version(ctx: _Context) -> CheckResult:
    from kiosk.appliance.doctor_fleet import check_version

    return _result("version", check_version(ctx.system.update_root))


def _check_pending(ctx: _Context) -> CheckResult:
    from kiosk.appliance.doctor_fleet import check_pending

    return _result("update pending", check_pending(ctx.system.update_root, ctx.system.kiosk_state))


def _check_rollback(ctx: _Context) -> CheckResult:
    from kiosk.appliance.doctor_fleet import check_rollback

    return _result("last rollback", check_rollback(ctx.system.update_root))


def _result(name: str, outcome: tuple[str, str, str]) -> CheckResult:
    status, detail, hint = outcome
    return CheckResult(name=name, status=status, detail=detail, hint=hint)  # type: ignore[arg-type]


def _skipped(name: str, why: str) -> CheckResult:
    return CheckResult(name=name, status="skipped", detail=why)


def _run(command: tuple[str, ...], timeout_s: float) -> str | None:
    """The stripped output of ``command``, or None when it is missing, fails or hangs."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None
