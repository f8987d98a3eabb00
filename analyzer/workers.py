"""Run a function over a stream of jobs in worker processes, results in job order, with a
bounded number of jobs in flight (so memory stays flat however long the stream is).

Each worker has its own pair of pipes and closes the parent's ends, so when the parent
dies — even by `kill -9` — the worker reads end-of-file and exits instead of lingering
(a lingering child would also keep holding whatever the parent had open). Start the pool
before opening anything a child must not inherit, such as the dataset lock.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from typing import Callable, Iterable, Iterator


def default_workers() -> int:
    """`ANALYZER_WORKERS` (0 = work in the main process), else one per core."""
    env = os.environ.get("ANALYZER_WORKERS")
    if env is not None:
        return max(0, int(env))
    return os.cpu_count() or 1


class WorkerError(RuntimeError):
    pass


def _serve(fn: Callable, jobs, results, parent_ends) -> None:
    for end in parent_ends:
        end.close()
    while True:
        try:
            job = jobs.recv()
        except EOFError:  # the parent is gone
            return
        if job is None:
            return
        try:
            results.send((True, fn(job)))
        except BaseException:  # report, don't die silently: the parent raises it
            results.send((False, traceback.format_exc()))


class OrderedPool:
    def __init__(self, fn: Callable, workers: int):
        self.fn = fn
        self.workers = []
        ctx = multiprocessing.get_context("fork")  # children inherit the compiled patterns
        for _ in range(workers):
            jobs_r, jobs_w = ctx.Pipe(duplex=False)
            results_r, results_w = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_serve, args=(fn, jobs_r, results_w, (jobs_w, results_r)),
                               daemon=True)
            proc.start()
            jobs_r.close()
            results_w.close()
            self.workers.append((proc, jobs_w, results_r))

    def map(self, jobs: Iterable) -> Iterator:
        """Job k goes to worker k mod n. A worker gets its next job only once its result
        was taken (jobs and results are large: a worker blocked on sending a result must
        never wait for a parent blocked on sending it a job), and it gets it before that
        result is processed, so workers and parent run at the same time."""
        if not self.workers:
            yield from map(self.fn, jobs)
            return
        n = len(self.workers)
        jobs = iter(jobs)
        sent = 0
        for job in jobs:
            self.workers[sent % n][1].send(job)
            sent += 1
            if sent == n:
                break
        received = 0
        while received < sent:
            i = received % n
            result = self._receive(i)
            received += 1
            job = next(jobs, None)
            if job is not None:
                self.workers[i][1].send(job)
                sent += 1
            yield result

    def _receive(self, i: int):
        try:
            ok, value = self.workers[i][2].recv()
        except EOFError:
            raise WorkerError("a parse worker died") from None
        if not ok:
            raise WorkerError(f"a parse worker failed:\n{value}")
        return value

    def close(self) -> None:
        for proc, jobs_w, results_r in self.workers:
            try:
                jobs_w.send(None)
            except OSError:
                pass
            jobs_w.close()
            results_r.close()
        for proc, _, _ in self.workers:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
        self.workers = []

    def __enter__(self) -> "OrderedPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
