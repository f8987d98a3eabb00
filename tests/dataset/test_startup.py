"""A run's start and end off its critical path (branch `startup`): pyarrow's import and the
tables' schema files on the warm-up's thread beside the engine's first batches
(`ingest.warm_up`), whose failure still fails the run before its checkpoint; the
final flushes queued biggest table first; no Python parser made for the oldest file of
a series (nothing reads its first date)."""

import json
import sys
import threading
from datetime import UTC, date

import pytest
from helpers import assert_same_dataset, ingest

from analyzer.dataset.store import Dataset
from analyzer.ingest import commit, years
from analyzer.ingest.warm_up import WarmUp
from analyzer.parse.core import engine_in_use
from analyzer.read.sources import expand
from analyzer.samplegen.postfix import generate_postfix
from analyzer.schema import TABLES


@pytest.fixture(scope="module")
def log(tmp_path_factory):
    lines, _ = generate_postfix(seed=11, days=0.05, messages_per_day=2000)
    path = tmp_path_factory.mktemp("startup") / "maillog"
    path.write_text("".join(line + "\n" for line in lines))
    return path


def _schema_files(data) -> list[str]:
    return sorted(n for n in TABLES if (data / n / "_common_metadata").exists())


def test_a_run_writes_every_schema_file_and_ends_the_warm_up(tmp_path, log, monkeypatch):
    started = []
    start = WarmUp.start
    monkeypatch.setattr(WarmUp, "start", lambda self: (started.append(1), start(self)))
    switch = sys.getswitchinterval()
    data = tmp_path / "d"
    assert ingest([log], data).lines > 0
    assert _schema_files(data) == sorted(TABLES)
    assert not [t for t in threading.enumerate() if t.name == "warm-up"]
    assert sys.getswitchinterval() == switch  # lowered only while the thread imports
    # the engine starts it with its first batch; the Python path makes the files at commit
    assert bool(started) == (engine_in_use() == "compiled")


def test_the_schema_files_failing_fails_the_run_before_its_checkpoint(tmp_path, log, monkeypatch):
    data = tmp_path / "d"
    ensure = Dataset.ensure_tables

    def disk_full(self):
        raise OSError(28, "No space left on device", str(self.root / "messages"))

    monkeypatch.setattr(Dataset, "ensure_tables", disk_full)
    with pytest.raises(OSError, match="No space left"):
        ingest([log], data)
    assert not (data / "_state" / "state.json").exists()  # nothing committed
    assert not list(data.rglob("*.parquet"))  # the run's parts removed

    monkeypatch.setattr(Dataset, "ensure_tables", ensure)
    again = ingest([log], data)
    assert again.lines > 0 and again.sources[0].status == "new"
    assert _schema_files(data) == sorted(TABLES)
    ingest([log], tmp_path / "clean")
    assert_same_dataset(data, tmp_path / "clean")


def test_a_later_commit_of_a_failed_warm_up_is_refused_too(tmp_path, log, monkeypatch):
    """An existing dataset losing a schema file: the run that writes it again fails
    whole when it cannot, its checkpoint left at the commit before."""
    data = tmp_path / "d"
    ingest([log], data)
    state = json.loads((data / "_state" / "state.json").read_text())
    (data / "rejects" / "_common_metadata").unlink()
    longer = tmp_path / "maillog"
    longer.write_bytes(log.read_bytes() + log.read_bytes())

    def fails(self):
        raise PermissionError(13, "Permission denied", str(self.root / "rejects"))

    monkeypatch.setattr(Dataset, "ensure_tables", fails)
    with pytest.raises(PermissionError):
        ingest([longer], data)
    assert json.loads((data / "_state" / "state.json").read_text()) == state


class _Writer:
    """What `_flush_biggest_first` asks of the part writer."""

    def __init__(self, sizes: dict[str, int]):
        self.converted_bytes = dict(sizes)
        self.queued: list[str] = []
        self.flushed = False

    def flush_table(self, table: str) -> None:
        self.queued.append(table)
        self.converted_bytes.pop(table)

    def flush(self) -> None:
        self.flushed = True


def test_the_final_flushes_are_queued_biggest_first():
    writer = _Writer({"rejects": 900, "messages": 8_000, "connections": 2_000, "deliveries": 7_000})
    commit._flush_biggest_first(writer)  # type: ignore[arg-type]
    assert writer.queued == ["messages", "deliveries", "connections", "rejects"]
    assert writer.flushed  # then the rest (rows not converted yet) and the wait


def test_the_oldest_file_of_a_series_is_not_parsed(tmp_path, monkeypatch):
    """Its first date bounds no older file: only the newer files' are read."""
    lines, _ = generate_postfix(seed=3, days=0.05, messages_per_day=500)
    for name in ("maillog.2", "maillog.1", "maillog"):
        (tmp_path / name).write_text("".join(line + "\n" for line in lines))
    read = []
    first_date = years._first_date

    def recording(src, zone, reference):
        read.append(src.path.rsplit("/", 1)[1])
        return first_date(src, zone, reference)

    monkeypatch.setattr(years, "_first_date", recording)
    sources = expand([str(tmp_path / n) for n in ("maillog.2", "maillog.1", "maillog")])
    refs = years.series_references(sources, UTC)
    assert sorted(read) == ["maillog", "maillog.1"]
    assert all(isinstance(d, date) for d in refs.values()) and len(refs) == 3
    read.clear()
    years.series_references(expand([str(tmp_path / "maillog")]), UTC)
    assert read == []  # a lone file: no parser made
