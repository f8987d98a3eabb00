"""Which parts a reader may still hold: every snapshot pins the dataset with a shared flock
on DATA/_state/readers, taken before it reads the checkpoint and kept while the snapshot
lives. A compaction deletes the parts it superseded only while it holds the exclusive
lock (`no_readers`), so never under a reader that took its checkpoint before the swap;
when a reader holds a pin, the deletion waits for a later compaction.

A reader that cannot open the file (a dataset not written yet, no access) reads unpinned:
it then relies on the parts of its checkpoint staying (as before compaction existed).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

FILE = "readers"


class Pin:
    """A reader's shared flock on DATA/_state/readers, released when it is dropped."""

    def __init__(self, state_dir: Path):
        self.fd: int | None = None
        path = state_dir / FILE
        for flags in (os.O_RDWR | os.O_CREAT, os.O_RDONLY):
            try:
                fd = os.open(path, flags, 0o644)
            except OSError:
                continue
            # blocks only while a compaction deletes superseded parts (a few unlinks)
            fcntl.flock(fd, fcntl.LOCK_SH)
            self.fd = fd
            return

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing releases the flock
            self.fd = None

    def __del__(self) -> None:
        self.release()


@contextmanager
def no_readers(state_dir: Path) -> Iterator[bool]:
    """True (and no new reader can pin meanwhile) when no snapshot holds a pin; else
    False at once: a writer never waits for readers."""
    state_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(state_dir / FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)
