"""Making what was written survive a crash: a directory's entries (new names, renames)
are durable once the directory itself is fsynced; a small file is replaced whole
(`replace_text`: after a crash it is the old content or the new, never half)."""

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


def replace_text(path: Path, text: str) -> None:
    """Replace `path` by `text` atomically and durably: a temporary beside it, fsynced,
    renamed over it, then the directory fsynced."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
    fsync_dir(path.parent)
