"""Signed update bundles: one tar file holding the kiosk's wheel, its dependencies' wheels for the
Pi, a manifest of their SHA-256 digests and an ed25519 signature over that manifest.

Layout of ``kiosk-update-<version>.tar`` (uncompressed: wheels are compressed already)::

    manifest.json        {"format": 1, "version": "0.2.0", "requirement": "kiosk==0.2.0",
                          "files": {"wheels/kiosk-0.2.0-py3-none-any.whl": "<sha256 hex>", ...}}
    manifest.sig         the ed25519 signature of manifest.json's exact bytes (64 bytes)
    wheels/*.whl

A bundle is made on a build machine with the private key (``kiosk bundle make``); the appliance
holds only the public key (``/etc/kiosk/update.pub``, in the image) and trusts a bundle only when
the signature holds over the manifest, every file the manifest names is present with its digest,
and nothing else is in the tar (:func:`open_bundle`). Members are read, never extracted by name,
so no path in a tar can write outside the folder it is unpacked into.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk.errors import KioskError

FORMAT = 1
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
_WHEEL = re.compile(r"wheels/[A-Za-z0-9_.+!-]+\.whl")
_VERSION = re.compile(r"[0-9][0-9A-Za-z.+!-]{0,63}")
MAX_MEMBER_BYTES = 256 * 1024 * 1024


class BundleRefused(KioskError):
    """The bundle is not signed by the image's key, or does not match its manifest: never installed."""


@dataclass(frozen=True, slots=True)
class Bundle:
    """A bundle whose signature and digests held."""

    path: Path
    version: str
    requirement: str
    digest: str
    """SHA-256 of the whole tar file: names this bundle in the updater's records."""
    wheels: dict[str, bytes]
    """File name -> content of each wheel."""


def new_key() -> tuple[bytes, bytes]:
    """A fresh signing key: (private key PEM, public key line in base64)."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return private, public_line(key.public_key())


def public_line(key: Ed25519PublicKey) -> bytes:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw) + b"\n"


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """Raises BundleRefused when the file is not an ed25519 private key in PEM."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise BundleRefused(f"cannot read the signing key {path}: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise BundleRefused(f"the signing key {path} is not an ed25519 key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """The public key written by ``kiosk bundle keygen`` (one base64 line). Raises BundleRefused."""
    try:
        raw = base64.b64decode(path.read_text(encoding="ascii").strip(), validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise BundleRefused(f"cannot read the update public key {path}: {exc}") from exc


def make_bundle(wheelhouse: Path, version: str, key: Ed25519PrivateKey, out: Path) -> Path:
    """Write a signed bundle of every wheel in ``wheelhouse``, which must hold ``kiosk`` at ``version``."""
    if not _VERSION.fullmatch(version):
        raise BundleRefused(f"not a version: {version!r}")
    wheels = sorted(wheelhouse.glob("*.whl"))
    if not any(w.name.startswith(f"kiosk-{version}-") for w in wheels):
        raise BundleRefused(f"{wheelhouse} holds no kiosk-{version}-*.whl")
    files = {f"wheels/{w.name}": hashlib.sha256(w.read_bytes()).hexdigest() for w in wheels}
    manifest = json.dumps({"format": FORMAT, "version": version, "requirement": f"kiosk=={version}",
                           "files": files}, indent=1, sort_keys=True).encode()
    signature = key.sign(manifest)
    partial = out.with_name(out.name + ".partial")
    with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
        _add(tar, MANIFEST, manifest)
        _add(tar, SIGNATURE, signature)
        for wheel in wheels:
            _add(tar, f"wheels/{wheel.name}", wheel.read_bytes())
    partial.replace(out)
    return out


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def open_bundle(path: Path, public_key: Ed25519PublicKey) -> Bundle:
    """Read and check the bundle at ``path``.

    Raises:
        BundleRefused: it cannot be read, its signature does not hold with ``public_key``, a file
            is missing, altered or unlisted, or its manifest is malformed. The message says which.
    """
    try:
        with path.open("rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
        members = _members(path)
    except (OSError, tarfile.TarError) as exc:
        raise BundleRefused(f"{path.name}: cannot read it as a bundle: {exc}") from exc
    manifest, signature = members.pop(MANIFEST, None), members.pop(SIGNATURE, None)
    if manifest is None or signature is None:
        raise BundleRefused(f"{path.name}: no {MANIFEST} or {SIGNATURE} in it")
    try:
        public_key.verify(signature, manifest)
    except InvalidSignature:
        raise BundleRefused(f"{path.name}: its signature does not hold with this kiosk's update key") from None
    try:
        data = json.loads(manifest)
        files: dict[str, str] = data["files"]
        version, requirement = str(data["version"]), str(data["requirement"])
        if data["format"] != FORMAT or not isinstance(files, dict) or requirement != f"kiosk=={version}":
            raise ValueError("unknown format")
    except (ValueError, KeyError, TypeError) as exc:
        raise BundleRefused(f"{path.name}: the manifest is not one this kiosk reads ({exc})") from exc
    if set(files) != set(members):
        raise BundleRefused(f"{path.name}: its files differ from its manifest "
                            f"(missing {sorted(set(files) - set(members))}, unlisted {sorted(set(members) - set(files))})")
    for name, content in members.items():
        if not _WHEEL.fullmatch(name) or hashlib.sha256(content).hexdigest() != files[name]:
            raise BundleRefused(f"{path.name}: {name} does not match its manifest")
    return Bundle(path=path, version=version, requirement=requirement, digest=digest,
                  wheels={name.removeprefix("wheels/"): content for name, content in members.items()})


def _members(path: Path) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    with tarfile.open(path, "r:") as tar:
        for member in tar:
            if not member.isfile() or member.size > MAX_MEMBER_BYTES or member.name in found:
                raise tarfile.TarError(f"unexpected member {member.name!r}")
            reader = tar.extractfile(member)
            assert reader is not None
            found[member.name] = reader.read()
    return found
