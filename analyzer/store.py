"""The only module that knows the disk layout of a dataset.

    DATA/<table>/date=YYYY-MM-DD/part-<commit>-<seq>.parquet   Hive-partitioned by UTC date
    DATA/_state/state.json                                     the committed checkpoint
    DATA/.lock                                                 held by the one writing run

Crash safety: parts are written under a temporary name, fsynced and renamed into place;
then the checkpoint naming their commit number replaces the old one atomically. Parts of
a commit number above the checkpoint's belong to a run that died before committing; the
next writer deletes them and readers never look at them.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import time
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .errors import AnalyzerError
from .schema import TABLES

STATE_VERSION = 1
CONVERT_ROWS = 5_000
FLUSH_BYTES = 8 << 20  # Arrow bytes per table before a part is written
_PART = re.compile(r"^part-(\d{8})-(\d{5})\.parquet$")
_DAY_US = 86_400_000_000


class StoreError(AnalyzerError):
    """The dataset cannot be used as asked (locked, unreadable state, ...)."""


class DamagedPart(StoreError):
    """A committed part cannot be read: the dataset was damaged outside this program."""

    def __init__(self, root, table: str, cause: Exception):
        reason = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
        super().__init__(f"{root}: a part of the {table} table cannot be read ({reason}); "
                         "restore it from a backup, or re-ingest into a new directory")


class LockHeld(StoreError):
    exit_code = 75  # EX_TEMPFAIL: cron wrappers may retry


def empty_state() -> dict:
    return {"version": STATE_VERSION, "commit": 0, "sources": {}, "correlator": None,
            "programs": {}, "totals": {}}


class Dataset:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    # --- reading ------------------------------------------------------------------------
    def state(self) -> dict:
        try:
            with open(self.root / "_state" / "state.json") as f:
                state = json.load(f)
        except FileNotFoundError:
            return empty_state()
        except (OSError, ValueError) as e:
            raise StoreError(f"{self.root}: cannot read the checkpoint ({e})") from e
        if not isinstance(state, dict) or not isinstance(state.get("commit"), int):
            raise StoreError(f"{self.root}: the checkpoint _state/state.json is not one this "
                             "program wrote (no commit number); restore it or re-ingest into "
                             "a new directory")
        if state.get("version") != STATE_VERSION:
            raise StoreError(f"{self.root}: checkpoint version {state.get('version')} "
                             f"is not {STATE_VERSION}; re-ingest into a new directory")
        return state

    def exists(self) -> bool:
        return (self.root / "_state" / "state.json").exists()

    def parts(self, table: str, start: date | None = None, end: date | None = None,
              commit: int | None = None) -> list[Path]:
        """Committed part files of a table whose partition date is within [start, end]."""
        if commit is None:
            commit = self.state()["commit"]
        base = self.root / table
        if not base.is_dir():
            return []
        out = []
        for d in sorted(base.iterdir()):
            if not d.name.startswith("date="):
                continue
            try:
                day = date.fromisoformat(d.name[5:])
            except ValueError:
                continue
            if (start and day < start) or (end and day > end):
                continue
            for f in sorted(d.iterdir()):
                m = _PART.match(f.name)
                if m and int(m[1]) <= commit:
                    out.append(f)
        return out

    def read(self, table: str, since: datetime | None = None, until: datetime | None = None,
             columns: list[str] | None = None) -> pa.Table:
        """Rows of a table with its time column in [since, until), as Arrow, reading only
        the partitions the window touches."""
        spec = TABLES[table]
        schema = spec.arrow_schema
        if columns:
            schema = pa.schema([schema.field(c) for c in columns])
        files = self.parts(table, since.date() if since else None,
                           until.date() if until else None)
        if not files:
            return schema.empty_table()
        import pyarrow.dataset as pads

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
        try:
            dataset = pads.dataset([str(f) for f in files], schema=spec.arrow_schema,
                                   format="parquet")
            result = dataset.to_table(columns=schema.names, filter=window)
        except (pa.ArrowInvalid, OSError) as e:  # a part damaged or removed by hand
            raise DamagedPart(self.root, table, e) from e
        return result.select(schema.names)

    # --- writing ------------------------------------------------------------------------
    def lock(self, wait: float = 0.0) -> "Lock":
        return Lock(self.root / ".lock", wait)

    def writer(self, commit: int) -> "PartWriter":
        return PartWriter(self.root, commit)

    def remove_uncommitted(self, commit: int) -> int:
        """Delete parts and temporaries that no committed checkpoint accounts for."""
        removed = 0
        for table in TABLES:
            base = self.root / table
            if not base.is_dir():
                continue
            for d in base.iterdir():
                if not d.is_dir():
                    continue
                for f in d.iterdir():
                    m = _PART.match(f.name)
                    if f.name.endswith(".tmp") or (m and int(m[1]) > commit):
                        f.unlink()
                        removed += 1
        return removed

    def discard(self, commit: int) -> None:
        """Delete the parts of commit number `commit` unless the checkpoint names it: a
        run that fails (disk full, Ctrl-C) removes what it wrote but never committed.
        (After `kill -9` the next run does it: `remove_uncommitted`.)"""
        try:
            if self.state()["commit"] >= commit:
                return
        except StoreError:
            return
        for table in TABLES:
            for f in (self.root / table).glob(f"date=*/part-{commit:08d}-*"):
                f.unlink(missing_ok=True)

    def commit(self, state: dict) -> None:
        """Atomically replace the checkpoint."""
        d = self.root / "_state"
        d.mkdir(parents=True, exist_ok=True)
        tmp = d / "state.json.tmp"
        with open(tmp, "w") as f:
            json.dump(state, f, separators=(",", ":"))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, d / "state.json")
        _fsync_dir(d)

    def ensure_tables(self) -> None:
        """Every table exists, with its schema, even before it has a row: readers that
        open the dataset (pandas, DuckDB, Spark) find each table and its columns."""
        for name, spec in TABLES.items():
            d = self.root / name
            d.mkdir(parents=True, exist_ok=True)
            meta = d / "_common_metadata"
            if not meta.exists():
                tmp = d / "_common_metadata.tmp"
                pq.write_metadata(spec.arrow_schema, tmp)
                os.replace(tmp, meta)


class PartWriter:
    """Buffers rows per table and writes them as Parquet parts of one commit, split by
    the UTC date of the table's time column.

    Rows arrive as dicts (often whole events with extra keys: only schema columns are
    taken). Every CONVERT_ROWS rows they become a compact Arrow table, and once a
    table's Arrow data reaches FLUSH_BYTES it is written as parts, so memory is bounded
    per table whatever the input size.
    """

    def __init__(self, root: Path, commit: int):
        self.root = root
        self.commit = commit
        self.seq = 0
        self.rows: dict[str, list[dict]] = defaultdict(list)
        self.converted: dict[str, list[pa.Table]] = defaultdict(list)
        self.converted_bytes: dict[str, int] = defaultdict(int)
        self.written: dict[str, int] = defaultdict(int)
        self.files: list[Path] = []

    def add(self, table: str, row: dict) -> None:
        rows = self.rows[table]
        rows.append(row)
        if len(rows) >= CONVERT_ROWS:
            self._convert(table)
            if self.converted_bytes[table] >= FLUSH_BYTES:
                self.flush_table(table)

    def flush(self) -> None:
        for table in set(self.rows) | set(self.converted):
            self.flush_table(table)
        _fsync_dirs({f.parent for f in self.files})
        self.files.clear()

    def _convert(self, table: str) -> None:
        rows = self.rows.pop(table, None)
        if not rows:
            return
        spec = TABLES[table]
        tcol = spec.time_column
        # partition day per row; a row without a time brings its own (`_day`)
        days = [r[tcol] // _DAY_US if r[tcol] is not None else (r.get("_day") or 0) for r in rows]
        # from_pylist takes only the schema's keys of each row (rows may be whole events)
        arrow = pa.Table.from_pylist(rows, schema=spec.arrow_schema)
        arrow = arrow.append_column("__day", pa.array(days, type=pa.int32()))
        self.converted[table].append(arrow)
        self.converted_bytes[table] += arrow.nbytes

    def flush_table(self, table: str) -> None:
        self._convert(table)
        parts = self.converted.pop(table, None)
        self.converted_bytes.pop(table, None)
        if not parts:
            return
        import pyarrow.compute as pc

        arrow = pa.concat_tables(parts)
        days = arrow["__day"]
        arrow = arrow.drop_columns(["__day"])
        for day in sorted(pc.unique(days).to_pylist()):
            part = arrow.filter(pc.equal(days, day))
            name = (date(1970, 1, 1) + timedelta(days=day)).isoformat()
            d = self.root / table / f"date={name}"
            d.mkdir(parents=True, exist_ok=True)
            self.seq += 1
            final = d / f"part-{self.commit:08d}-{self.seq:05d}.parquet"
            tmp = final.with_name(final.name + ".tmp")
            pq.write_table(part, tmp, compression="zstd")
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(tmp, final)
            self.files.append(final)
            self.written[table] += part.num_rows


class Lock:
    """An exclusive flock on DATA/.lock: one writing run at a time."""

    def __init__(self, path: Path, wait: float):
        self.path = path
        self.wait = wait
        self.fd: int | None = None

    def __enter__(self) -> "Lock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
                    os.close(fd)
                    raise LockHeld(f"{self.path.parent}: another ingest (pid {holder}) is writing; "
                                   "try again later or pass --wait SECONDS") from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self.fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing releases the flock
            self.fd = None


def _fsync_dir(d: Path) -> None:
    try:
        fd = os.open(d, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dirs(dirs) -> None:
    for d in dirs:
        _fsync_dir(d)


def utc(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
