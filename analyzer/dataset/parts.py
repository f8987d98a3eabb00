"""The committed part files of a dataset: their names, which a commit covers (by table and
partition day), those the checkpoint lists that are gone or unreadable, and reading a
table's rows in a time window from them.

    DATA/<table>/date=YYYY-MM-DD/part-<commit>-<seq>.parquet   Hive-partitioned by UTC date
"""

from __future__ import annotations

import json
import re
import warnings
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from ..schema import TABLES
from .errors import PartsMissing

if TYPE_CHECKING:
    import pyarrow as pa

# pyarrow is imported where parts are read: an ingest with nothing new to read (its
# recovery and checkpoint use this module) starts without it

PART = re.compile(r"^part-(\d{8})-(\d{5})\.parquet$")


class CommittedParts:
    """Part files of the dataset at `root` (a base of `store.Dataset`)."""

    root: Path

    if TYPE_CHECKING:

        def state(self) -> dict: ...

    def parts(
        self,
        table: str,
        start: date | None = None,
        end: date | None = None,
        commit: int | None = None,
        state: dict | None = None,
    ) -> list[Path]:
        """Committed part files of a table whose partition date is within [start, end]:
        those of the checkpoint `state` (default: the one on disk, or up to `commit`),
        without the parts a compaction merged (`superseded`: it lists their merge)."""
        if commit is None:
            state = self.state() if state is None else state
            commit = state["commit"]
        gone = (state or {}).get("superseded") or {}
        return [
            f
            for f in self._table_parts(table, start, end)
            if int(f.name[5:13]) <= commit and f.relative_to(self.root).as_posix() not in gone
        ]

    def _table_parts(self, table: str, start: date | None = None, end: date | None = None):
        base = self.root / table
        if not base.is_dir():
            return
        for d in sorted(base.iterdir()):
            day = partition_day(d.name)
            if day is None or (start and day < start) or (end and day > end):
                continue
            for f in sorted(d.iterdir()):
                if PART.match(f.name):
                    yield f

    # --- parts the checkpoint lists but that are gone or unreadable --------------------
    # The checkpoint lists every committed part with its row count (`parts`), so a part
    # deleted or damaged by hand is reported with the rows it held instead of silently
    # undercounting. Datasets from before the list get it at their next ingest.
    def missing_parts(
        self,
        table: str | None = None,
        start: date | None = None,
        end: date | None = None,
        state: dict | None = None,
    ) -> list[dict]:
        """Parts the checkpoint lists that are not there: {path, table, rows, reason}."""
        state = self.state() if state is None else state
        out = []
        for rel, rows in (state.get("parts") or {}).items():
            name, _, rest = rel.partition("/")
            if table is not None and name != table:
                continue
            day = partition_day(rest.partition("/")[0])
            if day is not None and ((start and day < start) or (end and day > end)):
                continue
            if not (self.root / rel).is_file():
                out.append({"path": rel, "table": name, "rows": rows, "reason": "missing"})
        return out

    def unreadable(self, files: list[Path], state: dict | None = None) -> list[dict]:
        """Which of `files` cannot be read as Parquet: {path, table, rows, reason}."""
        import pyarrow.parquet as pq

        listed = (self.state() if state is None else state).get("parts") or {}
        out = []
        for f in files:
            try:
                pq.read_metadata(f)
            except Exception as e:  # pyarrow raises several kinds for a damaged file
                rel = f.relative_to(self.root).as_posix()
                out.append(
                    {
                        "path": rel,
                        "table": rel.partition("/")[0],
                        "rows": listed.get(rel),
                        "reason": f"unreadable ({e})",
                    }
                )
        return out

    def inventory(self, commit: int) -> dict[str, int]:
        """The committed parts on disk and their rows (for a checkpoint without a list)."""
        import pyarrow.parquet as pq

        out = {}
        for table in TABLES:
            for f in self.parts(table, commit=commit):
                try:
                    out[f.relative_to(self.root).as_posix()] = pq.read_metadata(f).num_rows
                except Exception:
                    continue  # unreadable already: nothing to vouch for
        return out

    def read(
        self,
        table: str,
        since: datetime | None = None,
        until: datetime | None = None,
        columns: list[str] | None = None,
        state: dict | None = None,
    ) -> pa.Table:
        """Rows of a table with its time column in [since, until), as Arrow, reading only
        the partitions the window touches (of the checkpoint `state`, default: the one on
        disk). Parts it lists that are gone or damaged are warned of (`PartsMissing`)."""
        import pyarrow as pa

        spec = TABLES[table]
        schema = spec.arrow_schema
        if columns:
            schema = pa.schema([schema.field(c) for c in columns])
        state = self.state() if state is None else state
        start, end = (since.date() if since else None), (until.date() if until else None)
        files = self.parts(table, start, end, state=state)
        lost = self.missing_parts(table, start, end, state)
        try:
            result = self._scan(table, files, since, until, schema) if files else None
        except (OSError, pa.ArrowException):
            bad = self.unreadable(files, state)
            if not bad:
                raise
            lost += bad
            unread = {self.root / b["path"] for b in bad}
            files = [f for f in files if f not in unread]
            result = self._scan(table, files, since, until, schema) if files else None
        if lost:
            warnings.warn(PartsMissing(self.root, lost), stacklevel=2)
        return result if result is not None else schema.empty_table()

    def _scan(self, table: str, files: list[Path], since, until, schema) -> pa.Table:
        """The rows of `files` in [since, until), in file order, with `schema`'s columns.
        Read with `pyarrow.parquet` (`pyarrow.dataset` imports pandas, a quarter second
        of a report's start); row groups whose time statistics miss the window are
        skipped unread."""
        import pyarrow as pa

        tcol = TABLES[table].time_column
        lo = _micros(since) if since is not None else None
        hi = _micros(until) if until is not None else None
        names = list(dict.fromkeys(schema.names + ([tcol] if since or until else [])))
        pieces = [
            piece
            for f in files
            if (piece := _read_part(f, tcol, lo, hi, names, TABLES[table].arrow_schema)) is not None
        ]
        if not pieces:
            return schema.empty_table()
        return pa.concat_tables(pieces).select(schema.names)

    def _part_files(self, tmp: bool = False):
        """Part files (and temporaries) in the table directories."""
        for table in TABLES:
            base = self.root / table
            if not base.is_dir():
                continue
            for d in sorted(base.iterdir()):
                if not d.is_dir():
                    continue
                for f in sorted(d.iterdir()):
                    if PART.match(f.name) or (tmp and f.name.endswith(".tmp")):
                        yield f


