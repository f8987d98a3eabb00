"""Reading the dataset for a report: the directory, one snapshot, one [since, until)
window, and the rows the correlator's checkpoint still holds open. `analyzer.api` and the
nightly report load every table through here; the report logic itself is in
`analyzer.reports`."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .carried import CARRIED

if TYPE_CHECKING:
    from .snapshot import Snapshot

DEFAULT_DATA = "~/.local/share/analyzer"


def data_dir(data=None) -> Path:
    """`data` (a directory or a `snapshot`), else $ANALYZER_DATA, else
    ~/.local/share/analyzer."""
    from .store import Snapshot

    if isinstance(data, Snapshot):
        return data.root
    chosen = str(data or os.environ.get("ANALYZER_DATA") or DEFAULT_DATA)
    return Path(local_dir(chosen)).expanduser()


def local_dir(data: str) -> str:
    """A dataset's directory: a path, or a `file://` URL as its path. Any other URL is
    refused: a dataset's crash safety needs atomic renames, fsync and a lock, which an
    object store does not give (docs/scale.md)."""
    import re

    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", data):
        return data
    if data[:7].lower() == "file://":
        return data[7:] or "/"
    from ..errors import AnalyzerError

    raise AnalyzerError(
        f"{data}: a dataset must be a local directory or a file:// URL (it needs atomic "
        "renames, fsync and a lock, which an object store does not give; see docs/scale.md)"
    )


def snapshot(data: str | os.PathLike | Snapshot | None = None):
    """The dataset as its last ingest committed it. Every function here reads one
    snapshot per call; pass a snapshot as `data` to several calls to read them all from
    the same commit while ingests go on:

        >>> snap = api.snapshot("/var/lib/analyzer")
        >>> api.table("messages", data=snap), api.table("deliveries", data=snap)
    """
    from .store import Dataset, Snapshot

    if isinstance(data, Snapshot):
        return data
    return Dataset(data_dir(data)).snapshot()


def table(
    name: str,
    data: str | os.PathLike | Snapshot | None = None,
    since=None,
    until=None,
    tz: str | None = None,
    columns: list[str] | None = None,
    include_open: bool = True,
):
    """One table of the dataset as a DataFrame, rows with their time in [since, until).

    `since`/`until`: `30m`, `6h`, `1d`, `2w`, `today`, `yesterday`, ISO dates/times (naive
    ones in `tz`), or datetimes. Rows the last ingest still holds in its checkpoint are
    included unless `include_open` is off: open messages (queued, not yet removed;
    `complete` = False) and PHP mail.log entries still waiting for their submission.
    """
    return to_pandas(arrow_table(name, data, since, until, tz, columns, include_open))


def arrow_table(
    name: str,
    data: str | os.PathLike | Snapshot | None = None,
    since=None,
    until=None,
    tz: str | None = None,
    columns: list[str] | None = None,
    include_open: bool = True,
):
    """`table` as an Arrow table (no pandas: what the fast report paths read)."""
    from .timewindow import window

    lo, hi = window(since, until, zone(tz))
    snap = snapshot(data)
    arrow = snap.read(name, lo, hi, columns)
    if name in CARRIED and include_open:
        arrow = with_carried(snap, name, arrow, lo, hi, columns)
    return arrow


def to_pandas(arrow):
    """Arrow -> pandas with nullable integer and boolean columns (a uid stays an int)."""
    import pandas as pd
    import pyarrow as pa

    mapping = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}
    return arrow.to_pandas(types_mapper=mapping.get)


CARRIED_CHUNK = 5_000  # entries turned into Arrow at a time: memory stays with the result


def with_carried(snap, name, arrow, lo, hi, columns):
    """`arrow` plus the rows of `name` that the snapshot's commit still holds open, in
    the window (the same commit as the parts `arrow` was read from)."""
    from itertools import islice

    import pyarrow as pa

    from ..schema import TABLES

    spec = TABLES[name]
    part, rows_of = CARRIED[name]
    lo_us = _micros(lo) if lo else None
    hi_us = _micros(hi) if hi else None
    tcol = spec.time_column  # an entry's time field has the row's time column's name
    entries = snap.open_entries(part, tcol, lo_us, hi_us)
    schema = pa.schema([spec.arrow_schema.field(c) for c in arrow.schema.names])
    tables = [arrow]
    while chunk := list(islice(entries, CARRIED_CHUNK)):
        rows = [
            r
            for r in rows_of(chunk)
            if (lo_us is None or r[tcol] >= lo_us) and (hi_us is None or r[tcol] < hi_us)
        ]
        if rows:  # only the columns asked for are converted
            tables.append(pa.Table.from_pylist(rows, schema=schema))
    return pa.concat_tables(tables) if len(tables) > 1 else arrow


def zone(tz):
    from ..clock import parse_zone

    return parse_zone(tz)


def _micros(dt: datetime) -> int:
    from ..clock import to_micros

    return to_micros(dt)


class Window:
    """The snapshot and the [since, until) window one report reads, taken once."""

    def __init__(self, data, since, until, tz):
        from .errors import NoDataset
        from .store import Dataset, Snapshot
        from .timewindow import window

        self.root = data_dir(data)
        # a snapshot was taken of a committed dataset (or of a fleet's host datasets)
        if not isinstance(data, Snapshot) and not Dataset(self.root).exists():
            raise NoDataset(self.root, "or pass --data / set ANALYZER_DATA")
        self.lo, self.hi = window(since, until, zone(tz))
        self.snap = snapshot(data)

    def read(self, name: str, columns: list[str] | None, since=..., until=..., where=None):
        """Rows of `name` in the window (or in [since, until) when given), maybe none.
        `where(arrow_table) -> boolean mask` keeps only matching rows before the
        conversion to pandas (cheap on a big history; a cluster applies it on its
        workers, so it must judge each row alone: `Snapshot.select`)."""
        return to_pandas(self.arrow(name, columns, since, until, where))

    def arrow(self, name: str, columns: list[str] | None, since=..., until=..., where=None):
        """`read` as an Arrow table, open rows included (no pandas)."""
        import pyarrow as pa

        lo = self.lo if since is ... else since
        hi = self.hi if until is ... else until
        if where is None:
            return arrow_table(name, data=self.snap, since=lo, until=hi, columns=columns)
        arrow = self.snap.select(name, lo, hi, columns, where)  # on a cluster: its workers
        if name in CARRIED:
            carried = self._carried(name, lo, hi, columns)
            if len(carried):
                arrow = pa.concat_tables([arrow, carried.filter(where(carried))])
        return arrow

    def reduce(self, name: str, columns: list[str] | None, reduction, since=..., until=...):
        """`reduction` (`dataset.snapshot.Reduction`) of the rows `read` would give
        (the open rows included): a cluster reduces the parts on its workers."""
        lo = self.lo if since is ... else since
        hi = self.hi if until is ... else until
        done = self.snap.reduce(name, reduction, lo, hi, columns)
        if name in CARRIED:
            carried = self._carried(name, lo, hi, columns)
            if len(carried):
                done = reduction.combine([done, reduction.chunk(carried)])
        return done

    def _carried(self, name: str, lo, hi, columns: list[str] | None):
        """The open rows of `name` in [lo, hi) as Arrow (`with_carried`)."""
        from ..schema import TABLES

        empty = TABLES[name].arrow_schema.empty_table()
        empty = empty.select(columns) if columns is not None else empty
        return with_carried(self.snap, name, empty, lo, hi, columns)

    def deliveries_of(self, messages, columns: list[str], where=None):
        """Deliveries that can belong to `messages`: from the window start to the last
        line of the last message (a deferred message is delivered after the window);
        `where` as for `read`."""
        if messages.empty:
            from ..schema import TABLES

            empty = TABLES["deliveries"].arrow_schema.empty_table()
            return to_pandas(empty.select(columns) if columns else empty)
        from datetime import timedelta

        last = messages["last_seen"].max()
        last = last.to_pydatetime() + timedelta(microseconds=1)
        return self.read("deliveries", columns, since=self.lo, until=last, where=where)

    @staticmethod
    def describe(lo, hi) -> str:
        def fmt(dt):
            return dt.strftime("%Y-%m-%d %H:%M:%S UTC")

        if lo and hi:
            return f"between {fmt(lo)} and {fmt(hi)}"
        if lo:
            return f"since {fmt(lo)}"
        if hi:
            return f"before {fmt(hi)}"
        return "at all"
