"""The engine's column buffers as Arrow tables (`columns.rs` `Table::take`,
`compiled.arrow_table`): tables taken after every batch and kept while the engine goes
on (takes again into the same column Vecs, closes) still read back as the Python core's
rows, each with its partition day."""

from __future__ import annotations

import gc
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


def test_taken_tables_stay_whole_after_the_engine_moved_on(monkeypatch, tmp_path):
    monkeypatch.setattr(batches, "CHUNK", 64 << 10)  # many batches,
    monkeypatch.setattr(compiled, "_TAKE_BYTES", 1)  # every table's rows taken after each
    kept: dict[str, list[pa.Table]] = {}
    wrap = compiled.arrow_table

    def keeping(name, rows, columns, days):
        table = wrap(name, rows, columns, days)
        kept.setdefault(name, []).append(table)
        return table

    monkeypatch.setattr(compiled, "arrow_table", keeping)
    runs = count_runs(monkeypatch)
    lines = _generated(datetime(2026, 3, 2, 22), days=0.5, messages=800, seed=5)
    log = dated_copy(lines, tmp_path / "maillog")
    ingest(monkeypatch, [log], tmp_path / "python", engine=False)
    ingest(monkeypatch, [log], tmp_path / "engine", engine=True)
    assert runs["batches"] > 8 and runs["handed_over"] == 0
    takes = sum(len(tables) for tables in kept.values())
    assert takes > 50, takes
    gc.collect()  # the engine is closed and gone
    for name in TABLES:
        assert _kept_rows(name, kept.get(name, [])) == _dataset_rows(tmp_path / "python", name)
    assert kept["messages"] and kept["deliveries"]
