"""The Dask cluster a command runs on: the scheduler at an address (`--scheduler
tcp://HOST:8786`), or, without one, a `distributed.LocalCluster` of worker processes on
this machine that lives as long as the command. `ingest --engine dask` and the reports'
`--engine dask` both connect through here."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import AnalyzerError

NEEDS_DASK = "--engine dask needs Dask: pip install 'analyzer[fleet]' (dask[distributed])"


ENGINES = ("local", "dask")


def check_engine(engine: str, scheduler: str | None) -> None:
    if engine not in ENGINES:
        raise AnalyzerError(f"engine must be local or dask, not {engine!r}")
    if engine == "local" and scheduler is not None:
        raise AnalyzerError("--scheduler is for --engine dask")


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0))


@contextmanager
def dask_client(scheduler: str | None, workers: int) -> Iterator[Any]:
    """A `distributed.Client` of the scheduler at `scheduler`, or of a LocalCluster of
    `workers` processes (one thread each) started here and closed at the end."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise AnalyzerError(NEEDS_DASK) from None
    cluster = None
    if scheduler is None:
        import logging

        cluster = LocalCluster(
            n_workers=max(1, workers),
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.CRITICAL,  # a task's error is raised on the client
        )
    try:
        with Client(cluster if cluster is not None else scheduler) as client:
            yield client
    finally:
        if cluster is not None:
            cluster.close()
