"""Making what was written survive a crash: a directory's entries (new names, renames)
are durable once the directory itself is fsynced."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def fsync_dir(d: Path) -> None:
    try:
        fd = os.open(d, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dirs(dirs: Iterable[Path]) -> None:
    for d in dirs:
        fsync_dir(d)
