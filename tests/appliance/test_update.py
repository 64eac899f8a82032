"""Signed update bundles: made, checked, installed beside the running kiosk, switched, confirmed or
rolled back.

Given a temporary root laid out like /opt/kiosk (the image's ``venv``, ``current`` pointing at it)
and a bundle holding a tiny kiosk 0.2.0 wheel; when ``kiosk update`` runs at boot; then ``current``
points at a new environment holding it. When that version never reaches READY, the next run rolls
back, and the bundle is not tried again. Unsigned or altered bundles never get installed.
"""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk import __version__
from kiosk.appliance import bundle as b
from kiosk.appliance.confirm import RUNNING, confirm_running
from kiosk.appliance.update import UpdateFailed, Updater
from kiosk.cli import main

VERSION = "0.2.0"


def fake_wheel(folder: Path, name: str = "kiosk", version: str = VERSION) -> Path:
    """A tiny pure-Python wheel whose console script is ``kiosk``."""
    path = folder / f"{name}-{version}-py3-none-any.whl"
    info = f"{name}-{version}.dist-info"
    files = {
        "kiosk_fake/__init__.py": "def main():\n    return 0\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{info}/entry_points.txt": "[console_scripts]\nkiosk = kiosk_fake:main\n",
    }
    with zipfile.ZipFile(path, "w") as z:
        for member, text in files.items():
            z.writestr(member, text)
        z.writestr(f"{info}/RECORD", "".join(f"{member},,\n" for member in files) + f"{info}/RECORD,,\n")
    return path