def _read_part(
    path: Path, tcol: str, lo: int | None, hi: int | None, names, full
) -> pa.Table | None:
    """The rows of one part file with `tcol` in [lo, hi) (µs; None: open), columns
    `names` as the table's schema `full` types them (a column the file predates: nulls)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    part = pq.ParquetFile(path)
    groups = kept_row_groups(part.metadata, tcol, lo, hi)
    if not groups:
        return None
    present = set(part.schema_arrow.names)
    read = part.read_row_groups(groups, columns=[n for n in names if n in present])
    columns = []
    for name in names:
        kind = full.field(name).type
        if name not in present:
            columns.append(pa.nulls(read.num_rows, kind))
        else:
            column = read.column(name)
            columns.append(column if column.type == kind else column.cast(kind))
    result = pa.Table.from_arrays(columns, schema=pa.schema([full.field(n) for n in names]))
    if lo is None and hi is None:
        return result
    times = result.column(tcol)
    keep = pc.is_valid(times)
    if lo is not None:
        keep = pc.and_(keep, pc.greater_equal(times, pa.scalar(lo, times.type)))
    if hi is not None:
        keep = pc.and_(keep, pc.less(times, pa.scalar(hi, times.type)))
    return result.filter(keep)


def kept_row_groups(meta, tcol: str, lo: int | None, hi: int | None) -> list[int]:
    """The row groups of a part (its Parquet metadata) that may hold a `tcol` in [lo, hi)
    (µs): those whose min/max statistics overlap it, or that have none."""
    if lo is None and hi is None:
        return list(range(meta.num_row_groups))
    if tcol not in meta.schema.names:
        return []  # no time: no row is in a window
    index = meta.schema.names.index(tcol)
    per_us = per_micro(meta, index)
    kept = []
    for i in range(meta.num_row_groups):
        group = meta.row_group(i)
        stats = group.column(index).statistics
        if group.num_rows == 0:
            continue
        if stats is None or not stats.has_min_max:
            kept.append(i)
        elif (hi is None or stats.min_raw / per_us < hi) and (
            lo is None or stats.max_raw / per_us >= lo
        ):
            kept.append(i)
    return kept


_PER_MICRO = {"milliseconds": 0.001, "microseconds": 1, "nanoseconds": 1000}


def per_micro(meta, index: int) -> float:
    """Units per µs of the timestamp column `index` of a part's Parquet metadata (its
    statistics' raw values are in them)."""
    unit = json.loads(meta.schema.column(index).logical_type.to_json()).get("timeUnit")
    return _PER_MICRO.get(unit, 1)


def _micros(dt: datetime) -> int:
    return (utc(dt) - _EPOCH) // timedelta(microseconds=1)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def partition_day(name: str) -> date | None:
    if not name.startswith("date="):
        return None
    try:
        return date.fromisoformat(name[5:])
    except ValueError:
        return None


def utc(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
