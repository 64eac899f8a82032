"""First-boot provisioning: take the owner's config and API key from the boot partition.

The owner puts the SD card into any computer, which shows only the FAT boot partition
(``/boot/firmware`` on the Pi), and writes two files there:

* ``kiosk.toml``   the settings (with ``[mion] api_key_file = "mion-api-key"``);
* ``mion-api-key`` the API key alone, in its own file.

At boot ``kiosk-provision.service`` runs :func:`provision` as root before the kiosk starts:

1. The config is checked with :func:`kiosk.config.load_settings`. A good one replaces
   ``/etc/kiosk/kiosk.toml`` atomically and is removed from the boot partition. A bad one is NOT
   installed: the previous config stays, the bad file stays on the boot partition for the owner to fix,
   and the one-line reason goes to ``/etc/kiosk/config-error`` (root's, 0600) and the log. The kiosk
   shows that line on its error screen (see :func:`pending_config_error`) instead of crash-looping.
2. The key is checked for shape, written to ``/etc/kiosk/mion-api-key`` with mode 0600 (owned by
   root, who runs this and so creates it; systemd hands it to the kiosk through ``LoadCredential=``),
   overwritten with zeros on the boot partition, which every computer can read, and removed.

Each run rewrites ``config-error`` from scratch, so fixing or deleting the bad file clears the error
at the next boot. No message here ever contains the key.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kiosk.config import load_settings
from kiosk.errors import ConfigError

log = logging.getLogger(__name__)

CONFIG_NAME = "kiosk.toml"
KEY_NAME = "mion-api-key"
ERROR_NAME = "config-error"

_KEY_MIN_CHARS = 8
_KEY_MAX_CHARS = 4096
_ERROR_MAX_CHARS = 400
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProvisionResult:
    """What one provisioning run did."""

    config_installed: bool = False
    """A new kiosk.toml was validated and installed."""
    key_installed: bool = False
    """A new API key was installed."""
    error: str | None = None
    """One line for the owner when something was refused; also written to ``config-error``."""
    notes: tuple[str, ...] = ()
    """Warnings that did not stop anything (e.g. the config does not use the provisioned key)."""

    @property
    def ok(self) -> bool:
        """True when nothing was refused."""
        return self.error is None


def provision(boot_dir: Path, etc_dir: Path) -> ProvisionResult:
    """Validate and move ``kiosk.toml`` and ``mion-api-key`` from ``boot_dir`` into ``etc_dir``.

    Never raises for a bad or unreadable file: the reason is in the result and in ``config-error``.
    """
    etc_dir.mkdir(mode=0o755, parents=True, exist_ok=True)
    errors: list[str] = []
    notes: list[str] = []
    key_text: str | None = None

    key_installed = False
    boot_key = boot_dir / KEY_NAME
    if boot_key.exists():
        try:
            key_text = _read_key(boot_key)
            _install_key(key_text, etc_dir / KEY_NAME)
            _overwrite(boot_key)
            _remove(boot_key)
            key_installed = True
            log.info("installed the Mion API key into %s", etc_dir / KEY_NAME)
        except ConfigError as exc:
            errors.append(str(exc))

    config_installed = False
    boot_config = boot_dir / CONFIG_NAME
    if boot_config.exists():
        try:
            uses_key_file = _install_config(boot_config, etc_dir / CONFIG_NAME)
            _remove(boot_config)
            config_installed = True
            log.info("installed %s from %s", etc_dir / CONFIG_NAME, boot_config)
            if not uses_key_file:
                notes.append(f'{CONFIG_NAME} does not set [mion] api_key_file = "{KEY_NAME}"; '
                             "the provisioned key will not be used")
        except ConfigError as exc:
            errors.append(_redact(str(exc), key_text or _installed_key(etc_dir / KEY_NAME)))

    for note in notes:
        log.warning("%s", note)
    error = "; ".join(errors)[:_ERROR_MAX_CHARS] if errors else None
    _write_error_file(etc_dir / ERROR_NAME, error)
    return ProvisionResult(config_installed=config_installed, key_installed=key_installed, error=error,
                           notes=tuple(notes))


def pending_config_error(etc_dir: Path, environ: Mapping[str, str] | None = None) -> str | None:
    """The reason the last provisioning refused the owner's files, or None when there is none.

    The app calls this at start-up and shows the line on the config-error screen. The file is root's
    (0600); the service reads the copy systemd hands it as the credential ``config-error`` when
    ``$CREDENTIALS_DIRECTORY`` holds one (an empty one means no refusal). A refusal it may not read
    still stops the kiosk, with a line that says where the reason is.
    """
    env = os.environ if environ is None else environ
    path = etc_dir / ERROR_NAME
    credentials = env.get("CREDENTIALS_DIRECTORY", "")
    if credentials and (Path(credentials) / ERROR_NAME).is_file():
        path = Path(credentials) / ERROR_NAME
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return None
    except PermissionError:
        return (f"the last {CONFIG_NAME} from the boot partition was refused; the reason is in "
                f"{etc_dir / ERROR_NAME}, readable by root only (sudo kiosk doctor shows it)")
    except OSError as exc:
        return f"{path} cannot be read: {exc.strerror}"
    line = " ".join(text.split())
    return line[:_ERROR_MAX_CHARS] or None


# --- the key -------------------------------------------------------------------------------------------


def _read_key(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{KEY_NAME} on the boot partition cannot be read: {exc.strerror}") from exc
    # Editors on other systems add a byte-order mark and a line ending; neither is part of the key.
    try:
        key = raw.removeprefix(_BOM).decode("ascii").strip()
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{KEY_NAME} on the boot partition holds characters other than plain ASCII") from exc
    if not key:
        raise ConfigError(f"{KEY_NAME} on the boot partition is empty")
    if any(ch.isspace() or not ch.isprintable() for ch in key):
        raise ConfigError(f"{KEY_NAME} on the boot partition must hold only the key on one line, "
                          "without spaces")
    if not _KEY_MIN_CHARS <= len(key) <= _KEY_MAX_CHARS:
        raise ConfigError(f"{KEY_NAME} on the boot partition is {len(key)} characters long; "
                          f"expected {_KEY_MIN_CHARS} to {_KEY_MAX_CHARS}")
    return key


def _install_key(key: str, target: Path) -> None:
    try:
        _atomic_write(target, key.encode("ascii"), mode=0o600)
    except OSError as exc:
        raise ConfigError(f"cannot install the API key into {target.parent}: {exc.strerror}") from exc


# --- the config ----------------------------------------------------------------------------------------


def _install_config(source: Path, target: Path) -> bool:
    """Check ``source`` and install it at ``target``. Returns whether it names the provisioned key file."""
    try:
        raw = source.read_bytes().removeprefix(_BOM)
    except OSError as exc:
        raise ConfigError(f"{CONFIG_NAME} on the boot partition cannot be read: {exc.strerror}") from exc
    # Validate exactly the bytes that will be installed, in a temporary file next to the target.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{CONFIG_NAME}.", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            settings = load_settings(tmp)
        except ConfigError as exc:
            raise ConfigError(str(exc).replace(str(tmp), str(source))) from exc
        tmp.chmod(0o644)  # the kiosk user reads it; it holds no secret
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except OSError as exc:
        raise ConfigError(f"cannot install {CONFIG_NAME} into {target.parent}: {exc.strerror}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return settings.mion.api_key_file in (KEY_NAME, str(target.parent / KEY_NAME))


# --- files ---------------------------------------------------------------------------------------------


def _atomic_write(target: Path, data: bytes, *, mode: int) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    finally:
        tmp.unlink(missing_ok=True)


def _fsync_dir(directory: Path) -> None:
    # A power cut right after provisioning must not lose the rename.
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _overwrite(path: Path) -> None:
    """Write zeros over every byte of ``path`` and flush them to the card, before it is removed.

    FAT keeps a removed file's bytes in its free clusters until something else is written there, and
    any computer can read them back; overwritten in place, the key is gone from this copy. What this
    cannot reach (copies an editor saved before, blocks the card's controller moved aside) is in
    image-build/README.md.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    except OSError as exc:
        log.error("could not overwrite %s before removing it: %s", path, exc.strerror)
        return
    try:
        size = os.fstat(fd).st_size
        written = 0
        while written < size:
            written += os.write(fd, bytes(min(size - written, 65536)))
        os.fsync(fd)
    except OSError as exc:
        log.error("could not overwrite %s before removing it: %s", path, exc.strerror)
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    try:
        path.unlink()
        _fsync_dir(path.parent)
    except OSError as exc:
        # Installed but still on the card: worth a loud line, not a refusal.
        log.error("could not remove %s from the boot partition: %s", path, exc.strerror)


def _write_error_file(path: Path, error: str | None) -> None:
    try:
        if error is None:
            path.unlink(missing_ok=True)
            return
        log.error("provisioning refused: %s", error)
        # Root's only, like the key: a message never repeats a key, but this file is on the safe side.
        _atomic_write(path, (error + "\n").encode("utf-8"), mode=0o600)
    except OSError as exc:
        log.error("cannot update %s: %s", path, exc.strerror)


def _installed_key(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii", errors="replace").strip() or None
    except OSError:
        return None


def _redact(message: str, secret: str | None) -> str:
    # A key pasted into the wrong setting would otherwise be echoed by the config error.
    if secret:
        return message.replace(secret, "***")
    return message
