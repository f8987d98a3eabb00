"""The only module that knows the disk layout of a dataset.

    DATA/<table>/date=YYYY-MM-DD/part-<commit>-<seq>.parquet   Hive-partitioned by UTC date
    DATA/_state/state.json                                     the committed checkpoint
    DATA/_state/open.sqlite                                    the correlator's open state
    DATA/.lock                                                 held by the one writing run

    DATA/_state/writing                                        the commit being written
    DATA/_orphaned/<time>/<table>/...                          parts no checkpoint knew

Crash safety: a writer first notes the commit number it is about to write
(`_state/writing`), then writes parts under a temporary name, fsynced and renamed into
place; the open state's changes are saved under the same commit number (`openstate`);
then the checkpoint naming that commit number replaces the old one atomically (the one
switch), and the note is removed. Readers never look at parts or open-state rows above
the checkpoint's commit. Before the next run writes, parts of the noted commit are
provably the debris of a run that died before committing and are deleted (its open-state
rows are rolled back); any other part above the checkpoint's commit (state.json deleted,
or restored from an older backup) is moved aside to `_orphaned/`, never deleted. A run
that fails removes its own uncommitted parts.
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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import AnalyzerError
from ..schema import TABLES
from .openstate import FILE as OPEN_FILE
from .openstate import OpenStore, Stale

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


class NoDataset(StoreError):
    """Nothing ingested at this data directory yet; `hint`: how else to name one."""

    def __init__(self, root, hint: str = ""):
        super().__init__(
            f"{root}: no dataset here yet; run `analyzer ingest` first"
            + (f" ({hint})" if hint else "")
        )


class PartsMissing(UserWarning):
    """Committed parts that are gone or unreadable: what is read undercounts."""

    def __init__(self, root: Path, parts: list[dict]):
        self.parts = parts
        by_table: dict[str, int] = defaultdict(int)
        for p in parts:
            by_table[p["table"]] += p["rows"] or 0
        rows = ", ".join(f"{t} {n:,} rows" for t, n in sorted(by_table.items()))
        super().__init__(
            f"{root}: {len(parts):,} committed part file(s) missing or unreadable "
            f"({rows}): results undercount; `analyzer status` lists them"
        )


class LockHeld(StoreError):
    exit_code = 75  # EX_TEMPFAIL: cron wrappers may retry


def empty_state() -> dict:
    return {
        "version": STATE_VERSION,
        "commit": 0,
        "sources": {},
        "correlator": None,
        "programs": {},
        "parts": {},
    }


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
        if not isinstance(state, dict) or not isinstance(state.get("commit"), int):
            raise StoreError(
                f"{self.root}: the checkpoint _state/state.json is not one this "
                "program wrote (no commit number); restore it or re-ingest into "
                "a new directory"
            )
        if state.get("version") not in _READABLE:
            raise StoreError(
                f"{self.root}: checkpoint version {state.get('version')} "
                f"is not one of {_READABLE}; re-ingest into a new directory"
            )
        state.setdefault("correlator", None)
        return state

    def state_commit(self) -> int:
        """The commit number of the checkpoint on disk (0: none or unreadable)."""
        try:
            return self.state()["commit"]
        except (StoreError, KeyError, TypeError):
            return 0

    def exists(self) -> bool:
        return (self.root / "_state" / "state.json").exists()

    def snapshot(self) -> Snapshot:
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
                raise StoreError(
                    f"{self.root}: the checkpoint's open state (_state/{OPEN_FILE}) is missing"
                ) from None
            try:
                with _open_state_errors(self.root, "read"):
                    store.begin_read(state["commit"])
            except Stale:  # commits went on between the two reads: read the new one
                store.close()
                continue
            return Snapshot(self, state, store)
        raise StoreError(f"{self.root}: commits follow each other too fast to read one")

    def parts(
        self,
        table: str,
        start: date | None = None,
        end: date | None = None,
        commit: int | None = None,
    ) -> list[Path]:
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
    def lock(self, wait: float = 0.0) -> Lock:
        return Lock(self.root / ".lock", wait)

    def writer(self, commit: int) -> PartWriter:
        return PartWriter(self, commit)

    def set_aside_uncommitted(self, commit: int) -> Uncommitted:
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
                    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
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
            return StoreError(
                f"{self.root}: {parts:,} part files but no checkpoint "
                "(_state/state.json is gone): nothing can be read as committed; "
                "restore state.json, or the next ingest sets the parts aside "
                "in _orphaned/ and reads the logs again"
            )
        return NoDataset(self.root)

    def orphaned(self) -> dict[str, int]:
        """The directories of parts set aside (`set_aside_uncommitted`) -> part files."""
        base = self.root / "_orphaned"
        if not base.is_dir():
            return {}
        return {
            str(d): sum(1 for _ in d.rglob("part-*.parquet"))
            for d in sorted(base.iterdir())
            if d.is_dir()
        }

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

    def open_state(self, state: dict) -> dict:
        """The correlator's open state at the checkpoint `state`, for the writing run
        (holding the lock): what a run that died after it wrote is forgotten first."""
        if state["correlator"] is not None or state["version"] == 1:
            return state["correlator"] or {}
        with _open_state_errors(self.root, "read"):
            return self._store(state["commit"]).load()

    def set_aside_open_state(self, committed: int) -> Path | None:
        """Before a run writes: an open state that cannot be rolled back to the checkpoint
        `committed` (state.json deleted, or an older one restored without its open.sqlite)
        is not debris: it is moved aside (returned), never deleted, and the run starts
        with no open state."""
        d = self.root / "_state"
        if not (d / OPEN_FILE).exists():
            return None
        store = OpenStore(d)
        try:
            behind = committed < store.oldest() or (committed == 0 and store.last_commit() > 1)
        finally:
            store.close()
        if not behind:
            return None
        stamp = time.strftime("%Y%m%dT%H%M%S")
        aside = d / f"{OPEN_FILE}.without-checkpoint-{stamp}"
        for f in d.glob(OPEN_FILE + "*"):
            if f.name.removeprefix(OPEN_FILE) in ("", "-wal", "-shm"):
                f.rename(aside.with_name(aside.name + f.name.removeprefix(OPEN_FILE)))
        return aside

    def _store(self, committed: int) -> OpenStore:
        """The writer's open store, as checkpoint `committed` left it."""
        if self._open_store is None:
            store = OpenStore(self.root / "_state")
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
        try:
            with open(tmp, "w") as f:
                json.dump(checkpoint, f, separators=(",", ":"))
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

    def read(
        self,
        table: str,
        since: datetime | None = None,
        until: datetime | None = None,
        columns: list[str] | None = None,
    ) -> pa.Table:
        return self.dataset.read(table, since, until, columns, state=self.state)

    def open_entries(
        self, kind: str, field: str | None = None, lo: int | None = None, hi: int | None = None
    ) -> Iterator:
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

    def __enter__(self) -> Lock:
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
                    raise LockHeld(
                        f"{self.path.parent}: another ingest (pid {holder}) is writing; "
                        "try again later or pass --wait SECONDS"
                    ) from None
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


@contextmanager
def _open_state_errors(root: Path, action: str):
    """SQLite's errors (disk full, no write access for WAL's shared memory, a damaged
    file) as one line naming the file."""
    import sqlite3

    try:
        yield
    except sqlite3.Error as e:
        raise StoreError(f"{root}: cannot {action} the open state (_state/{OPEN_FILE}): {e}") from e


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
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
