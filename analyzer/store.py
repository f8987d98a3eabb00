"""The only module that knows the disk layout of a dataset.

    DATA/<table>/date=YYYY-MM-DD/part-<commit>-<seq>.parquet   Hive-partitioned by UTC date
    DATA/_state/state.json                                     the committed checkpoint
    DATA/.lock                                                 held by the one writing run

    DATA/_state/writing                                        the commit being written
    DATA/_orphaned/<time>/<table>/...                          parts no checkpoint knew

Crash safety: a writer first notes the commit number it is about to write
(`_state/writing`), then writes parts under a temporary name, fsynced and renamed into
place; then the checkpoint naming their commit number replaces the old one atomically,
and the note is removed. Readers never look at parts above the checkpoint's commit.
Before the next run writes, parts of the noted commit are provably the debris of a run
that died before committing and are deleted; any other part above the checkpoint's
commit (state.json deleted, or restored from an older backup) is moved aside to
`_orphaned/`, never deleted. A run that fails removes its own uncommitted parts.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import time
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
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


class PartsMissing(UserWarning):
    """Committed parts that are gone or unreadable: what is read undercounts."""

    def __init__(self, root: Path, parts: list[dict]):
        self.parts = parts
        by_table: dict[str, int] = defaultdict(int)
        for p in parts:
            by_table[p["table"]] += p["rows"] or 0
        rows = ", ".join(f"{t} {n:,} rows" for t, n in sorted(by_table.items()))
        super().__init__(f"{root}: {len(parts):,} committed part file(s) missing or unreadable "
                         f"({rows}): results undercount; `analyzer status` lists them")


class LockHeld(StoreError):
    exit_code = 75  # EX_TEMPFAIL: cron wrappers may retry


def empty_state() -> dict:
    return {"version": STATE_VERSION, "commit": 0, "sources": {}, "correlator": None,
            "programs": {}, "totals": {}, "parts": {}}


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
        if state.get("version") != STATE_VERSION:
            raise StoreError(f"{self.root}: checkpoint version {state.get('version')} "
                             f"is not {STATE_VERSION}; re-ingest into a new directory")
        return state

    def state_commit(self) -> int:
        """The commit number of the checkpoint on disk (0: none or unreadable)."""
        try:
            return self.state()["commit"]
        except (StoreError, KeyError, TypeError):
            return 0

    def exists(self) -> bool:
        return (self.root / "_state" / "state.json").exists()

    def parts(self, table: str, start: date | None = None, end: date | None = None,
              commit: int | None = None) -> list[Path]:
        """Committed part files of a table whose partition date is within [start, end]."""
        if commit is None:
            commit = self.state()["commit"]
        return [f for f in self._table_parts(table, start, end) if int(f.name[5:13]) <= commit]

    def _table_parts(self, table: str, start: date | None = None, end: date | None = None):
        base = self.root / table
        if not base.is_dir():
            return
        for d in sorted(base.iterdir()):
            day = _partition_day(d.name)
            if day is None or (start and day < start) or (end and day > end):
                continue
            for f in sorted(d.iterdir()):
                if _PART.match(f.name):
                    yield f

    # --- parts the checkpoint lists but that are gone or unreadable --------------------
    # The checkpoint lists every committed part with its row count (`parts`), so a part
    # deleted or damaged by hand is reported with the rows it held instead of silently
    # undercounting. Datasets from before the list get it at their next ingest.
    def missing_parts(self, table: str | None = None, start: date | None = None,
                      end: date | None = None, state: dict | None = None) -> list[dict]:
        """Parts the checkpoint lists that are not there: {path, table, rows, reason}."""
        state = self.state() if state is None else state
        out = []
        for rel, rows in (state.get("parts") or {}).items():
            name, _, rest = rel.partition("/")
            if table is not None and name != table:
                continue
            day = _partition_day(rest.partition("/")[0])
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
                out.append({"path": rel, "table": rel.partition("/")[0],
                            "rows": listed.get(rel), "reason": f"unreadable ({e})"})
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

    def read(self, table: str, since: datetime | None = None, until: datetime | None = None,
             columns: list[str] | None = None) -> pa.Table:
        """Rows of a table with its time column in [since, until), as Arrow, reading only
        the partitions the window touches."""
        spec = TABLES[table]
        schema = spec.arrow_schema
        if columns:
            schema = pa.schema([schema.field(c) for c in columns])
        state = self.state()
        start, end = (since.date() if since else None), (until.date() if until else None)
        files = self.parts(table, start, end, commit=state["commit"])
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

    # --- writing ------------------------------------------------------------------------
    def lock(self, wait: float = 0.0) -> "Lock":
        return Lock(self.root / ".lock", wait)

    def writer(self, commit: int) -> "PartWriter":
        return PartWriter(self, commit)

    def set_aside_uncommitted(self, commit: int) -> "Uncommitted":
        """Before a run writes: parts above the checkpoint's `commit`. Temporaries and
        the parts of the commit a writer noted and never finished are debris of an
        interrupted run: deleted. Any other such part was committed under a checkpoint
        that is gone (state.json deleted, or an older one restored): moved to
        DATA/_orphaned/<time>/, never deleted, never read."""
        noted = self._noted_commit()
        found = Uncommitted()
        for f in self._part_files(tmp=True):
            m = _PART.match(f.name)
            if f.name.endswith(".tmp") or (m and int(m[1]) == noted and noted > commit):
                f.unlink()
                found.deleted += 1
            elif m and int(m[1]) > commit:
                if found.moved_to is None:
                    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
                    found.moved_to = _unused(self.root / "_orphaned" / stamp)
                target = found.moved_to / f.relative_to(self.root)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.rename(f, target)
                found.moved.append(target)
        if found.moved:
            _fsync_dirs({t.parent for t in found.moved})
        self._clear_note()
        return found

    def no_checkpoint_error(self) -> StoreError:
        """Why a reader finds nothing here: no dataset, or parts without their checkpoint."""
        parts = sum(1 for _ in self._part_files())
        if parts:
            return StoreError(f"{self.root}: {parts:,} part files but no checkpoint "
                              "(_state/state.json is gone): nothing can be read as committed; "
                              "restore state.json, or the next ingest sets the parts aside "
                              "in _orphaned/ and reads the logs again")
        return StoreError(f"{self.root}: no dataset here yet; run `analyzer ingest` first")

    def orphaned(self) -> dict[str, int]:
        """The directories of parts set aside (`set_aside_uncommitted`) -> part files."""
        base = self.root / "_orphaned"
        if not base.is_dir():
            return {}
        return {str(d): sum(1 for _ in d.rglob("part-*.parquet"))
                for d in sorted(base.iterdir()) if d.is_dir()}

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
                    if _PART.match(f.name) or (tmp and f.name.endswith(".tmp")):
                        yield f

    # The note of the commit being written: what makes its parts provable debris.
    def note_commit(self, commit: int) -> None:
        d = self.root / "_state"
        d.mkdir(parents=True, exist_ok=True)
        tmp = d / "writing.tmp"
        with open(tmp, "w") as f:
            f.write(f"{commit}\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, d / "writing")
        _fsync_dir(d)

    def _noted_commit(self) -> int:
        try:
            return int((self.root / "_state" / "writing").read_text().strip() or 0)
        except (OSError, ValueError):
            return 0

    def _clear_note(self) -> None:
        for name in ("writing", "writing.tmp", "state.json.tmp"):
            try:
                os.unlink(self.root / "_state" / name)
            except FileNotFoundError:
                pass

    def commit(self, state: dict) -> None:
        """Atomically replace the checkpoint."""
        d = self.root / "_state"
        d.mkdir(parents=True, exist_ok=True)
        tmp = d / "state.json.tmp"
        try:
            with open(tmp, "w") as f:
                json.dump(state, f, separators=(",", ":"))
                f.flush()
                os.fsync(f.fileno())
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        os.replace(tmp, d / "state.json")
        _fsync_dir(d)
        self._clear_note()

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


@dataclass
class Uncommitted:
    """What `set_aside_uncommitted` found."""
    deleted: int = 0  # debris of an interrupted commit
    moved: list[Path] = field(default_factory=list)  # parts no checkpoint knows
    moved_to: Path | None = None


def _unused(path: Path) -> Path:
    n, candidate = 1, path
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate


class PartWriter:
    """Buffers rows per table and writes them as Parquet parts of one commit, split by
    the UTC date of the table's time column.

    Rows arrive as dicts (often whole events with extra keys: only schema columns are
    taken). Every CONVERT_ROWS rows they become a compact Arrow table, and once a
    table's Arrow data reaches FLUSH_BYTES it is written as parts, so memory is bounded
    per table whatever the input size.
    """

    def __init__(self, ds: Dataset, commit: int):
        self.ds = ds
        self.root = ds.root
        self.commit = commit
        self.noted = 0  # the commit number noted as being written
        self.uncommitted: list[Path] = []  # parts (and a temporary) of self.commit
        self.new_parts: dict[str, int] = {}  # part -> rows, for the checkpoint's list
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
            if self.noted != self.commit:
                self.ds.note_commit(self.commit)
                self.noted = self.commit
            self.uncommitted += [tmp, final]
            pq.write_table(part, tmp, compression="zstd")
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(tmp, final)
            self.files.append(final)
            self.written[table] += part.num_rows
            self.new_parts[final.relative_to(self.root).as_posix()] = part.num_rows


    def committed(self) -> None:
        """The checkpoint now names self.commit: the next parts belong to the next one."""
        self.commit += 1
        self.uncommitted.clear()
        self.new_parts.clear()

    def discard(self) -> int:
        """After a failure: delete the parts of the commit this writer did not finish
        (unless the checkpoint on disk names it after all)."""
        removed = 0
        if self.uncommitted and self.ds.state_commit() < self.commit:
            for f in self.uncommitted:
                try:
                    f.unlink()
                    removed += f.suffix == ".parquet"
                except FileNotFoundError:
                    pass
            self.ds._clear_note()
        self.uncommitted.clear()
        self.new_parts.clear()
        self.rows.clear()
        self.converted.clear()
        self.converted_bytes.clear()
        return removed


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


def _partition_day(name: str) -> date | None:
    if not name.startswith("date="):
        return None
    try:
        return date.fromisoformat(name[5:])
    except ValueError:
        return None


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