class Installs:
    """Stands in for ``python -m venv`` and pip: records what was asked, writes a ``bin/kiosk``."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.asked: list[tuple[str, list[str], str]] = []

    def make_venv(self, venv: Path) -> None:
        (venv / "bin").mkdir(parents=True)

    def pip_install(self, venv: Path, wheels: Path, requirement: str) -> None:
        self.asked.append((venv.name, sorted(p.name for p in wheels.iterdir()), requirement))
        if self.fail:
            raise OSError("pip: no space left on device")
        (venv / "bin" / "kiosk").write_text("#!/bin/sh\n")


def layout(tmp_path: Path, key: Ed25519PrivateKey, installs: Installs | None = None,
           clock: list[float] | None = None) -> Updater:
    root, state = tmp_path / "opt-kiosk", tmp_path / "state"
    (root / "venv" / "bin").mkdir(parents=True)
    state.mkdir()
    (root / "current").symlink_to("venv")
    now = clock if clock is not None else [1000.0]
    updater = Updater(root=root, state_dir=state, public_key=key.public_key(), deadline_s=300, clock=lambda: now[0])
    if installs is not None:
        updater.make_venv, updater.pip_install = installs.make_venv, installs.pip_install
    return updater


def test_a_signed_bundle_installs_for_real_and_a_failed_start_rolls_back(
        tmp_path: Path, key: Ed25519PrivateKey, usb: Path) -> None:
    updater = layout(tmp_path, key)  # the real venv and pip, offline from the bundle's wheels
    assert updater.install_from([usb]) == f"installed version {VERSION} from kiosk-update-{VERSION}.tar; " \
                                          "it runs from the next start"
    new = updater.current.resolve()
    assert new.parent.name == "versions" and new.name.startswith(f"{VERSION}-")
    assert (updater.current / "bin" / "kiosk").exists()
    assert (updater.root / "update" / "pending.json").exists()
    assert not list((updater.root / "versions").glob("*.partial"))

    # The new version never reached READY; the kiosk restarted (a boot).
    said = updater.settle(at_boot=True)
    assert said is not None and said.startswith("rolled back to venv")
    assert updater.current.resolve() == (updater.root / "venv").resolve()
    assert not new.exists() and not (updater.root / "update" / "pending.json").exists()
    assert updater.install_from([usb]) is None  # refused from now on: no install-and-fail loop


def test_a_version_that_reaches_ready_is_kept_and_older_ones_pruned(tmp_path: Path, key: Ed25519PrivateKey,
                                                                    usb: Path) -> None:
    installs = Installs()
    updater = layout(tmp_path, key, installs)
    old = updater.root / "versions" / "0.0.9-aaaaaaaaaaaa"
    (old / "bin").mkdir(parents=True)
    updater.install_from([usb])
    assert installs.asked == [(f"{updater.current.resolve().name}.partial", [f"kiosk-{VERSION}-py3-none-any.whl"],
                               f"kiosk=={VERSION}")]
    confirm_running(updater.state_dir, prefix=str(updater.current))  # what `kiosk run` does on READY
    assert updater.settle(at_boot=True) == f"version {__version__} confirmed: it reached READY"
    assert not (updater.root / "update" / "pending.json").exists()
    assert updater.current.resolve().name.startswith(VERSION)
    assert not old.exists() and (updater.root / "venv").exists()  # the image's own is never removed
    assert updater.install_from([usb]) is None  # that version runs already


def test_an_unconfirmed_switch_is_rolled_back_after_its_deadline_not_before(
        tmp_path: Path, key: Ed25519PrivateKey, usb: Path) -> None:
    now = [1000.0]
    updater = layout(tmp_path, key, Installs(), clock=now)
    updater.install_from([usb])
    now[0] += 300
    assert updater.settle(at_boot=False) == "waiting for the new version to reach READY"
    assert updater.current.resolve().name.startswith(VERSION)
    now[0] += 1
    said = updater.settle(at_boot=False)
    assert said == "rolled back to venv: it did not reach READY within 300 s"
    assert updater.current.resolve() == (updater.root / "venv").resolve()


def test_a_confirmation_from_another_environment_does_not_count(tmp_path: Path, key: Ed25519PrivateKey,
                                                                usb: Path) -> None:
    updater = layout(tmp_path, key, Installs())
    updater.install_from([usb])
    confirm_running(updater.state_dir, prefix=str(updater.root / "venv"))  # the old one, still running
    assert (updater.settle(at_boot=True) or "").startswith("rolled back")


def test_a_failed_install_leaves_the_kiosk_as_it_was(tmp_path: Path, key: Ed25519PrivateKey, usb: Path) -> None:
    updater = layout(tmp_path, key, Installs(fail=True))
    with pytest.raises(UpdateFailed, match="the kiosk stays as it was: pip: no space left on device"):
        updater.install_from([usb])
    assert updater.current.resolve() == (updater.root / "venv").resolve()
    assert [p.name for p in (updater.root / "versions").iterdir()] == []
    assert not (updater.root / "update" / "pending.json").exists()


def test_a_bundle_signed_with_another_key_is_refused(tmp_path: Path, key: Ed25519PrivateKey, usb: Path) -> None:
    installs = Installs()
    updater = layout(tmp_path, Ed25519PrivateKey.generate(), installs)
    assert updater.install_from([usb]) is None
    assert installs.asked == [] and updater.current.resolve() == (updater.root / "venv").resolve()
    last = (updater.root / "update" / "last.json").read_text()
    assert "its signature does not hold with this kiosk's update key" in last


def retar(source: Path, target: Path, change: dict[str, bytes | None]) -> Path:
    """A copy of the bundle ``source`` with members replaced, added or (None) dropped."""
    with tarfile.open(source) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar}  # type: ignore[union-attr]
    members.update(change)
    with tarfile.open(target, "w") as tar:
        for name, data in members.items():
            if data is not None:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return target


@pytest.mark.parametrize(("change", "reason"), [
    ({f"wheels/kiosk-{VERSION}-py3-none-any.whl": b"PK altered"}, "does not match its manifest"),
    ({"wheels/extra-1.0-py3-none-any.whl": b"PK"}, "its files differ from its manifest"),
    ({f"wheels/kiosk-{VERSION}-py3-none-any.whl": None}, "its files differ from its manifest"),
    ({"manifest.sig": b"\0" * 64}, "its signature does not hold"),
    ({"manifest.sig": None}, "no manifest.json or manifest.sig"),
    ({"../../etc/passwd": b"x"}, "its files differ from its manifest"),
])
def test_an_altered_bundle_is_refused_with_the_reason(tmp_path: Path, key: Ed25519PrivateKey, usb: Path,
                                                      change: dict[str, bytes | None], reason: str) -> None:
    altered = retar(usb / f"kiosk-update-{VERSION}.tar", tmp_path / "kiosk-update-x.tar", change)
    with pytest.raises(b.BundleRefused, match=reason):
        b.open_bundle(altered, key.public_key())


def test_not_a_tar_is_refused(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    junk = tmp_path / "kiosk-update-junk.tar"
    junk.write_bytes(b"not a tar at all" * 100)
    with pytest.raises(b.BundleRefused, match="cannot read it as a bundle"):
        b.open_bundle(junk, key.public_key())


def test_the_commands_make_a_key_a_bundle_and_verify_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    fake_wheel(wheels)
    signing, public = tmp_path / "signing.key", tmp_path / "update.pub"
    out = tmp_path / f"kiosk-update-{VERSION}.tar"
    assert main(["bundle", "keygen", "--key", str(signing), "--public", str(public)]) == 0
    assert signing.stat().st_mode & 0o077 == 0
    assert main(["bundle", "keygen", "--key", str(signing), "--public", str(public)]) == 1  # never overwritten
    assert main(["bundle", "make", "--wheels", str(wheels), "--version", VERSION, "--key", str(signing),
                 "--out", str(out)]) == 0
    assert main(["bundle", "verify", str(out), "--public", str(public)]) == 0
    assert "signature and digests hold; version 0.2.0, 1 wheels" in capsys.readouterr().out
    assert main(["bundle", "make", "--wheels", str(wheels), "--version", "0.3.0", "--key", str(signing),
                 "--out", str(out)]) == 1  # the folder holds no kiosk 0.3.0


def test_the_nested_bundle_actions_explain_every_option() -> None:
    import argparse

    from kiosk.cli import _parser

    def subs(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
        return next(dict(a.choices) for a in parser._actions if isinstance(a, argparse._SubParsersAction))

    for name, action in subs(subs(_parser())["bundle"]).items():
        assert action.description, name
        bare = [a.dest for a in action._actions if not isinstance(a, argparse._HelpAction) and not a.help]
        assert bare == [], f"kiosk bundle {name}: {bare}"


def test_the_running_record_names_the_environment(tmp_path: Path) -> None:
    confirm_running(tmp_path, prefix=str(tmp_path))
    assert str(tmp_path.resolve()) in (tmp_path / RUNNING).read_text()


def test_kiosk_update_at_boot_installs_and_the_timer_run_waits_for_the_deadline(
        tmp_path: Path, key: Ed25519PrivateKey, usb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    updater = layout(tmp_path, key)
    public = tmp_path / "update.pub"
    public.write_bytes(b.public_line(key.public_key()))
    common = ["--state-dir", str(updater.state_dir), "update", "--root", str(updater.root), "--public", str(public)]
    assert main([*common, "--search", str(usb)]) == 0
    assert updater.current.resolve().name.startswith(f"{VERSION}-")
    assert main([*common, "--settle"]) == 0  # the timer's run, well within the deadline
    out = capsys.readouterr().out
    assert f"installed version {VERSION}" in out and "waiting for the new version to reach READY" in out
    assert main([*common, "--search", str(usb)]) == 0  # the next boot, never confirmed: rolled back
    assert "rolled back to venv" in capsys.readouterr().out
    assert updater.current.resolve() == (updater.root / "venv").resolve()
