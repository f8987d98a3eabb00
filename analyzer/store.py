"""The only module that knows the disk layout of a dataset.

    DATA/<table>/date=YYYY-MM-DD/part-<commit>-<seq>.parquet   Hive-partitioned by UTC date
    DATA/_state/state.json                                     the committed checkpoint
    DATA/_state/open.sqlite                                    the correlator's open state
    DATA/.lock                                                 held by the one writing run

Crash safety: parts are written under a temporary name, fsynced and renamed into place;
the open state's changes are saved under the same commit number (`openstate`); then the
checkpoint naming that commit number replaces the old one atomically: the one switch.
Parts and open-state rows of a commit number above the checkpoint's belong to a run that
died before committing; the next writer removes them and readers never look at them.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import time
from collections import defaultdict
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from .errors import AnalyzerError
from .openstate import FILE as OPEN_FILE
from .openstate import OpenStore, Stale
from .schema import TABLES

# 2: the correlator's open state is in open.sqlite; 1: inline in state.json (read, and
# moved to open.sqlite by the next ingest's first commit)
STATE_VERSION = 2
_READABLE = (1, 2)
CONVERT_ROWS = 5_000
FLUSH_BYTES = 8 << 20  # Arrow bytes per table before a part is written
_PART = re.compile(r"^part-(\d{8})-(\d{5})\.parquet$")
_DAY_US = 86_400_000_000


class StoreError(AnalyzerError):
    """The dataset cannot be used as asked (locked, unreadable state, ...)."""


class LockHeld(StoreError):
    exit_code = 75  # EX_TEMPFAIL: cron wrappers may retry


def empty_state() -> dict:
    return {"version": STATE_VERSION, "commit": 0, "sources": {}, "correlator": None,
            "programs": {}, "totals": {}}


class Dataset:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self._open_store: OpenStore | None = None  # the writer's, once opened

    # --- reading ------------------------------------------------------------------------
    def state(self) -> dict:
        """The checkpoint. `correlator`: the open state of a version 1 checkpoint (held
        inline), else None (it is in open.sqlite: `open_state`, `snapshot`)."""
        try:
            with open(self.root / "_state" / "state.json") as f:
                state = json.load(f)
        except FileNotFoundError:
            return empty_state()
        except (OSError, ValueError) as e:
            raise StoreError(f"{self.root}: cannot read the checkpoint ({e})") from e
        if state.get("version") not in _READABLE:
            raise StoreError(f"{self.root}: checkpoint version {state.get('version')} "
                             f"is not one of {_READABLE}; re-ingest into a new directory")
        state.setdefault("correlator", None)
        return state

    def exists(self) -> bool:
        return (self.root / "_state" / "state.json").exists()

    def snapshot(self) -> "Snapshot":
        """The committed state of the dataset now; read from it, a report sees the parts
        and the open rows of one commit however many commits happen meanwhile."""
        for _ in range(100):
            state = self.state()
            if state["correlator"] is not None or state["version"] == 1:
                return Snapshot(self, state)  # the open state is inline
            try:
                with _open_state_errors(self.root, "read"):
                    store = OpenStore(self.root / "_state", readonly=True)
            except FileNotFoundError:
                if state["commit"] == 0:
                    return Snapshot(self, state)
                raise StoreError(f"{self.root}: the checkpoint's open state "
                                 f"(_state/{OPEN_FILE}) is missing") from None
            try:
                with _open_state_errors(self.root, "read"):
                    store.begin_read(state["commit"])
            except Stale:  # commits went on between the two reads: read the new one
                store.close()
                continue
            return Snapshot(self, state, store)
        raise StoreError(f"{self.root}: commits follow each other too fast to read one")

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
             columns: list[str] | None = None, commit: int | None = None) -> pa.Table:
        """Rows of a table with its time column in [since, until), as Arrow, reading only
        the partitions the window touches (of `commit`, default: the checkpoint's)."""
        spec = TABLES[table]
        schema = spec.arrow_schema
        if columns:
            schema = pa.schema([schema.field(c) for c in columns])
        files = self.parts(table, since.date() if since else None,
                           until.date() if until else None, commit=commit)
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
        dataset = pads.dataset([str(f) for f in files], schema=spec.arrow_schema, format="parquet")
        result = dataset.to_table(columns=schema.names, filter=window)
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

    def open_state(self, state: dict) -> dict:
        """The correlator's open state at the checkpoint `state`, for the writing run
        (holding the lock): what a run that died after it wrote is forgotten first."""
        if state["correlator"] is not None or state["version"] == 1:
            return state["correlator"] or {}
        with _open_state_errors(self.root, "read"):
            return self._store(state["commit"]).load()

    def _store(self, committed: int) -> OpenStore:
        """The writer's open store, as checkpoint `committed` left it."""
        if self._open_store is None:
            d = self.root / "_state"
            store = OpenStore(d)
            if committed == 0 and store.last_commit() > 1:
                # an open state that commits after the first one wrote, without their
                # checkpoint (state.json deleted or lost): not debris; kept aside
                store.close()
                stamp = time.strftime("%Y%m%dT%H%M%S")
                for f in d.glob(OPEN_FILE + "*"):
                    if f.name.removeprefix(OPEN_FILE) in ("", "-wal", "-shm"):
                        f.rename(f.with_name(f"{OPEN_FILE}.without-checkpoint-{stamp}"
                                             + f.name.removeprefix(OPEN_FILE)))
                store = OpenStore(d)
            store.rollback(committed)
            self._open_store = store
        return self._open_store

    def commit(self, state: dict) -> None:
        """Commit `state["commit"]` (its parts are written): save the correlator's open
        state (`state["correlator"]`: `Correlator.state()`, or None when this run did not
        change it) under that number, then atomically replace the checkpoint."""
        d = self.root / "_state"
        d.mkdir(parents=True, exist_ok=True)
        number = state["commit"]
        open_state = state.get("correlator")
        created = not (d / OPEN_FILE).exists()
        with _open_state_errors(self.root, "write"):
            # opening the store undoes a dead run's commit even when this run changes nothing
            store = self._store(number - 1)
            if open_state is not None or created:
                store.save(number, open_state or {})
        checkpoint = {k: v for k, v in state.items() if k != "correlator"}
        checkpoint["version"] = STATE_VERSION
        tmp = d / "state.json.tmp"
        with open(tmp, "w") as f:
            json.dump(checkpoint, f, separators=(",", ":"))
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


class Snapshot:
    """One committed state of a dataset, read once: the checkpoint, and through its
    commit number the parts it covers. Parts of a commit are never rewritten and later
    commits only add parts with higher numbers, so a snapshot stays readable while other
    runs commit; the correlator's open rows come from the same checkpoint. Every read of
    one report or API call goes through one snapshot."""

    def __init__(self, dataset: Dataset, state: dict, store: OpenStore | None = None):
        self.dataset = dataset
        self.state = state
        self.commit: int = state["commit"]
        self._store = store  # pinned at this commit (`OpenStore.begin_read`)

    @property
    def root(self) -> Path:
        return self.dataset.root

    def parts(self, table: str, start: date | None = None, end: date | None = None) -> list[Path]:
        return self.dataset.parts(table, start, end, commit=self.commit)

    def read(self, table: str, since: datetime | None = None, until: datetime | None = None,
             columns: list[str] | None = None) -> pa.Table:
        return self.dataset.read(table, since, until, columns, commit=self.commit)

    def open_entries(self, kind: str, field: str | None = None, lo: int | None = None,
                     hi: int | None = None) -> Iterator:
        """The entries of `state()[kind]` the correlator held open at this commit (a list
        value's items), those with `field` in [lo, hi) where the store can tell."""
        if self._store is not None:
            return self._store.entries(self.commit, kind, field, lo, hi)
        value = (self.state["correlator"] or {}).get(kind)
        if value is None:
            return iter(())
        return iter(value if isinstance(value, list) else [value])

    def open_count(self, kind: str) -> int:
        if self._store is not None:
            return self._store.count(self.commit, kind)
        return len((self.state["correlator"] or {}).get(kind) or ())


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


@contextmanager
def _open_state_errors(root: Path, action: str):
    """SQLite's errors (disk full, no write access for WAL's shared memory, a damaged
    file) as one line naming the file."""
    import sqlite3

    try:
        yield
    except sqlite3.Error as e:
        raise StoreError(f"{root}: cannot {action} the open state (_state/{OPEN_FILE}): "
                         f"{e}") from e


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
