"""The pi-gen stage, without pi-gen: layout checks, and its install script run against a temporary root.

pi-gen's ``on_chroot`` runs a script inside the image; here a recorder with the same name stands in
for it, so the test sees which commands would run in the chroot without root, loop devices or qemu.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).parents[2]
IMAGE_BUILD = REPO / "image-build"
STAGE = IMAGE_BUILD / "stage-kiosk"
SUB_STAGE = STAGE / "00-kiosk"
PI_GEN_CMDLINE = "console=serial0,115200 console=tty1 root=ROOTDEV rootfstype=ext4 fsck.repair=yes rootwait\n"
RECORDER = """#!/bin/bash
# Stands in for pi-gen's on_chroot: keeps the script it would run inside the image.
cat >> "${CHROOT_RECORD}"
"""


def is_executable(path: Path) -> bool:
    return bool(path.stat().st_mode & stat.S_IXUSR)


def test_stage_layout_follows_pi_gen_conventions() -> None:
    assert is_executable(STAGE / "prerun.sh")
    assert "copy_previous" in (STAGE / "prerun.sh").read_text()
    assert "IMG_SUFFIX=" in (STAGE / "EXPORT_IMAGE").read_text()
    for sub_stage in (p for p in STAGE.iterdir() if p.is_dir()):
        assert re.fullmatch(r"\d\d-[a-z0-9-]+", sub_stage.name)
        for run in sub_stage.glob("*-run.sh"):
            assert re.fullmatch(r"\d\d-run\.sh", run.name) and is_executable(run)
    packages = (SUB_STAGE / "00-packages-nr").read_text().split()
    for package in ("libgbm1", "libdrm2", "libegl1", "libgles2", "python3-venv", "python3-lgpio"):
        assert package in packages


def test_pi_gen_config_builds_64_bit_bookworm_lite_plus_our_stage() -> None:
    script = f'source "{IMAGE_BUILD / "config"}"; printf "%s\\n" "$RELEASE" "$STAGE_LIST" "$ENABLE_SSH" ' \
             '"$DISABLE_FIRST_BOOT_USER_RENAME" "$FIRST_USER_PASS"'
    env = {"PATH": os.environ["PATH"], "KIOSK_STAGE_DIR": "/src/image-build/stage-kiosk",
           "KIOSK_ADMIN_PASSWORD": "pw"}

    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, check=True)

    release, stage_list, ssh, no_rename, password = done.stdout.splitlines()
    assert release == "bookworm"
    assert stage_list == "stage0 stage1 stage2 /src/image-build/stage-kiosk"
    assert ssh == "0"  # no ssh unless the builder gives a public key
    assert no_rename == "1" and password == "pw"


def test_build_script_pins_pi_gen_to_a_bookworm_arm64_commit() -> None:
    text = (IMAGE_BUILD / "build.sh").read_text()

    assert re.search(r'PI_GEN_COMMIT="\$\{PI_GEN_COMMIT:-[0-9a-f]{40}\}"', text)
    assert "bookworm-arm64" in text
    assert 'KIOSK_STAGE_DIR="${HERE}/stage-kiosk"' in text
    assert "pip wheel" in text


@pytest.fixture
def rootfs(tmp_path: Path) -> Path:
    root = tmp_path / "rootfs"
    (root / "boot" / "firmware").mkdir(parents=True)
    (root / "boot" / "firmware" / "cmdline.txt").write_text(PI_GEN_CMDLINE)
    (root / "boot" / "firmware" / "config.txt").write_text("dtoverlay=vc4-kms-v3d\n")
    return root


def run_stage(tmp_path: Path, rootfs: Path, *, wheels: int = 1) -> tuple[subprocess.CompletedProcess[str], Path]:
    tools = tmp_path / "tools"
    tools.mkdir(exist_ok=True)
    (tools / "on_chroot").write_text(RECORDER)
    (tools / "on_chroot").chmod(0o755)
    wheel_dir = tmp_path / "wheels"
    wheel_dir.mkdir(exist_ok=True)
    for n in range(wheels):
        (wheel_dir / f"kiosk-0.{n}.0-py3-none-any.whl").write_bytes(b"PK\x05\x06" + bytes(18))
    record = tmp_path / "chroot.sh"
    env = {"PATH": f"{tools}:{os.environ['PATH']}", "ROOTFS_DIR": str(rootfs), "KIOSK_WHEEL_DIR": str(wheel_dir),
           "CHROOT_RECORD": str(record)}
    # pi-gen runs each sub-stage script from inside its directory.
    done = subprocess.run(["./01-run.sh"], check=False, cwd=SUB_STAGE, env=env, capture_output=True, text=True, timeout=60)
    return done, record


def test_install_script_puts_every_file_in_place(tmp_path: Path, rootfs: Path) -> None:
    done, _ = run_stage(tmp_path, rootfs)
    assert done.returncode == 0, done.stderr

    assert (rootfs / "opt/kiosk/wheels/kiosk-0.0.0-py3-none-any.whl").is_file()
    for unit in ("kiosk.service", "kiosk-provision.service", "kiosk-update.service", "kiosk-update-settle.service",
                 "kiosk-update-settle.timer", "media-update.mount"):
        assert (rootfs / "etc/systemd/system" / unit).read_text() == (REPO / "systemd" / unit).read_text()
    assert 'api_key_file = "mion-api-key"' in (rootfs / "etc/kiosk/kiosk.toml").read_text()
    assert "SystemMaxUse=" in (rootfs / "etc/systemd/journald.conf.d/40-kiosk.conf").read_text()
    rules = {p.name for p in (rootfs / "etc/udev/rules.d").iterdir()}
    assert rules == {"70-kiosk-printers.rules", "70-kiosk-serial.rules"}
    assert (rootfs / "opt/kiosk/README.md").is_file()
    assert (rootfs / "opt/kiosk/keypad/kiosk-keypad.dts").is_file()
    assert "disable_splash=1" in (rootfs / "boot/firmware/config.txt").read_text().splitlines()


def test_kernel_command_line_is_quiet_and_keeps_the_root_device(tmp_path: Path, rootfs: Path) -> None:
    run_stage(tmp_path, rootfs)
    run_stage(tmp_path, rootfs)  # a second run must not duplicate anything

    tokens = (rootfs / "boot/firmware/cmdline.txt").read_text().split()

    assert tokens == ["root=ROOTDEV", "rootfstype=ext4", "fsck.repair=yes", "rootwait", "console=tty3",
                      "consoleblank=0", "vt.global_cursor_default=0", "quiet", "loglevel=3", "logo.nologo"]
    assert (rootfs / "boot/firmware/cmdline.txt").read_text().count("\n") == 1
    assert (rootfs / "boot/firmware/config.txt").read_text().count("disable_splash=1") == 1


def test_chroot_commands_create_the_user_venv_and_enable_the_units(tmp_path: Path, rootfs: Path) -> None:
    done, record = run_stage(tmp_path, rootfs)
    assert done.returncode == 0, done.stderr

    script = record.read_text()
    commands = [line.strip() for line in script.splitlines() if line.strip() and not line.strip().startswith("#")]

    assert any(c.startswith("useradd --system") and c.endswith(" kiosk") and "nologin" in c for c in commands)
    assert "usermod --append --groups video,render,input,gpio,dialout,lp kiosk" in commands
    assert "python3 -m venv --system-site-packages /opt/kiosk/venv" in commands
    assert any(c.startswith("/opt/kiosk/venv/bin/pip install") and "/opt/kiosk/wheels/kiosk-*.whl" in c
               for c in commands)
    assert "systemctl enable kiosk-provision.service kiosk.service" in commands
    assert "ln -sfn venv /opt/kiosk/current" in commands  # what kiosk.service runs until an update
    assert "systemctl enable kiosk-update.service kiosk-update-settle.timer" in commands
    assert "systemctl disable getty@tty1.service" in commands
    assert "passwd --lock root" in commands
    # The recorded script is what the chroot's bash will run: it must itself be sound.
    assert subprocess.run(["bash", "-n", str(record)], capture_output=True, check=False).returncode == 0
    shellcheck = shutil.which("shellcheck") or shutil.which("shellcheck", path=str(Path(sys.executable).parent))
    if shellcheck:
        check = subprocess.run([shellcheck, "--shell=bash", str(record)], capture_output=True, text=True,
                               check=False)
        assert check.returncode == 0, check.stdout


@pytest.mark.parametrize("wheels", [0, 2])
def test_install_script_refuses_without_exactly_one_wheel(tmp_path: Path, rootfs: Path, wheels: int) -> None:
    done, record = run_stage(tmp_path, rootfs, wheels=wheels)

    assert done.returncode != 0
    assert "exactly one kiosk-*.whl" in done.stderr
    assert not record.exists()  # nothing ran in the chroot
    assert (rootfs / "boot/firmware/cmdline.txt").read_text() == PI_GEN_CMDLINE


KEYPAD_DTS = IMAGE_BUILD / "keypad" / "kiosk-keypad.dts"
# Linux input key codes the sample keymap may use, and the pygame key the kiosk receives for each.
LINUX_KEYS = {79: "K_KP1", 80: "K_KP2", 81: "K_KP3", 75: "K_KP4", 76: "K_KP5", 77: "K_KP6", 71: "K_KP7",
              72: "K_KP8", 73: "K_KP9", 82: "K_KP0", 83: "K_KP_PERIOD", 96: "K_KP_ENTER", 14: "K_BACKSPACE",
              1: "K_ESCAPE", 55: "K_KP_MULTIPLY"}


def test_keypad_overlay_maps_every_key_once_to_a_key_the_kiosk_knows() -> None:
    import pygame

    from kiosk.inputs.keypad import KEYMAP

    entries = [int(v, 16) for v in re.findall(r"0x([0-9a-f]{8})", KEYPAD_DTS.read_text())]
    positions = {(e >> 24, (e >> 16) & 0xFF) for e in entries}
    codes = {e & 0xFFFF for e in entries}

    assert positions == {(r, c) for r in range(4) for c in range(4)}
    assert codes <= set(LINUX_KEYS)
    digits = {getattr(pygame, f"K_KP{d}") for d in range(10)}
    for code in codes:
        key = getattr(pygame, LINUX_KEYS[code])
        assert key in KEYMAP or key in digits, LINUX_KEYS[code]


def test_keypad_overlay_compiles() -> None:
    dtc = shutil.which("dtc")
    if dtc is None:
        pytest.skip("dtc is not installed (apt install device-tree-compiler)")

    done = subprocess.run([dtc, "-@", "-I", "dts", "-O", "dtb", "-o", os.devnull, str(KEYPAD_DTS)],
                          capture_output=True, text=True, timeout=30, check=False)

    assert done.returncode == 0, done.stderr
