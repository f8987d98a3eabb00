"""Writing the rows of one commit as Parquet parts: buffered per table, converted to Arrow
in chunks, written per UTC day under a temporary name, fsynced and renamed into place.

A table's flush (split by day, Parquet encoded as `schema.storage` says, fsync) is queued
to the writer's threads (`flush_queue`: a table's flushes in order, tables at once) while
the run reads on: Arrow releases the GIL there, so on two cores the writing costs the
reading little. At most QUEUED flushes wait (the run waits only beyond them: memory
stays bounded, and tables often fill up together); an error surfaces at the next flush.
`flush` waits for the queue before the commit writes its checkpoint, so the checkpoint
never names a part that is not durable, and `discard` waits for it before deleting what
it wrote.
"""

from __future__ import annotations

import os
import threading
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from ..schema import TABLES
from ..schema.storage import parquet_options
from .durable import fsync_dirs
from .flush_queue import FlushQueue

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from .store import Dataset

# pyarrow is imported when the first rows are converted: a run with nothing new to read
# (which still makes its writer) starts without it

CONVERT_ROWS = 5_000
FLUSH_BYTES = 8 << 20  # Arrow bytes per table before a part is written
QUEUED = 3  # flushes waiting for the writer's threads before the run waits too
WRITER_THREADS = 2  # the cores: a commit's last flushes are on the run's critical path
_DAY_US = 86_400_000_000


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
        self._queue: FlushQueue[list[pa.Table]] = FlushQueue(self._write, WRITER_THREADS, QUEUED)
        self._naming = threading.Lock()  # the writer's threads number parts in turn

    def add(self, table: str, row: dict) -> None:
        rows = self.rows[table]
        rows.append(row)
        if len(rows) >= CONVERT_ROWS:
            self._convert(table)
            if self.converted_bytes[table] >= FLUSH_BYTES:
                self.flush_table(table)

    def flush(self) -> None:
        """Write every table's rows and wait until their parts are durable."""
        for table in set(self.rows) | set(self.converted):
            self.flush_table(table)
        self.wait()
        fsync_dirs({f.parent for f in self.files})
        self.files.clear()

    def wait(self) -> None:
        """Until every queued flush is written (the threads then end: a commit's last
        wait); raises what a write raised (the flushes queued after it are dropped: the
        commit fails)."""
        self._queue.join()

    def _convert(self, table: str) -> None:
        rows = self.rows.pop(table, None)
        if not rows:
            return
        import pyarrow as pa

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
        """Start writing `table`'s rows as parts (after the flush in flight)."""
        self._convert(table)
        parts = self.converted.pop(table, None)
        self.converted_bytes.pop(table, None)
        if not parts:
            return
        if self._queue.failed is not None:
            self.wait()  # raises it
        self._queue.put(table, parts)

    def _write(self, table: str, parts: list[pa.Table]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        arrow = pa.concat_tables(parts)
        days = _day_numbers(arrow["__day"].combine_chunks())
        arrow = arrow.drop_columns(["__day"])
        # each column's Arrow bytes per row over the flush, for the codec of its parts:
        # `nbytes` of a part's slices costs ~10 µs a column, the flush's buffers ~1 µs
        per_row = {
            name: column.get_total_buffer_size() / max(arrow.num_rows, 1)
            for name, column in zip(arrow.column_names, arrow.columns, strict=True)
        }
        for day, runs in _day_runs(days):
            # a day's rows in their order: slices of the flush, not copied (rows come in
            # time order but for a few stragglers: no sort, no `take` of every column)
            part = pa.concat_tables([arrow.slice(start, length) for start, length in runs])
            name = (date(1970, 1, 1) + timedelta(days=day)).isoformat()
            d = self.root / table / f"date={name}"
            d.mkdir(parents=True, exist_ok=True)
            with self._naming:
                self.seq += 1
                final = d / f"part-{self.commit:08d}-{self.seq:05d}.parquet"
                tmp = final.with_name(final.name + ".tmp")
                if self.noted != self.commit:
                    self.ds.note_commit(self.commit)
                    self.noted = self.commit
                self.uncommitted += [tmp, final]
            sizes = {name: bytes_per_row * part.num_rows for name, bytes_per_row in per_row.items()}
            pq.write_table(part, tmp, **parquet_options(table, sizes=sizes))
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
        try:
            self.wait()  # its files are in self.uncommitted once it is done
        except BaseException:  # noqa: BLE001 -- the failure being cleaned up after
            pass
        removed = 0
        if self.uncommitted and self.ds.state_commit() < self.commit:
            for f in self.uncommitted:
                try:
                    f.unlink()
                    removed += f.suffix == ".parquet"
                except FileNotFoundError:
                    pass
            self.ds.clear_note()
        self.uncommitted.clear()
        self.new_parts.clear()
        self.rows.clear()
        self.converted.clear()
        self.converted_bytes.clear()
        return removed


def _day_numbers(days: pa.Array) -> np.ndarray:
    """The int32 day column (no nulls) as numpy, read off its buffer: `to_numpy` would
    import pandas (0.2 s)."""
    import numpy as np

    return np.frombuffer(days.buffers()[1], dtype=np.int32, count=len(days), offset=days.offset * 4)


def _day_runs(days: np.ndarray) -> list[tuple[int, list[tuple[int, int]]]]:
    """Per day, ascending: the (start, length) runs of its rows, in row order, which is
    the stable sort by day. numpy, already loaded with pyarrow: `pyarrow.compute` would
    add 30-40 ms to every run's start."""
    import numpy as np

    cuts = (np.flatnonzero(days[1:] != days[:-1]) + 1).tolist()
    by_day: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for start, end in zip([0, *cuts], [*cuts, len(days)], strict=True):
        by_day[int(days[start])].append((start, end - start))
    return sorted(by_day.items())
