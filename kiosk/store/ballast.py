"""A reserve of disk space beside the journal, given up the moment the disk is full.

The journal must be able to record a payment even when something else (a log storm, a stuck update)
has filled the card. At start the kiosk keeps a file of ``BALLAST_BYTES`` in its state directory,
made only while the disk has room to spare; when a journal write fails for want of space, the ballast
is deleted and the write tried again, so the payment lands. Once space returns the ballast is laid
again. It holds zeros and nothing else.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

BALLAST_BYTES = 8 * 1024 * 1024
"""Several hundred paid sales' worth of journal writes."""
SPARE_FACTOR = 4
"""The ballast is laid only while at least this many times its size would stay free."""


class Ballast:
    def __init__(self, path: Path, size: int | None = None) -> None:
        self.path = path
        self.size = BALLAST_BYTES if size is None else size

    @property
    def present(self) -> bool:
        return self.path.exists()

    def lay(self) -> bool:
        """Make the ballast if it is missing and the disk has room to spare; True when it is there."""
        if self.present:
            return True
        try:
            if shutil.disk_usage(self.path.parent).free < self.size * SPARE_FACTOR:
                return False
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                try:
                    os.posix_fallocate(fd, 0, self.size)  # the blocks are really held, not a sparse file
                except OSError:  # a file system without fallocate: write the zeros
                    chunk = bytes(1 << 16)
                    for _ in range(-(-self.size // len(chunk))):
                        os.write(fd, chunk)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            log.warning("could not lay the disk reserve %s: %s", self.path, exc)
            self.path.unlink(missing_ok=True)
            return False
        return True

    def release(self) -> bool:
        """Give the space back; True when there was a ballast to give."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            log.error("could not give up the disk reserve %s: %s", self.path, exc)
            return False
        log.warning("the disk is full: gave up the %d MiB reserve so the journal can be written",
                    self.size // (1024 * 1024))
        return True
