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
import signal
import traceback
from collections.abc import Callable, Iterable, Iterator

from ..envvars import whole_number


def default_workers() -> int:
    """`ANALYZER_WORKERS` (0 = work in the main process), else one per core; never more
    than the cores this process may run on (more only adds memory and switching)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return min(whole_number("ANALYZER_WORKERS", cores), cores)


class WorkerError(RuntimeError):
    pass


def _serve(fn: Callable, jobs, results, parent_ends) -> None:
    # Ctrl-C reaches the whole process group: the parent alone handles it; closing its
    # pipe ends is what stops the workers (no traceback from each of them)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for end in parent_ends:
        end.close()
    try:
        while True:
            try:
                job = jobs.recv()
            except EOFError:  # the parent is gone
                return
            if job is None:
                return
            try:
                result = (True, fn(job))
            except Exception:  # report, don't die silently: the parent raises it
                result = (False, traceback.format_exc())
            results.send(result)
    except OSError:  # BrokenPipeError, ...: the parent stopped listening
        return


class OrderedPool:
    def __init__(self, fn: Callable, workers: int):
        self.fn = fn
        self.workers = []
        ctx = multiprocessing.get_context("fork")  # children inherit the compiled patterns
        for _ in range(workers):
            jobs_r, jobs_w = ctx.Pipe(duplex=False)
            results_r, results_w = ctx.Pipe(duplex=False)
            proc = ctx.Process(
                target=_serve, args=(fn, jobs_r, results_w, (jobs_w, results_r)), daemon=True
            )
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
        for _proc, jobs_w, results_r in self.workers:
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

    def __enter__(self) -> OrderedPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
