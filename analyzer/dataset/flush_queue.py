"""The part writer's queue: flushes written by a few threads, each table's one at a time
and in the order queued (its parts' sequence numbers follow its rows), different tables
at once — a commit's last flushes, which the run waits for, use both cores."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

Job = TypeVar("Job")


class FlushQueue(Generic[Job]):
    """`work(table, job)` for each job put, on up to `threads` threads started as needed;
    `put` waits while `room` jobs wait. After a job raised, the jobs not yet started are
    dropped and `join` raises it."""

    def __init__(self, work: Callable[[str, Job], None], threads: int, room: int):
        self._work = work
        self._threads_wanted = threads
        self._room = room
        self._jobs: deque[tuple[str, Job]] = deque()
        self._busy: set[str] = set()  # tables being written
        self._cond = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._ending = False
        self.failed: BaseException | None = None

    @property
    def waiting(self) -> int:
        return len(self._jobs)

    def put(self, table: str, job: Job) -> None:
        with self._cond:
            while len(self._jobs) >= self._room:
                self._cond.wait()
            self._jobs.append((table, job))
            if len(self._threads) < self._threads_wanted:
                thread = threading.Thread(target=self._serve, name="part-writer")
                self._threads.append(thread)
                thread.start()
            self._cond.notify_all()

    def join(self) -> None:
        """Until every job is done (the threads then end); raises what a job raised."""
        with self._cond:
            self._ending = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join()
        self._threads.clear()
        self._ending = False
        failed, self.failed = self.failed, None
        if failed is not None:
            raise failed

    def _next(self) -> tuple[str, Job] | None:
        """The first job whose table no thread is writing (with the lock held)."""
        for i, (table, job) in enumerate(self._jobs):
            if table not in self._busy:
                del self._jobs[i]
                self._busy.add(table)
                return table, job
        return None

    def _serve(self) -> None:
        with self._cond:
            while True:
                found = self._next()
                if found is None:
                    # jobs left behind a busy table are taken by the thread writing it
                    if self._ending:
                        return
                    self._cond.wait()
                    continue
                self._cond.notify_all()  # room for `put`
                table, job = found
                self._cond.release()
                try:
                    if self.failed is None:
                        self._work(table, job)
                except BaseException as e:  # noqa: BLE001 -- raised by `join`
                    self.failed = self.failed or e
                finally:
                    self._cond.acquire()
                    self._busy.discard(table)
                    self._cond.notify_all()
