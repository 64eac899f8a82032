"""``kiosk update``: installs a signed bundle found on the boot partition or a USB stick, beside the
running kiosk, switches to it atomically and takes it back when it does not come up.

Layout under the root (``/opt/kiosk``)::

    venv/                   the image's own environment: runs this updater, never replaced
    versions/<v>-<digest>/  one environment per installed bundle
    current -> venv | versions/...   what kiosk.service runs (``current/bin/kiosk``)
    update/pending.json     a switch not yet confirmed: {"previous", "new", "bundle", "since"}
    update/refused          digests of bundles refused or rolled back, one a line (never tried again)
    update/last.json        what the last run did, for ``kiosk doctor`` and a technician
    update/rollback.json    the last rollback: {"at", "version", "to", "why"}, for ``kiosk doctor``

Order of a run (``kiosk-update.service``, before ``kiosk.service`` at boot):

1. :meth:`Updater.settle`: a pending switch is confirmed when the kiosk wrote ``running.json`` in
   its state folder naming the new environment (it does so on READY=1, :mod:`kiosk.appliance.confirm`);
   then the one before the previous environment is removed. Unconfirmed at boot, or past its
   deadline (``kiosk-update-settle.timer``), it is rolled back: ``current`` points at the previous
   environment again, the new one is removed and its bundle is refused from then on.
2. :meth:`Updater.install_from`: the newest bundle in the folders searched whose signature holds,
   not refused and not the running version, is unpacked and installed into a new environment
   (``pip --no-index --find-links``), renamed into place only when complete; only then is the
   pending record written and ``current`` switched (a symlink renamed over the old one).

A failure at any step before the switch leaves the running kiosk as it was; the switch itself is one
``rename``. Nothing unsigned is ever unpacked: the signature is checked first.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kiosk import __version__
from kiosk.appliance.bundle import Bundle, BundleRefused, open_bundle
from kiosk.appliance.confirm import RUNNING
from kiosk.errors import KioskError

log = logging.getLogger(__name__)

BUNDLE_GLOB = "kiosk-update*.tar"
PIP_TIMEOUT_S = 900.0


class UpdateFailed(KioskError):
    """Installing a bundle failed; the running kiosk is untouched."""


def pip_install(venv: Path, wheels: Path, requirement: str) -> None:
    """Install ``requirement`` from ``wheels`` only (no network) into the environment ``venv``."""
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
                    "--no-index", "--find-links", str(wheels), "--disable-pip-version-check", "--no-cache-dir",
                    "--quiet", requirement], check=True, capture_output=True, text=True, timeout=PIP_TIMEOUT_S)


def make_venv(venv: Path) -> None:
    """A new environment that sees the system's packages (apt's python3-lgpio), without its own pip."""
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)],
                   check=True, capture_output=True, text=True, timeout=300)


@dataclass
class Updater:
    root: Path
    state_dir: Path
    """The kiosk's state folder, where it confirms what runs (``/var/lib/kiosk``)."""
    public_key: Ed25519PublicKey
    deadline_s: float = 300.0
    """How long a new version has to reach READY before ``settle`` rolls it back."""
    make_venv: Callable[[Path], None] = make_venv
    pip_install: Callable[[Path, Path, str], None] = pip_install
    clock: Callable[[], float] = time.time

    @property
    def current(self) -> Path:
        return self.root / "current"

    @property
    def _dir(self) -> Path:
        return self.root / "update"

    # --- settling a switch ---------------------------------------------------------------------------

    def settle(self, *, at_boot: bool) -> str | None:
        """Confirm or roll back a pending switch; returns what happened (None: nothing pending)."""
        pending = self._read_json(self._dir / "pending.json")
        if pending is None:
            return None
        new, previous = Path(str(pending["new"])), Path(str(pending["previous"]))
        running = self._read_json(self.state_dir / RUNNING)
        if running is not None and Path(str(running.get("prefix", ""))) == new.resolve():
            (self._dir / "pending.json").unlink()
            self._prune(keep={new.resolve(), previous.resolve()})
            return self._note(f"version {running.get('version')} confirmed: it reached READY")
        overdue = self.clock() - float(str(pending["since"])) > self.deadline_s
        if not (at_boot or overdue):
            return "waiting for the new version to reach READY"
        self._switch(previous)
        (self._dir / "pending.json").unlink()
        shutil.rmtree(new, ignore_errors=True)
        self._refuse(str(pending["bundle"]))
        why = "it did not reach READY before the kiosk restarted" if at_boot else \
            f"it did not reach READY within {self.deadline_s:.0f} s"
        at = self.clock()
        self._write_json(self._dir / "rollback.json", {"at": at, "version": new.name, "to": previous.name, "why": why})
        return self._note(f"rolled back to {previous.name}: {why}", level=logging.ERROR, at=at)

    # --- installing ---------------------------------------------------------------------------------

    def find(self, folders: Sequence[Path]) -> list[Path]:
        """Bundle files in ``folders`` (their top level only), newest name last."""
        found: list[Path] = []
        for folder in folders:
            if folder.is_dir():
                found += sorted(folder.glob(BUNDLE_GLOB))
        return found

    def install_from(self, folders: Sequence[Path]) -> str | None:
        """Install the first acceptable bundle found and switch to it; returns what happened."""
        if (self._dir / "pending.json").exists():
            return "a switch is still pending; no new bundle is installed before it settles"
        refused = self._refused()
        for path in reversed(self.find(folders)):
            try:
                bundle = open_bundle(path, self.public_key)
            except BundleRefused as exc:
                self._note(f"refused: {exc}", level=logging.ERROR)
                continue
            if bundle.digest in refused:
                log.info("%s was refused or rolled back before; not tried again", path.name)
                continue
            if self._running_version() == bundle.version:
                log.info("%s holds version %s, which runs already", path.name, bundle.version)
                continue
            self._install(bundle)
            return self._note(f"installed version {bundle.version} from {path.name}; it runs from the next start")
        return None

    def _install(self, bundle: Bundle) -> None:
        versions = self.root / "versions"
        versions.mkdir(parents=True, exist_ok=True)
        final = versions / f"{bundle.version}-{bundle.digest[:12]}"
        partial = versions / (final.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        try:
            with tempfile.TemporaryDirectory(dir=versions, prefix=".wheels-") as wheels:
                for name, content in bundle.wheels.items():
                    (Path(wheels) / name).write_bytes(content)
                self.make_venv(partial)
                self.pip_install(partial, Path(wheels), bundle.requirement)
            if not (partial / "bin" / "kiosk").exists():
                raise UpdateFailed(f"version {bundle.version} installed no kiosk command")
            shutil.rmtree(final, ignore_errors=True)
            partial.rename(final)
        except (OSError, subprocess.SubprocessError, UpdateFailed) as exc:
            shutil.rmtree(partial, ignore_errors=True)
            self._refuse(bundle.digest)
            detail = getattr(exc, "stderr", None) or str(exc)
            raise UpdateFailed(f"installing version {bundle.version} failed; the kiosk stays as it was: "
                               f"{str(detail).strip()[-400:]}") from exc
        previous = self.current.resolve() if self.current.exists() else self.root / "venv"
        self._write_json(self._dir / "pending.json", {"previous": str(previous), "new": str(final),
                                                      "bundle": bundle.digest, "since": self.clock()})
        (self.state_dir / RUNNING).unlink(missing_ok=True)
        self._switch(final)

    # --- helpers ------------------------------------------------------------------------------------

    def _switch(self, target: Path) -> None:
        """Point ``current`` at ``target`` in one rename."""
        link = self.root / "current.new"
        link.unlink(missing_ok=True)
        link.symlink_to(os.path.relpath(target, self.root))
        link.replace(self.current)
        _sync_dir(self.root)

    def _running_version(self) -> str | None:
        target = self.current.resolve()
        if target == (self.root / "venv").resolve():
            return __version__  # the image's own environment, which runs this updater
        return target.name.rpartition("-")[0] if target.parent == (self.root / "versions").resolve() else None

    def _prune(self, keep: set[Path]) -> None:
        versions = self.root / "versions"
        for folder in versions.iterdir() if versions.is_dir() else ():
            if folder.resolve() not in keep and not folder.name.startswith("."):
                shutil.rmtree(folder, ignore_errors=True)

    def _refused(self) -> set[str]:
        try:
            return set((self._dir / "refused").read_text(encoding="ascii").split())
        except OSError:
            return set()

    def _refuse(self, digest: str) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        with (self._dir / "refused").open("a", encoding="ascii") as f:
            f.write(digest + "\n")

    def _note(self, what: str, *, level: int = logging.INFO, at: float | None = None) -> str:
        log.log(level, "update: %s", what)
        self._write_json(self._dir / "last.json", {"at": self.clock() if at is None else at, "what": what})
        return what

    def _write_json(self, path: Path, data: dict[str, object]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        with partial.open("w", encoding="utf-8") as f:
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())
        partial.replace(path)
        _sync_dir(path.parent)

    @staticmethod
    def _read_json(path: Path) -> dict[str, object] | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None


def _sync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
