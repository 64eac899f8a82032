"""``kiosk bundle`` (on a build machine: keys, making and checking signed update bundles) and
``kiosk update`` (on the appliance, at boot: install one, confirm or roll back)."""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path

from kiosk.errors import KioskError

ROOT = Path("/opt/kiosk")
PUBLIC_KEY = Path("/etc/kiosk/update.pub")
SEARCH = (Path("/boot/firmware"), Path("/media/update"))


def add_arguments(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``bundle`` and ``update`` commands and their options (called by ``kiosk.cli``)."""
    text = "signed update bundles, on a build machine: keygen, make, verify"
    bundle = sub.add_parser("bundle", help=text, description=text)
    actions = bundle.add_subparsers(dest="bundle_action", metavar="ACTION", required=True)
    text = "write a new ed25519 signing key (keep it off the kiosks) and its public half (for the image)"
    keygen = actions.add_parser("keygen", help=text, description=text)
    keygen.add_argument("--key", type=Path, required=True, metavar="FILE", help="the private key to write (PEM)")
    keygen.add_argument("--public", type=Path, required=True, metavar="FILE",
                        help="the public key to write; the image installs it as /etc/kiosk/update.pub")
    text = "pack every wheel of a folder (the kiosk's and its dependencies', for the Pi) into a signed bundle"
    make = actions.add_parser("make", help=text, description=text)
    make.add_argument("--wheels", type=Path, required=True, metavar="DIR", help="folder holding the wheels")
    make.add_argument("--version", required=True, help="the kiosk version the folder holds, e.g. 0.2.0")
    make.add_argument("--key", type=Path, required=True, metavar="FILE", help="the private signing key (PEM)")
    make.add_argument("--out", type=Path, required=True, metavar="FILE",
                      help="the bundle to write; name it kiosk-update-VERSION.tar for kiosk update to find it")
    text = "check a bundle's signature and digests with a public key, as the kiosk will"
    verify = actions.add_parser("verify", help=text, description=text)
    verify.add_argument("bundle", type=Path, help="the bundle file")
    verify.add_argument("--public", type=Path, default=PUBLIC_KEY, metavar="FILE",
                        help=f"the public key (default: {PUBLIC_KEY})")

    text = ("at boot, as root: settle the last update (confirm it, or roll it back if it never reached READY), "
            "then install a signed bundle found on the boot partition or a USB stick")
    update = sub.add_parser("update", help=text, description=text)
    update.add_argument("--root", type=Path, default=ROOT, metavar="DIR",
                        help=f"where the kiosk's environments live (default: {ROOT})")
    update.add_argument("--public", type=Path, default=PUBLIC_KEY, metavar="FILE",
                        help=f"the public key bundles must be signed for (default: {PUBLIC_KEY})")
    update.add_argument("--search", type=Path, action="append", metavar="DIR",
                        help="a folder to look for kiosk-update*.tar in (repeatable; default: "
                             + ", ".join(str(p) for p in SEARCH) + ")")
    update.add_argument("--deadline-s", type=float, default=300.0, metavar="SECONDS",
                        help="how long a new version has to reach READY (default: 300)")
    update.add_argument("--settle", action="store_true",
                        help="only confirm or roll back a pending update whose deadline passed (the timer's run)")
    update.add_argument("--restart-unit", default="", metavar="UNIT",
                        help="with --settle: restart this systemd unit after a rollback, e.g. kiosk.service")


def bundle(args: argparse.Namespace) -> int:
    from kiosk.appliance import bundle as b

    if args.bundle_action == "keygen":
        if args.key.exists():
            raise KioskError(f"{args.key} exists already; a new key would orphan every kiosk that trusts the old one")
        private, public = b.new_key()
        fd = os.open(args.key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(private)
        args.public.write_bytes(public)
        print(f"signing key: {args.key} (keep it secret, off the kiosks); public key: {args.public}")
        return 0
    if args.bundle_action == "make":
        out = b.make_bundle(args.wheels, args.version, b.load_private_key(args.key), args.out)
        print(f"bundle: {out}")
        return 0
    found = b.open_bundle(args.bundle, b.load_public_key(args.public))
    print(f"{args.bundle.name}: signature and digests hold; version {found.version}, {len(found.wheels)} wheels")
    return 0


def update(args: argparse.Namespace) -> int:
    from kiosk.appliance.bundle import load_public_key
    from kiosk.appliance.update import Updater
    from kiosk.commands.common import state_dir

    updater = Updater(root=args.root, state_dir=state_dir(args), public_key=load_public_key(args.public),
                      deadline_s=args.deadline_s)
    settled = updater.settle(at_boot=not args.settle)
    if settled:
        print(settled)
    if args.settle:
        if settled and settled.startswith("rolled back") and args.restart_unit:
            subprocess.run(["systemctl", "restart", args.restart_unit], check=False, timeout=120)
        return 0
    installed = updater.install_from(args.search or SEARCH)
    print(installed or "no update bundle to install")
    return 0
