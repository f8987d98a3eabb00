"""Both cores end to end: the same log ingested with `ANALYZER_CORE=python` and with
`ANALYZER_CORE=rust` gives the same dataset, every table row for row and column for
column, in one run and cut into many commits (the checkpoint is shared: a run under one
core continues under the other)."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from both import require_core
from helpers import assert_same_dataset, table

from analyzer import api
from analyzer.parse import rust_batch

SAMPLE = Path(__file__).resolve().parents[2] / "sample_logs" / "maillog"
COMMIT_LINES = "7000"  # a commit every few batches: the open state crosses many commits


@pytest.fixture(scope="module")
def log(tmp_path_factory) -> Path:
    """The sample log with its mtime at its last line, as a live maillog's: the year
    comes from the file (no --year), the way the compiled core dates lines itself."""
    copy = tmp_path_factory.mktemp("log") / "maillog"
    shutil.copyfile(SAMPLE, copy)
    last = copy.read_bytes().rstrip(b"\n").rsplit(b"\n", 1)[-1].decode()
    stamp = datetime.strptime(f"{last[:15]} 2026", "%b %d %H:%M:%S %Y").replace(tzinfo=UTC)
    os.utime(copy, (stamp.timestamp(), stamp.timestamp()))
    return copy


def ingest(monkeypatch, log: Path, data: Path, core: str, year: int | None = None) -> None:
    monkeypatch.setenv("ANALYZER_CORE", core)
    api.ingest([str(log)], data=str(data), tz="UTC", year=year)


@pytest.mark.parametrize("year", [None, 2026])
def test_both_cores_give_the_same_dataset(monkeypatch, tmp_path, log, year):
    require_core()
    ingest(monkeypatch, log, tmp_path / "python", "python", year)

    def whole_batch_in_python(job):  # the sample is small: parsed in this process
        raise AssertionError("the compiled core handed a whole batch to Python")

    monkeypatch.setattr(rust_batch, "python_parse_batch", whole_batch_in_python)
    ingest(monkeypatch, log, tmp_path / "rust", "rust", year)
    assert len(table(tmp_path / "python", "messages")) > 3000  # the sample, not an empty run
    assert_same_dataset(tmp_path / "python", tmp_path / "rust")


def test_a_run_continues_under_the_other_core(monkeypatch, tmp_path, log):
    """The log grows between runs; each run uses the other core and commits often."""
    require_core()
    monkeypatch.setenv("ANALYZER_COMMIT_LINES", COMMIT_LINES)
    lines = log.read_bytes().splitlines(keepends=True)
    grown = tmp_path / "maillog"
    cuts = [len(lines) // 3, 2 * len(lines) // 3, len(lines)]
    stat = log.stat()
    done = 0
    for i, cut in enumerate(cuts):
        with grown.open("ab") as f:
            f.writelines(lines[done:cut])
        done = cut
        os.utime(grown, (stat.st_atime, stat.st_mtime))
        ingest(monkeypatch, grown, tmp_path / "mixed", ("rust", "python")[i % 2])
    ingest(monkeypatch, log, tmp_path / "whole", "python")
    assert_same_dataset(tmp_path / "whole", tmp_path / "mixed")


@pytest.fixture(scope="module", params=["exim", "sendmail"])
def mta_log(request, tmp_path_factory) -> tuple[str, Path]:
    """A generated day of Exim's own log or Sendmail syslog with the incidents planted,
    its mtime at its last line (the year of Sendmail's BSD lines comes from it)."""
    from analyzer.samplegen.mta import write_mta

    path = tmp_path_factory.mktemp(request.param) / (
        "mainlog" if request.param == "exim" else "maillog"
    )
    write_mta(request.param, path, start=datetime(2026, 11, 26), incidents=True)
    last = path.read_bytes().rstrip(b"\n").rsplit(b"\n", 1)[-1].decode()
    if request.param == "exim":
        stamp = datetime.strptime(last[:19], "%Y-%m-%d %H:%M:%S")
    else:
        stamp = datetime.strptime(f"{last[:15]} 2026", "%b %d %H:%M:%S %Y")
    stamp = stamp.replace(tzinfo=UTC)
    os.utime(path, (stamp.timestamp(), stamp.timestamp()))
    return request.param, path


def test_both_cores_give_the_same_dataset_on_exim_and_sendmail(monkeypatch, tmp_path, mta_log):
    require_core()
    mta, log = mta_log
    monkeypatch.setenv("ANALYZER_COMMIT_LINES", COMMIT_LINES)
    ingest(monkeypatch, log, tmp_path / "python", "python")

    def whole_batch_in_python(job):
        raise AssertionError(f"the compiled core handed a whole {mta} batch to Python")

    monkeypatch.setattr(rust_batch, "python_parse_batch", whole_batch_in_python)
    ingest(monkeypatch, log, tmp_path / "rust", "rust")
    assert len(table(tmp_path / "python", "messages")) > 2000, mta  # not an empty run
    assert len(table(tmp_path / "python", "rejects")) > 100, mta  # the incidents are in
    assert_same_dataset(tmp_path / "python", tmp_path / "rust")
