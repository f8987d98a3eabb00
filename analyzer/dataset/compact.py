"""Merging a dataset's small parts. `analyzer watch` commits every few seconds, so a day of
watching leaves thousands of tiny parts that slow every reader and grow the checkpoint.

Per table and date partition, the trailing run of small parts that the checkpoint lists
(written by this program: a file it does not list is never merged nor deleted) becomes
one part, its rows in the order readers read them. A trailing run only: the merged part
is numbered after every part of the partition, so it must come last to keep the order.
Under the dataset lock:

1. what an earlier writer left is cleaned up: a dead run's noted parts (`recovery`),
   and the parts an earlier compaction superseded once no reader holds them;
2. the commit number is noted (`_state/writing`) and the merged parts are written
   (temporary, fsynced, renamed) under it: readers of the current commit ignore them;
3. the checkpoint of that commit lists each merged part instead of those it replaces
   and names those `superseded` (readers of the new commit skip them): the one switch;
4. the superseded parts are deleted when no snapshot holds a pin (`pins`), else by a
   later compaction.

A kill before 3 leaves noted debris that the next writer deletes; after 3, superseded
parts that the next compaction deletes. Either way every reader reads the same rows.
The open state (open.sqlite) is rolled back to the checkpoint (what a dead run saved
after it) and otherwise not touched: at the new commit it is the previous one's.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path, PurePosixPath

import pyarrow as pa
import pyarrow.parquet as pq

from ..schema import TABLES
from ..schema.storage import parquet_options
from . import checkpoint
from .durable import fsync_dirs
from .errors import StoreError
from .openstate import FILE as OPEN_FILE
from .openstate import OpenStore
from .parts import PART, partition_day
from .pins import no_readers
from .store import Dataset
from .timewindow import parse_time

SMALL_BYTES = 16 << 20  # a part this big stays as it is: a day is rewritten a bounded amount
MIN_PARTS = 2  # a run shorter than this is left alone
ROW_GROUP_ROWS = 256 * 1024  # rows per row group of a merged part

Step = Callable[[str, dict], None]  # (event, details): progress, and where a test kills it


@dataclass
class Compacted:
    """What `compact` did."""

    parts_before: int = 0  # parts the checkpoint listed before
    parts_after: int = 0  # and after
    partitions: int = 0  # table partitions merged
    merged: int = 0  # parts merged into others
    bytes_before: int = 0  # of the merged parts
    bytes_after: int = 0  # of the parts they became
    deleted: int = 0  # superseded parts deleted (this run's or an earlier one's)
    pending: int = 0  # superseded parts a reader may hold: deleted by a later compaction
    debris: int = 0  # a dead run's uncommitted parts deleted first
    commit: int | None = None  # the checkpoint written, if any
    skipped: list[str] = field(default_factory=list)  # partitions left as they were, and why

    def line(self) -> str:
        """The one-line summary `analyzer compact` prints."""
        if not self.merged:
            text = f"nothing to compact: {self.parts_before:,} parts"
        else:
            text = (
                f"compacted {self.merged:,} parts of {self.partitions:,} table partitions: "
                f"{self.parts_before:,} parts before, {self.parts_after:,} after; "
                f"{_mb(self.bytes_before)} -> {_mb(self.bytes_after)}"
            )
        if self.deleted or self.pending:
            text += f"; {self.deleted:,} old parts deleted"
        if self.pending:
            text += f", {self.pending:,} kept until their readers finish"
        return text


@dataclass
class _Run:
    table: str
    day: date
    files: list[Path]
    rows: int  # as the checkpoint lists them


def compact(
    data: str | os.PathLike,
    older_than: str | datetime | None = None,
    wait: float = 0.0,
    small_bytes: int = SMALL_BYTES,
    step: Step | None = None,
    now: datetime | None = None,
) -> Compacted:
    """Merge the small parts of the dataset at `data` (see the module). `older_than`: only
    date partitions whose UTC day ended before it (`1d`, `6h`, an ISO time; relative to
    `now`); None: every partition, today's too. `step(event, details)` is called at each
    step: `merging` (a partition, before its part is written), `writing` (its temporary
    written), `merged` (all written, before the checkpoint), `published` (after it),
    `done`."""
    step = step or (lambda event, details: None)
    before = parse_time(older_than, now=now) if older_than is not None else None
    ds = Dataset(data)
    if not ds.exists():
        raise ds.no_checkpoint_error()
    with ds.lock(wait):
        state = ds.state()
        if checkpoint.inline_open_state(state) is not None or "parts" not in state:
            raise StoreError(
                f"{ds.root}: the checkpoint is from an older version of analyzer; "
                "run `analyzer ingest` once (it upgrades it), then compact"
            )
        done = Compacted(parts_before=len(state["parts"]))
        found = ds.set_aside_uncommitted(state["commit"])
        done.debris = found.deleted
        if found.moved:
            done.skipped.append(
                f"{len(found.moved):,} part files no checkpoint knew were set aside in "
                f"{found.moved_to} (never read; see `analyzer status`)"
            )
        _roll_back_open_state(ds, state["commit"])
        superseded = dict(state.get("superseded") or {})
        done.deleted += _delete_superseded(ds.root, superseded)
        runs = _runs(ds, state, superseded, before, small_bytes, done.skipped)
        if runs:
            state = _merge_and_publish(ds, state, superseded, runs, done, step)
        if done.merged:
            done.commit = state["commit"]
            step("published", {"commit": done.commit})
            done.deleted += _delete_superseded(ds.root, superseded)
        if superseded != (state.get("superseded") or {}):
            # the same commit without the deleted parts: the checkpoint stays small
            state = {**state, "superseded": superseded}
            checkpoint.write(ds.root / "_state", state)
        done.pending = len(superseded)
        done.parts_after = len(state["parts"])
    step("done", {})
    return done


def _roll_back_open_state(ds: Dataset, committed: int) -> None:
    """Forget what a dead run wrote into the open state after the checkpoint: the new
    commit publishes the store as it is, so a reader of it would see those rows."""
    if not (ds.root / "_state" / OPEN_FILE).exists():
        return
    store = OpenStore(ds.root / "_state")
    try:
        if committed < store.oldest():
            raise StoreError(
                f"{ds.root}: the open state is newer than the checkpoint (commit "
                f"{committed}); run `analyzer ingest` once (it sets it aside), then compact"
            )
        store.rollback(committed)
    finally:
        store.close()


def _runs(
    ds: Dataset,
    state: dict,
    superseded: dict,
    before: datetime | None,
    small_bytes: int,
    skipped: list[str],
) -> list[_Run]:
    """The trailing runs of small listed parts, per table and partition, that a reader of
    `state` reads (a partition's parts in their reading order)."""
    listed: dict[str, int] = state["parts"]
    out = []
    for table in TABLES:
        by_day: dict[Path, list[Path]] = {}
        for f in ds.parts(table, state={**state, "superseded": superseded}):
            by_day.setdefault(f.parent, []).append(f)
        for directory, files in by_day.items():
            day = partition_day(directory.name)
            if day is None:
                continue
            end = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
            if before is not None and end > before:
                continue
            run: list[Path] = []
            for f in reversed(files):
                if _rel(ds, f) not in listed or f.stat().st_size >= small_bytes:
                    break  # a part not listed, or a big one: the run starts after it
                run.insert(0, f)
            if len(run) >= MIN_PARTS:
                rows = sum(listed[_rel(ds, f)] for f in run)
                out.append(_Run(table, day, run, rows))
    return out


def _merge_and_publish(
    ds: Dataset, state: dict, superseded: dict, runs: list[_Run], done: Compacted, step: Step
) -> dict:
    """Write each run as one part of the next commit, then the checkpoint that lists them
    (the switch); returns it. A failure before the switch removes what it wrote."""
    commit = state["commit"] + 1
    ds.note_commit(commit)
    written: dict[str, int] = {}
    replaced: list[str] = []
    paths: list[Path] = []
    try:
        for seq, run in enumerate(runs, 1):
            final = run.files[0].parent / f"part-{commit:08d}-{seq:05d}.parquet"
            details = {"table": run.table, "day": run.day.isoformat(), "parts": len(run.files)}
            step("merging", details)
            paths += [final.with_name(final.name + ".tmp"), final]
            reason = _merge(run, final, step)
            if reason is not None:
                done.skipped.append(f"{run.table} {run.day}: {reason}")
                continue
            written[_rel(ds, final)] = run.rows
            replaced += [_rel(ds, f) for f in run.files]
            done.partitions += 1
            done.merged += len(run.files)
            done.bytes_before += sum(f.stat().st_size for f in run.files)
            done.bytes_after += final.stat().st_size
        fsync_dirs({p.parent for p in paths})
        if not written:
            ds.clear_note()
            return state
        step("merged", {"parts": len(written)})
        parts = {rel: rows for rel, rows in state["parts"].items() if rel not in set(replaced)}
        parts.update(written)
        superseded.update(dict.fromkeys(replaced, commit))
        new = {**state, "commit": commit, "parts": parts, "superseded": dict(superseded)}
        checkpoint.write(ds.root / "_state", new)
    except BaseException:
        if ds.state_commit() < commit:  # not published: what this run wrote is debris
            for p in paths:
                p.unlink(missing_ok=True)
            ds.clear_note()
        raise
    ds.clear_note()
    return new


def _merge(run: _Run, final: Path, step: Step) -> str | None:
    """Write the rows of `run`'s parts, in order, as the part `final` (through a temporary);
    why not (and nothing left behind) when a part cannot be read or its rows are not
    the ones the checkpoint lists."""
    import pyarrow.dataset as pads

    schema = TABLES[run.table].arrow_schema
    tmp = final.with_name(final.name + ".tmp")
    rows = 0
    try:
        with pq.ParquetWriter(tmp, schema, **parquet_options(run.table)) as out:
            pending: list[pa.Table] = []
            buffered = 0
            for f in run.files:  # one part at a time: memory is a row group's
                # read as readers read it: a column added since is null
                part = pads.dataset([str(f)], schema=schema, format="parquet").to_table()
                pending.append(part)
                buffered += part.num_rows
                rows += part.num_rows
                if buffered >= ROW_GROUP_ROWS:
                    out.write_table(pa.concat_tables(pending), row_group_size=ROW_GROUP_ROWS)
                    pending, buffered = [], 0
            if pending:
                out.write_table(pa.concat_tables(pending), row_group_size=ROW_GROUP_ROWS)
    except (OSError, pa.ArrowException) as e:
        tmp.unlink(missing_ok=True)
        if not all(f.is_file() for f in run.files):
            return "a part is gone; left as it is"
        return f"a part cannot be read ({e}); left as it is"
    if rows != run.rows:
        tmp.unlink(missing_ok=True)
        return f"its parts hold {rows:,} rows, the checkpoint lists {run.rows:,}; left as it is"
    with open(tmp, "rb+") as written:
        os.fsync(written.fileno())
    step("writing", {"path": str(tmp)})
    os.replace(tmp, final)
    return None


def _delete_superseded(root: Path, superseded: dict) -> int:
    """Delete the parts a compaction superseded when no reader holds a pin; those gone
    leave `superseded`. How many were deleted."""
    deleted = 0
    with no_readers(root / "_state") as free:
        if not free:
            return 0
        gone = []
        for rel in list(superseded):
            path = PurePosixPath(rel)
            # only a part name this program gives, inside a table's partition
            if len(path.parts) != 3 or path.parts[0] not in TABLES or not PART.match(path.name):
                continue
            try:
                (root / rel).unlink()
                deleted += 1
            except FileNotFoundError:
                pass
            gone.append(rel)
            del superseded[rel]
        fsync_dirs({(root / rel).parent for rel in gone})
    return deleted


def _rel(ds: Dataset, f: Path) -> str:
    return f.relative_to(ds.root).as_posix()


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"
