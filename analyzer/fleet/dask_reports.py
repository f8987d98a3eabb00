"""Reports on Dask (`--engine dask`, `engine="dask"`): every read of a report goes to the
cluster as a `dask.dataframe` over the snapshot's part files, and the report's own code
(`analyzer.reports`, `analyzer.nightly`) shapes the result as it does on the local engine,
so both engines give the same answer from one implementation.

The seam is the snapshot: `DaskSnapshot` is a `Snapshot` whose `read` lists the part
files of the snapshot's commit (of a fleet: of the chosen hosts' sub-datasets only) in
the partition days the window touches, and has the workers read them with
`dask.dataframe.read_parquet`, keeping only the window's rows (pushed down to row-group
statistics), the chosen hosts' rows and the columns asked for. The correlator's open rows
(a few thousand at most, in `open.sqlite`), the reports' own row filters (`Window.read`'s
`where`: one may look at the whole table, as suspicious-scripts' history reach does) and
the grouping run here, as on the local engine. Rows come back in the local engine's order
(parts in host, day and commit order), which the reports' stable sorts rely on."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from copy import copy
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..dataset.checkpoint import Part
from ..dataset.errors import NoDataset, PartsMissing
from ..dataset.parts import utc
from ..dataset.reading import Window, data_dir, snapshot
from ..dataset.snapshot import Reduction, Snapshot
from ..dataset.store import Dataset
from ..schema import TABLES
from .cluster import check_engine, cores, dask_client
from .hosts import HostSnapshot, window_of
from .reading import FleetSnapshot


@contextmanager
def engine_of(engine: str = "local", scheduler: str | None = None) -> Iterator:
    """Yields `on(x)`: a report's `Window`, or what it reads (a dataset, a fleet's
    directory, a snapshot), read through the engine: unchanged for `local`; for `dask`,
    read on the cluster at `scheduler` (default: a LocalCluster here, closed at the end)."""
    check_engine(engine, scheduler)
    if engine == "local":
        yield lambda x: x
        return
    with dask_client(scheduler, cores()) as client:
        yield lambda x: on_dask(x, client)


@contextmanager
def window_on(data, since, until, tz, hosts, engine: str, scheduler: str | None) -> Iterator:
    """A report's window of `data` (`fleet.hosts.window_of`) read through `engine`: the
    window is taken (and a missing dataset refused) before a cluster starts."""
    check_engine(engine, scheduler)
    win = window_of(data, since, until, tz, hosts)
    with engine_of(engine, scheduler) as on:
        yield on(win)


def on_dask(x, client) -> Any:
    """`x` (a `Window`, or anything `dataset.reading.snapshot` opens) read on `client`."""
    if isinstance(x, Window):  # the same window, its snapshot read on the cluster
        win = copy(x)
        win.snap = DaskSnapshot(x.snap, client)
        return win
    if not isinstance(x, Snapshot) and not Dataset(data_dir(x)).exists():
        raise NoDataset(data_dir(x), "or pass --data / set ANALYZER_DATA")
    return DaskSnapshot(snapshot(x), client)


class DaskSnapshot(Snapshot):
    """`inner` (a dataset's, a fleet's or some hosts' snapshot) with its parts read by
    the cluster of `client`; its open rows and part lists are `inner`'s."""

    def __init__(self, inner: Snapshot, client):
        super().__init__(inner.dataset, inner.state)
        self.inner = inner  # what `dataset.status.coverage` looks through
        self.client = client

    def parts(self, table: str, start: date | None = None, end: date | None = None) -> list[Path]:
        return self.inner.parts(table, start, end)

    def open_entries(
        self, part: Part, field: str | None = None, lo: int | None = None, hi: int | None = None
    ) -> Iterator:
        return self.inner.open_entries(part, field, lo, hi)

    def open_count(self, part: Part) -> int:
        return self.inner.open_count(part)

    def read(
        self,
        table: str,
        since: datetime | None = None,
        until: datetime | None = None,
        columns: list[str] | None = None,
    ) -> pa.Table:
        """Rows of `table` with their time in [since, until) as Arrow, read by the
        workers (the open rows are not among them, as for every snapshot's `read`)."""
        return self.select(table, since, until, columns)

    def select(
        self,
        table: str,
        since: datetime | None = None,
        until: datetime | None = None,
        columns: list[str] | None = None,
        where: Callable[[pa.Table], Any] | None = None,
    ) -> pa.Table:
        """`read`'s rows that `where` keeps, `where` evaluated by the workers part by
        part: only the matching rows come to the client, in the local engine's order."""
        names = columns or TABLES[table].arrow_schema.names
        pieces = self._on_parts(table, since, until, names, partial(_kept, where=where))
        if pieces is None:  # a snapshot of another kind, or a damaged part: read here
            return self.inner.select(table, since, until, columns, where)
        if not pieces:
            return _schema(table, names).empty_table()
        return pa.concat_tables(self._gather(pieces))

    def reduce(
        self,
        table: str,
        reduction: Reduction,
        since: datetime | None = None,
        until: datetime | None = None,
        columns: list[str] | None = None,
    ) -> Any:
        """`reduction` of `read`'s rows: a chunk per part on the workers, combined on
        the workers `FAN_IN` at a time, so the client receives one small aggregate."""
        names = columns or TABLES[table].arrow_schema.names
        pieces = self._on_parts(table, since, until, names, reduction.chunk)
        if pieces is None:
            return self.inner.reduce(table, reduction, since, until, columns)
        if not pieces:
            return reduction.combine([reduction.chunk(_schema(table, names).empty_table())])
        return self._gather([tree_combine(pieces, reduction.combine)])[0]

    def _gather(self, pieces: list) -> list:
        """The results of `pieces` (dask delayed objects), computed on the cluster: the
        one place where results come to the client (`bench_fleet.py` weighs them)."""
        return self.client.gather(self.client.compute(pieces))

    def _on_parts(self, table, since, until, names, fn) -> list | None:
        """`fn(arrow)` of each part's rows of `table` in [since, until) (the chosen
        hosts', columns `names`), as delayed objects for the workers; [] when no part
        is in the window; None when the workers cannot read this snapshot or a part."""
        hosts, snaps = _sources(self.inner)
        if snaps is None:
            return None
        return part_tasks(snaps, hosts, table, since, until, names, fn)

    def top_senders(self, win: Window, by: str, scope: str, hosted_domains) -> Any:
        """top-senders' table joined per host on the workers (`dask_senders`); None
        when this snapshot cannot be read there (the report then reads it here)."""
        from .dask_senders import top_senders_on

        return top_senders_on(self, win, by, scope, hosted_domains)


def part_tasks(snaps, hosts, table, since, until, names, fn) -> list | None:
    """`fn(arrow)` of each part's rows of `table` in [since, until) of the datasets'
    snapshots `snaps` (of `hosts` only, None: all; columns `names`), as delayed objects
    for the workers; [] when no part is in the window; None when a part is damaged."""
    start, end = (since.date() if since else None), (until.date() if until else None)
    files: list[str] = []
    for snap in snaps:  # partition pruning: only the window's days, only these hosts
        files += [str(f) for f in snap.dataset.parts(table, start, end, commit=snap.commit)]
        lost = snap.dataset.missing_parts(table, start, end, snap.state)
        if lost:
            warnings.warn(PartsMissing(snap.root, lost), stacklevel=4)
    if not files:
        return []
    try:
        frames = _frames(table, files, since, until, names, hosts)
    except (OSError, pa.ArrowException):  # a damaged part: the local read names it
        return None
    from dask import delayed

    return [delayed(_apply)(frame, TABLES[table].arrow_schema, names, fn) for frame in frames]


FAN_IN = 8  # chunks one combine task merges


def tree_combine(pieces: list, combine: Callable[[list], Any]) -> Any:
    """One delayed result of `combine` over `pieces`, merged `FAN_IN` at a time on the
    workers (a tree: no task holds more than `FAN_IN` chunks)."""
    from dask import delayed

    level = [delayed(combine)(pieces[i : i + FAN_IN]) for i in range(0, len(pieces), FAN_IN)]
    while len(level) > 1:
        level = [delayed(combine)(level[i : i + FAN_IN]) for i in range(0, len(level), FAN_IN)]
    return level[0]


def _frames(table, files, since, until, names, hosts) -> list:
    """The delayed partitions of `dask.dataframe.read_parquet` over `files`, with the
    window's and the hosts' filters pushed down to the row groups."""
    import dask.dataframe as dd

    spec = TABLES[table]
    tcol = spec.time_column
    wanted = names if hosts is None or "host" in names else [*names, "host"]
    filters: list[tuple[str, str, Any]] = []
    if since is not None:
        filters.append((tcol, ">=", utc(since)))
    if until is not None:
        filters.append((tcol, "<", utc(until)))
    if hosts is not None:
        filters.append(("host", "in", list(hosts)))
    frame = dd.read_parquet(
        files,
        columns=wanted,
        filters=filters or None,
        dtype_backend="pyarrow",  # Arrow types kept: the rows come back exactly
        dataset={"schema": spec.arrow_schema},  # an older part lacking a column: nulls
    )
    return list(frame.to_delayed())


def _apply(rows, schema: pa.Schema, names: list[str], fn) -> Any:
    """On a worker: one partition's rows (pandas, Arrow dtypes) as the Arrow table a
    local read gives (columns `names`, the table's metadata, so `to_pandas` makes the
    local dtypes), then `fn` of it."""
    typed = pa.schema([schema.field(c) for c in rows.columns])
    arrow = pa.Table.from_pandas(rows, schema=typed, preserve_index=False)
    return fn(arrow.select(names).replace_schema_metadata(schema.metadata))


def _kept(arrow: pa.Table, where=None) -> pa.Table:
    return arrow if where is None else arrow.filter(where(arrow))


def _schema(table: str, names: list[str]) -> pa.Schema:
    spec = TABLES[table]
    fields = [spec.arrow_schema.field(c) for c in names]
    return pa.schema(fields, metadata=spec.arrow_schema.metadata)


def _sources(snap: Snapshot) -> tuple[list[str] | None, list[Snapshot] | None]:
    """The hosts `snap` keeps (None: all) and the datasets' snapshots it reads (None: a
    kind of snapshot not known here)."""
    hosts = None
    if isinstance(snap, HostSnapshot):
        hosts, snap = snap.hosts, snap.inner
    if isinstance(snap, FleetSnapshot):
        return hosts, list(snap.hosts.values())
    return hosts, ([snap] if type(snap) is Snapshot else None)
