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
from collections.abc import Iterator
from contextlib import contextmanager
from copy import copy
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..dataset.checkpoint import Part
from ..dataset.errors import NoDataset, PartsMissing
from ..dataset.parts import utc
from ..dataset.reading import Window, data_dir, snapshot
from ..dataset.snapshot import Snapshot
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
        hosts, snaps = _sources(self.inner)
        if snaps is None:  # a snapshot of another kind: read here
            return self.inner.read(table, since, until, columns)
        spec = TABLES[table]
        names = columns or spec.arrow_schema.names
        start, end = (since.date() if since else None), (until.date() if until else None)
        files: list[str] = []
        for snap in snaps:  # partition pruning: only the window's days, only these hosts
            files += [str(f) for f in snap.dataset.parts(table, start, end, commit=snap.commit)]
            lost = snap.dataset.missing_parts(table, start, end, snap.state)
            if lost:
                warnings.warn(PartsMissing(snap.root, lost), stacklevel=2)
        schema = pa.schema([spec.arrow_schema.field(c) for c in names])
        if not files:
            return schema.empty_table()
        try:
            return self._compute(table, files, since, until, names, hosts)
        except (OSError, pa.ArrowException):  # a damaged part: the local read names it
            return self.inner.read(table, since, until, columns)

    def _compute(self, table, files, since, until, names, hosts) -> pa.Table:
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
        rows = self.client.compute(frame).result()
        schema = pa.schema([spec.arrow_schema.field(c) for c in wanted])
        arrow = pa.Table.from_pandas(rows, schema=schema, preserve_index=False)
        # without the pandas metadata from_pandas adds, to_pandas makes the local dtypes
        return arrow.select(names).replace_schema_metadata(spec.arrow_schema.metadata)


def _sources(snap: Snapshot) -> tuple[list[str] | None, list[Snapshot] | None]:
    """The hosts `snap` keeps (None: all) and the datasets' snapshots it reads (None: a
    kind of snapshot not known here)."""
    hosts = None
    if isinstance(snap, HostSnapshot):
        hosts, snap = snap.hosts, snap.inner
    if isinstance(snap, FleetSnapshot):
        return hosts, list(snap.hosts.values())
    return hosts, ([snap] if type(snap) is Snapshot else None)
