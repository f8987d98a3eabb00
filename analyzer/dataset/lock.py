"""One writing run at a time: an exclusive flock on DATA/.lock, naming its holder's pid."""

from __future__ import annotations

import errno
import fcntl
import os
import time
from pathlib import Path

from .errors import LockHeld


class Lock:
    """An exclusive flock on DATA/.lock: one writing run at a time."""

    def __init__(self, path: Path, wait: float):
        self.path = path
        self.wait = wait
        self.fd: int | None = None

    def __enter__(self) -> Lock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
                    os.close(fd)
                    raise LockHeld(
                        f"{self.path.parent}: another ingest (pid {holder}) is writing; "
                        "try again later or pass --wait SECONDS"
                    ) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self.fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing releases the flock
            self.fd = None
