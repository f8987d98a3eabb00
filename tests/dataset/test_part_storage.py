"""How parts are stored (`schema.storage`): every table's rows read back exactly as written,
whatever encoding and codec each column got; the choices are the ones the module states;
and the part writer's split by day keeps each day's rows in their arrival order whether
or not the flush came in day order."""

from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analyzer.dataset.store import Dataset
from analyzer.schema import TABLES
from analyzer.schema.storage import DISTINCT, ZSTD_BYTES, parquet_options

DAY_US = 86_400_000_000
T0 = int(datetime(2026, 11, 26, tzinfo=UTC).timestamp() * 1_000_000)


def _value(kind: str, i: int):
    """A value of a column type for row `i`; every seventh row null (a time: never)."""
    if i % 7 == 3 and kind != "timestamp":
        return None
    return {
        "timestamp": T0 + i * 1_000_003,
        "string": f"v{i % 5}" if i % 2 else f"value-{i}-\u00e9\x00\n",
        "int64": (-1) ** i * i * 1_000_000_007,
        "float64": i / 3,
        "bool": i % 3 == 0,
    }[kind]


def _table(name: str, rows: int) -> pa.Table:
    spec = TABLES[name]
    data = {c.name: [_value(c.type, i) for i in range(rows)] for c in spec.columns}
    return pa.Table.from_pydict(data, schema=spec.arrow_schema)


def test_distinct_names_real_columns_of_every_table():
    assert set(DISTINCT) == set(TABLES)
    for name, columns in DISTINCT.items():
        assert columns <= set(TABLES[name].names), name


@pytest.mark.parametrize("name", list(TABLES))
@pytest.mark.parametrize("rows", [1, 9_000])
def test_every_table_reads_back_exactly(tmp_path, name, rows):
    table = _table(name, rows)
    path = tmp_path / "part.parquet"
    pq.write_table(table, path, **parquet_options(name, table))
    back = pq.read_table(path)
    assert back.schema.equals(table.schema)
    assert back.equals(table)
    # the time column keeps its statistics: readers skip row groups outside a window
    stats = pq.ParquetFile(path).metadata.row_group(0).column(0).statistics
    assert stats.has_min_max and stats.min_raw == T0


def test_encodings_and_codecs_are_the_stated_ones(tmp_path):
    table = _table("deliveries", 7_000)
    path = tmp_path / "part.parquet"
    pq.write_table(table, path, **parquet_options("deliveries", table))
    group = pq.ParquetFile(path).metadata.row_group(0)
    chunks = {group.column(i).path_in_schema: group.column(i) for i in range(group.num_columns)}
    assert table.column("response").nbytes >= ZSTD_BYTES > table.column("delay").nbytes
    assert chunks["response"].compression == "ZSTD"
    assert chunks["delay"].compression == "SNAPPY"
    assert not chunks["response"].has_dictionary_page  # mostly distinct: no dictionary
    assert chunks["host"].has_dictionary_page  # repeated
    assert "DELTA_BINARY_PACKED" in chunks["ts"].encodings
    assert not chunks["ts"].has_dictionary_page


def test_compaction_options_compress_with_zstd_throughout():
    assert parquet_options("messages")["compression"] == "zstd"


@pytest.mark.parametrize("in_order", [True, False])
def test_each_day_keeps_its_rows_in_arrival_order(tmp_path, in_order):
    w = Dataset(tmp_path / "d").writer(1)
    days = [0, 0, 1, 1, 2, 2] * 50 if in_order else [2, 0, 1, 0, 2, 1] * 50
    if in_order:
        days.sort()
    for i, day in enumerate(days):
        w.add("messages", {"first_seen": T0 + day * DAY_US + i, "queue_id": f"q{i}"})
    w.flush()
    assert len(w.new_parts) == 3  # one part per day of the flush
    by_day: dict[str, list[str]] = {}
    for rel in sorted(w.new_parts):
        ids = pq.read_table(tmp_path / "d" / rel).column("queue_id").to_pylist()
        by_day.setdefault(rel.split("/")[1], []).extend(ids)
    expected: dict[str, list[str]] = {}
    for i, day in enumerate(days):
        expected.setdefault(f"date=2026-11-{26 + day}", []).append(f"q{i}")
    assert by_day == expected
