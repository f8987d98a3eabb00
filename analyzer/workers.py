"""Run a function over a stream of jobs in worker processes, results in job order, with a
bounded number of jobs in flight (so memory stays flat however long the stream is)."""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from typing import Callable, Iterable, Iterator


def default_workers() -> int:
    """`ANALYZER_WORKERS` (0 = parse in the main process), else one per core."""
    env = os.environ.get("ANALYZER_WORKERS")
    if env is not None:
        return max(0, int(env))
    return os.cpu_count() or 1


class OrderedPool:
    def __init__(self, workers: int):
        self.workers = workers
        self._pool = None

    def map(self, fn: Callable, jobs: Iterable, inflight: int | None = None) -> Iterator:
        if self.workers <= 0:
            yield from map(fn, jobs)
            return
        if self._pool is None:
            # fork: workers inherit the loaded pattern tables instead of re-importing them
            self._pool = multiprocessing.get_context("fork").Pool(self.workers)
        pending: deque = deque()
        limit = inflight or 2 * self.workers
        for job in jobs:
            pending.append(self._pool.apply_async(fn, (job,)))
            if len(pending) >= limit:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool = None
