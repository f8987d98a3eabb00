"""The engine hands its column buffers to Arrow without a copy (`correlate/buffer.rs`):
the Arrow tables wrap the very Vecs the rows were written into. What Arrow holds must
stay valid after the engine has moved on (taken again, written new rows, closed) and be
freed once Arrow lets go of it."""

from __future__ import annotations

import ctypes
import gc
import weakref
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from both import require_core
from test_compiled_engine import _generated, count_runs, dated_copy, ingest

from analyzer.ingest import compiled
from analyzer.read import batches
from analyzer.schema import TABLES


@pytest.fixture(autouse=True)
def _core():
    require_core()


def _kept_rows(name: str, tables: list[pa.Table]) -> list[tuple]:
    """The rows of the tables the engine handed over with their partition day (`__day`),
    in a total order (repr: None-safe)."""
    if not tables:
        return []
    for t in tables:
        t.validate(full=True)
    whole = pa.concat_tables(tables)
    columns = [whole[c.name].to_pylist() for c in TABLES[name].columns]
    return sorted(zip(whole["__day"].to_pylist(), *columns, strict=True), key=repr)


def _dataset_rows(data: Path, name: str) -> list[tuple]:
    """Every row of table `name` in a dataset's parts, with the day of its partition."""
    epoch = datetime(1970, 1, 1).date()
    rows = []
    for part in sorted((data / name).glob("date=*/part-*.parquet")):
        day = (datetime.strptime(part.parent.name[5:], "%Y-%m-%d").date() - epoch).days
        t = pq.read_table(part)
        columns = [t[c.name].to_pylist() for c in TABLES[name].columns]
        rows += zip([day] * t.num_rows, *columns, strict=True)
    return sorted(rows, key=repr)


def test_arrow_keeps_the_rows_after_the_engine_moved_on_and_frees_them(monkeypatch, tmp_path):
    monkeypatch.setattr(batches, "CHUNK", 64 << 10)  # many batches,
    monkeypatch.setattr(compiled, "_TAKE_BYTES", 1)  # every table's rows taken after each
    kept: dict[str, list[pa.Table]] = {}
    buffers: list[weakref.ref] = []
    wrap = compiled.arrow_table

    def keeping(name, rows, columns, days):
        table = wrap(name, rows, columns, days)
        kept.setdefault(name, []).append(table)
        for valid, _, bufs in columns:
            buffers.extend(weakref.ref(b) for b in [valid, *bufs] if b is not None)
        buffers.append(weakref.ref(days))
        return table

    monkeypatch.setattr(compiled, "arrow_table", keeping)
    runs = count_runs(monkeypatch)
    lines = _generated(datetime(2026, 3, 2, 22), days=0.5, messages=800, seed=5)
    log = dated_copy(lines, tmp_path / "maillog")
    ingest(monkeypatch, [log], tmp_path / "python", engine=False)
    ingest(monkeypatch, [log], tmp_path / "engine", engine=True)
    assert runs["batches"] > 8 and runs["handed_over"] == 0
    takes = sum(len(tables) for tables in kept.values())
    assert takes > 50 and len(buffers) > 500, (takes, len(buffers))
    # the engine is closed and gone, its later takes wrote into fresh Vecs: the tables
    # taken first still read back as the Python core's rows
    gc.collect()
    assert all(b() is not None for b in buffers)  # held by the kept tables only
    for name in TABLES:
        assert _kept_rows(name, kept.get(name, [])) == _dataset_rows(tmp_path / "python", name)
    assert kept["messages"] and kept["deliveries"]
    # once Arrow lets go of the tables, every buffer the engine handed over is freed
    kept.clear()
    gc.collect()
    alive = [b for b in buffers if b() is not None]
    assert not alive, f"{len(alive)} of {len(buffers)} column buffers still alive"


def test_a_column_buffer_is_read_only_and_arrow_reads_it_in_place(monkeypatch, tmp_path):
    handed = []
    wrap = compiled.arrow_table

    def first(name, rows, columns, days):
        table = wrap(name, rows, columns, days)
        if name == "messages":
            handed.append((table, columns, days))
        return table

    monkeypatch.setattr(compiled, "arrow_table", first)
    lines = _generated(datetime(2026, 3, 2, 22), days=0.1, messages=200, seed=2)
    ingest(monkeypatch, [dated_copy(lines, tmp_path / "maillog")], tmp_path / "d", engine=True)
    table, columns, days = handed[0]  # the first messages taken
    view = memoryview(days)
    assert view.readonly and view.nbytes == len(days) == 4 * table.num_rows
    assert view.cast("i").tolist() == table["__day"].to_pylist()
    # the Arrow table holds the handed memory itself, not a copy of it
    day_values = table["__day"].chunks[0].buffers()[1]
    assert day_values.address == pa.py_buffer(days).address
    _, _, (ints,) = columns[[f.name for f in table.schema].index("first_seen")]
    assert table["first_seen"].chunks[0].buffers()[1].address == pa.py_buffer(ints).address
    with pytest.raises(TypeError, match="not writable"):
        ctypes.c_char.from_buffer(days)
