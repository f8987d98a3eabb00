"""`analyzer ingest --engine dask`: one Dask task per host's log series, each an ordinary
ingest into the host's own sub-dataset (`layout.host_dataset`).

Queue ids, pids and sessions are per host, so a host's series is the unit of correlation
and never crosses tasks. Each task is today's ingest (`ingest.run.ingest`) with its own
lock, parts and checkpoint: a worker killed mid-task leaves only what that ingest's crash
safety allows (nothing half-written), and the task the scheduler runs again resumes from
the host's last checkpoint, so the result is exact. Without a scheduler address, a
`distributed.LocalCluster` of worker processes on this machine runs the tasks."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import AnalyzerError
from ..ingest.summary import IngestSummary
from .cluster import NEEDS_DASK, cores, dask_client
from .layout import host_dataset, host_series


def ingest_host(host: str, paths: list[str], data: str, options: dict[str, Any]) -> IngestSummary:
    """The task: one host's series into its sub-dataset. Parsing stays in the worker's
    process (the cluster's processes are the parallelism, and Dask's are daemonic: they
    may not fork); `ANALYZER_WORKERS` set by the operator still wins."""
    from ..ingest.run import ingest

    with _env_default("ANALYZER_WORKERS", "0"):
        return ingest(paths, str(host_dataset(data, host)), host=host, **options)


@contextmanager
def _env_default(name: str, value: str):
    had = name in os.environ
    if not had:
        os.environ[name] = value
    try:
        yield
    finally:
        if not had:
            os.environ.pop(name, None)


def ingest_fleet(
    paths: Iterable[str],
    data: str | os.PathLike,
    scheduler: str | None = None,
    tz: str | None = None,
    year: int | None = None,
    local_ips: Iterable[str] = (),
    wait: float = 0.0,
    format: str | None = None,
    passwd: str | None = None,
    host: str | None = None,
    cursor_file: str | os.PathLike | None = None,
) -> IngestSummary:
    """Ingest every host's series on a Dask cluster (`scheduler`: its address, e.g.
    `tcp://10.0.0.5:8786`; default: a LocalCluster here) into `data`/hosts/<host>/;
    returns the hosts' summaries added up (warnings and sources named by host). When
    a host's task fails, the other hosts' tasks still run to their end, then the first
    failed host's error (in host order) is raised. `host`
    and `cursor_file` are refused: a series' host is its directory's name, stdin is not
    read."""
    started = time.monotonic()
    if host is not None or cursor_file is not None:
        raise AnalyzerError(
            "--engine dask takes the host of each series from its directory's name "
            "and reads no stdin: --host and --cursor-file are for the local engine"
        )
    if (Path(data) / "_state" / "state.json").exists():
        raise AnalyzerError(
            f"{data}: a dataset of the local engine; give --engine dask its own "
            "directory (it writes DATA/hosts/<host>/)"
        )
    series = host_series(list(paths))
    if not series:
        raise AnalyzerError("no log series to ingest")
    try:
        from distributed import wait as all_done
    except ImportError:
        raise AnalyzerError(NEEDS_DASK) from None
    options = {
        "tz": tz,
        "year": year,
        "local_ips": list(local_ips),
        "wait": wait,
        "format": format,
        "passwd": passwd,
    }
    data = str(data)
    with dask_client(scheduler, min(len(series), cores())) as client:
        futures = {
            host: client.submit(
                ingest_host, host, files, data, options, key=f"ingest-{host}", pure=False
            )
            for host, files in series.items()
        }
        all_done(list(futures.values()))  # every host's task ends, failed or not
        failed = [f for f in futures.values() if f.status == "error"]
        if failed:  # the others are ingested; the first host's error is the answer
            raise failed[0].exception()
        results = dict(zip(futures, client.gather(list(futures.values()))))
    summary = merge_summaries(results)
    summary.seconds = time.monotonic() - started
    return summary


def merge_summaries(results: dict[str, IngestSummary]) -> IngestSummary:
    """The hosts' summaries as one: counts added, warnings and PHP lines named by host."""
    total = IngestSummary()
    rows: Counter = Counter()
    beside: Counter = Counter()
    php_lines = []
    for host, s in sorted(results.items()):
        total.lines += s.lines
        total.events += s.events
        total.unparsed += s.unparsed
        total.beside_mta += s.beside_mta
        total.reinjected += s.reinjected
        rows.update(s.rows)
        beside.update(s.programs_beside_mta)
        total.sources.extend(s.sources)
        total.warnings.extend(f"{host}: {w}" for w in s.warnings)
        if s.php_line:
            php_lines.append(f"{host}: {s.php_line}")
    total.rows = dict(rows)
    total.programs_beside_mta = dict(beside)
    total.php_line = "; ".join(php_lines) or None
    return total
