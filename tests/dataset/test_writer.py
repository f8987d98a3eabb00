"""The part writer's storage choices (branch `writer`): statistics only where readers use
them (the time column, `host`), each column's codec from its bytes per row over the
flush, and the options of a table not shared between calls."""

from datetime import UTC, datetime

import pyarrow.parquet as pq

from analyzer.dataset.store import Dataset
from analyzer.schema import TABLES
from analyzer.schema.storage import ZSTD_BYTES, parquet_options

T0 = int(datetime(2026, 11, 26, tzinfo=UTC).timestamp() * 1_000_000)


def _chunks(path):
    group = pq.ParquetFile(path).metadata.row_group(0)
    return {group.column(i).path_in_schema: group.column(i) for i in range(group.num_columns)}


def _write(tmp_path, rows):
    w = Dataset(tmp_path / "d").writer(1)
    for row in rows:
        w.add("deliveries", row)
    w.flush()
    (rel,) = w.new_parts
    return tmp_path / "d" / rel


def test_statistics_only_on_the_time_column_and_host(tmp_path):
    rows = [
        {"ts": T0 + i, "host": "mx1", "queue_id": f"Q{i:06d}", "recipient": f"u{i % 9}@x.org"}
        for i in range(500)
    ]
    chunks = _chunks(_write(tmp_path, rows))
    assert chunks["ts"].statistics.has_min_max and chunks["ts"].statistics.min_raw == T0
    assert chunks["host"].statistics.has_min_max and chunks["host"].statistics.max == "mx1"
    for name in ("queue_id", "recipient", "response"):
        stats = chunks[name].statistics
        assert stats is None or not stats.has_min_max, name
    back = pq.read_table(tmp_path / "d" / "deliveries").to_pylist()
    assert [r["queue_id"] for r in back] == [r["queue_id"] for r in rows]


def test_codec_follows_the_columns_bytes_per_row(tmp_path):
    # 2,000 responses of ~100 bytes: past ZSTD_BYTES; the host's dictionary-encoded
    # strings (3 bytes + a 4-byte offset a row) stay below it
    rows = [
        {"ts": T0 + i, "host": "mx1", "response": f"250 2.0.0 Ok {i:090d}"} for i in range(2_000)
    ]
    chunks = _chunks(_write(tmp_path, rows))
    assert 2_000 * 100 >= ZSTD_BYTES > 2_000 * 7
    assert chunks["response"].compression == "ZSTD"
    assert chunks["host"].compression == "SNAPPY"


def test_sizes_choose_the_codec_without_the_part():
    options = parquet_options("deliveries", sizes={"ts": ZSTD_BYTES, "host": ZSTD_BYTES - 1})
    assert options["compression"] == {"ts": "zstd", "host": "snappy"}
    assert options["write_statistics"] == ["ts", "host"]


def test_each_call_gets_its_own_options():
    first = parquet_options("messages")
    first["compression"] = "none"
    first["write_statistics"] = False
    again = parquet_options("messages")
    assert again["compression"] == "zstd"
    assert again["write_statistics"] == [TABLES["messages"].time_column, "host"]
