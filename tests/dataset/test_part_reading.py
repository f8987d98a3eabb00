"""Reading part files (`dataset.parts`): with `pyarrow.parquet`, row groups whose time
statistics miss the window skipped, rows equal to a `pyarrow.dataset` scan with the same
filter (how parts were read before), a column a part predates read as nulls, and no
pandas or `pyarrow.dataset` imported on the way."""

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest

from analyzer.dataset import parts
from analyzer.dataset.reading import snapshot
from analyzer.schema import TABLES

T0 = datetime(2026, 11, 26, tzinfo=UTC)
HOUR = 3_600_000_000


def micros(dt: datetime) -> int:
    return (dt - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


@pytest.fixture
def hourly(tmp_path):
    """A part of 4 row groups, one per hour from T0, 10 rows each (a null time in the
    last), times ascending: the statistics of each group cover its hour."""
    times = [T0 + timedelta(hours=h, minutes=6 * i) for h in range(4) for i in range(10)]
    times[-1] = None
    table = pa.table(
        {
            "ts": pa.array(times, pa.timestamp("us", tz="UTC")),
            "n": pa.array(range(40), pa.int64()),
        }
    )
    path = tmp_path / "part.parquet"
    pq.write_table(table, path, row_group_size=10)
    return path


def groups(path, lo, hi):
    return parts.kept_row_groups(pq.read_metadata(path), "ts", lo, hi)


def test_row_groups_outside_the_window_are_skipped(hourly):
    t0 = micros(T0)
    assert groups(hourly, None, None) == [0, 1, 2, 3]
    assert groups(hourly, t0 + HOUR, t0 + 2 * HOUR) == [1]  # until is not in [since, until)
    last_of_first = t0 + 54 * 60_000_000  # group 0: 00:00 to 00:54
    assert groups(hourly, last_of_first, t0 + HOUR + 1) == [0, 1]
    assert groups(hourly, last_of_first + 1, t0 + HOUR + 1) == [1]
    assert groups(hourly, t0 + 2 * HOUR + 1, None) == [2, 3]
    assert groups(hourly, None, t0) == []
    assert groups(hourly, t0 + 5 * HOUR, None) == []


def test_a_part_without_statistics_is_read_whole(tmp_path):
    path = tmp_path / "nostats.parquet"
    table = pa.table({"ts": pa.array([T0], pa.timestamp("us", tz="UTC"))})
    pq.write_table(table, path, write_statistics=False)
    assert groups(path, micros(T0) + 10 * HOUR, None) == [0]


def test_a_part_without_the_time_column_has_no_row_in_a_window(tmp_path):
    path = tmp_path / "notime.parquet"
    pq.write_table(pa.table({"n": [1, 2]}), path)
    assert parts.kept_row_groups(pq.read_metadata(path), "ts", 0, None) == []
    assert parts.kept_row_groups(pq.read_metadata(path), "ts", None, None) == [0]


def test_a_part_is_filtered_to_the_window_row_by_row(hourly):
    schema = pa.schema([("ts", pa.timestamp("us", tz="UTC")), ("n", pa.int64())])
    t0 = micros(T0)
    got = parts._read_part(hourly, "ts", t0 + 30 * 60_000_000, t0 + HOUR, ["ts", "n"], schema)
    assert got.column("n").to_pylist() == [5, 6, 7, 8, 9]
    everything = parts._read_part(hourly, "ts", None, None, ["n"], schema)
    assert everything.column("n").to_pylist() == list(range(40))  # the null time too
    assert parts._read_part(hourly, "ts", t0 + 9 * HOUR, None, ["n"], schema) is None


def test_a_column_a_part_predates_is_read_as_nulls(tmp_path):
    path = tmp_path / "old.parquet"
    pq.write_table(pa.table({"ts": pa.array([T0], pa.timestamp("us", tz="UTC"))}), path)
    schema = pa.schema([("ts", pa.timestamp("us", tz="UTC")), ("later", pa.string())])
    got = parts._read_part(path, "ts", micros(T0), None, ["ts", "later"], schema)
    assert got.schema == schema and got.column("later").to_pylist() == [None]


def scanned(files, table, since, until, columns):
    """The rows as parts were read before: a `pyarrow.dataset` scan with the window as
    its filter."""
    spec = TABLES[table]
    tcol, kind = spec.time_column, spec.arrow_schema.field(spec.time_column).type
    window = None
    if since is not None or until is not None:
        window = pads.field(tcol).is_valid()
        if since is not None:
            window &= pads.field(tcol) >= pa.scalar(since, kind)
        if until is not None:
            window &= pads.field(tcol) < pa.scalar(until, kind)
    ds = pads.dataset([str(f) for f in files], schema=spec.arrow_schema, format="parquet")
    return ds.to_table(columns=columns, filter=window)


@pytest.mark.parametrize("table", ["messages", "deliveries", "rejects"])
def test_read_equals_a_dataset_scan(sample, table):
    snap = snapshot(sample.data)
    columns = TABLES[table].arrow_schema.names
    for since, until in [
        (None, None),
        (T0 + timedelta(hours=6), T0 + timedelta(hours=7)),
        (T0 + timedelta(hours=23, minutes=59), None),
        (None, T0 + timedelta(minutes=1)),
        (T0 + timedelta(days=9), None),
    ]:
        files = snap.parts(table, since.date() if since else None, until.date() if until else None)
        got = snap.read(table, since, until, columns)
        assert got.equals(scanned(files, table, since, until, columns)), (table, since, until)


def test_reading_a_table_imports_neither_pandas_nor_pyarrow_dataset(sample):
    """(pyarrow itself imports pandas at its first conversion of Python values unless
    `cli.report_output.spare_pandas` kept it from it: the CLI's fast paths do.)"""
    probe = (
        "import sys\n"
        "from analyzer.cli.report_output import spare_pandas\n"
        "from analyzer.dataset.reading import arrow_table\n"
        "spare_pandas()\n"  # pyarrow's own look for pandas, as the CLI keeps it from importing
        f"t = arrow_table('messages', {str(sample.data)!r}, '2026-11-26T06:00', tz='UTC')\n"
        "assert t.num_rows > 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pandas'"
        " or m == 'pyarrow.dataset'))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_statistics_in_milliseconds_are_compared_in_microseconds(tmp_path):
    path = tmp_path / "ms.parquet"
    times = [T0 + timedelta(hours=h) for h in range(3)]
    pq.write_table(
        pa.table({"ts": pa.array(times, pa.timestamp("ms", tz="UTC"))}), path, row_group_size=1
    )
    assert groups(path, micros(T0) + HOUR, micros(T0) + HOUR + 1) == [1]
    assert groups(path, micros(T0) + 1, None) == [1, 2]
