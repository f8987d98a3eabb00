"""The fleet tests' Dask cluster: a `distributed.LocalCluster` of 2 worker processes (one
thread each). Each test module makes it its module-scoped `cluster` fixture (a helper
module, not a conftest.py, which would shadow the suite's `conftest` that tests import)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import distributed


@contextmanager
def local_cluster() -> Iterator[str]:
    """The scheduler's address of a 2-worker LocalCluster, closed at the end."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as c:
        yield c.scheduler_address
