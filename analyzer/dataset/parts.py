"""The committed part files of a dataset: their names, which a commit covers (by table and
partition day), those the checkpoint lists that are gone or unreadable, and reading a
table's rows in a time window from them.

    DATA/<table>/date=YYYY-MM-DD/part-<commit>-<seq>.parquet   Hive-partitioned by UTC date
"""

from __future__ import annotations

import re
import warnings
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from ..schema import TABLES
from .errors import PartsMissing

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
        import pyarrow.dataset as pads

        spec = TABLES[table]
        tcol = spec.time_column
        ts_type = spec.arrow_schema.field(tcol).type
        window = None
        if since is not None or until is not None:
            # pushed down: part files whose time statistics miss the window are skipped
            window = pads.field(tcol).is_valid()
            if since is not None:
                window &= pads.field(tcol) >= pa.scalar(utc(since), ts_type)
            if until is not None:
                window &= pads.field(tcol) < pa.scalar(utc(until), ts_type)
        dataset = pads.dataset([str(f) for f in files], schema=spec.arrow_schema, format="parquet")
        result = dataset.to_table(columns=schema.names, filter=window)
        return result.select(schema.names)

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


def partition_day(name: str) -> date | None:
    if not name.startswith("date="):
        return None
    try:
        return date.fromisoformat(name[5:])
    except ValueError:
        return None


def utc(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
