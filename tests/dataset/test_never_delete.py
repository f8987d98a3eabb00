"""Committed data is never deleted or hidden: parts no checkpoint knows are moved aside,
only provable debris of an interrupted commit is deleted, a failed run removes its own
uncommitted parts."""

import errno
import json
import os
import shutil
import subprocess
import sys
import threading
from datetime import datetime

import pyarrow.parquet as pq
import pytest
from helpers import assert_same_dataset, ingest, snapshot

from analyzer.dataset import store
from analyzer.dataset.store import Dataset
from analyzer.ingest import run as ingest_module
from analyzer.samplegen.postfix import generate_postfix

MTIME = datetime(2026, 11, 27, 12, 0).timestamp()


@pytest.fixture(scope="module")
def lines():
    return generate_postfix(seed=31, days=0.1, messages_per_day=8000)[0]


def _write(path, lines):
    path.write_text("".join(line + "\n" for line in lines))
    os.utime(path, (MTIME, MTIME))
    return path


def _parts(data):
    return {p.relative_to(data): p.read_bytes() for p in data.glob("*/date=*/part-*")}


def _orphaned(data):
    return {
        p.relative_to(next((data / "_orphaned").iterdir())): p.read_bytes()
        for p in (data / "_orphaned").rglob("part-*")
    }


def _many_commits(monkeypatch):
    from analyzer.read import batches

    monkeypatch.setattr(batches, "CHUNK", 16 << 10)  # batches of about 100 lines
    monkeypatch.setattr(ingest_module, "COMMIT_LINES", 300)


@pytest.fixture
def reference(tmp_path, lines):
    ingest([_write(tmp_path / "all", lines)], tmp_path / "ref", year=2026)
    return tmp_path / "ref"


def test_a_missing_checkpoint_moves_the_parts_aside(tmp_path, lines, reference):
    log = _write(tmp_path / "maillog", lines)
    data = tmp_path / "d"
    ingest([log], data, year=2026)
    before = _parts(data)
    assert before
    os.remove(data / "_state" / "state.json")  # deleted by hand, or a restore without it
    from analyzer import api
    from analyzer.errors import AnalyzerError

    with pytest.raises(AnalyzerError, match=f"{len(before):,} part files but no checkpoint"):
        api.status(data)
    summary = ingest([log], data, year=2026)
    assert _orphaned(data) == before  # every committed part kept, byte for byte
    (warning,) = [w for w in summary.warnings if "_orphaned" in w]
    assert f"{len(before):,} part files" in warning and "no checkpoint" in warning
    assert_same_dataset(data, reference)  # read again from the logs, counted once
    (count,) = api.status(data)["orphaned"].values()
    assert count == len(before)


def test_an_older_checkpoint_restored_moves_the_newer_parts_aside(
    tmp_path, lines, reference, monkeypatch
):
    """A backup of DATA/_state restored: the parts committed after it are moved aside and
    the re-run from its checkpoint gives the exact dataset."""
    _many_commits(monkeypatch)
    log = tmp_path / "maillog"
    data = tmp_path / "d"
    ingest([_write(log, lines[:2000])], data, year=2026)
    backup = tmp_path / "state-backup"
    shutil.copytree(data / "_state", backup)
    old_commit = Dataset(data).state()["commit"]
    committed_before = set(_parts(data))
    ingest([_write(log, lines)], data, year=2026)
    newer = {p: b for p, b in _parts(data).items() if p not in committed_before}
    assert newer
    shutil.rmtree(data / "_state")
    shutil.copytree(backup, data / "_state")
    summary = ingest([log], data, year=2026)
    assert _orphaned(data) == newer
    assert any(f"commit {old_commit}, older" in w for w in summary.warnings)
    assert_same_dataset(data, reference)


def test_an_older_state_json_alone_sets_the_newer_open_state_aside(tmp_path, lines, monkeypatch):
    """Only state.json restored, not the open state beside it: the open state of later
    commits cannot be rolled back to it, so it is kept aside (never deleted) with a
    warning, and no line is counted twice."""
    _many_commits(monkeypatch)
    log = tmp_path / "maillog"
    data = tmp_path / "d"
    ingest([_write(log, lines[:2000])], data, year=2026)
    backup = (data / "_state" / "state.json").read_bytes()
    ingest([_write(log, lines)], data, year=2026)
    (data / "_state" / "state.json").write_bytes(backup)
    summary = ingest([log], data, year=2026)
    assert any("open state is newer than the checkpoint" in w for w in summary.warnings)
    assert list((data / "_state").glob("open.sqlite.without-checkpoint-*"))
    again = ingest([log], data, year=2026)
    assert not again.warnings and sum(again.rows.values()) == 0


def test_debris_of_an_interrupted_commit_is_deleted(tmp_path, lines, reference, monkeypatch):
    """A run that dies after writing parts but before its checkpoint (as under kill -9)
    leaves parts of the commit it noted: the next run deletes them, and moves nothing."""
    log = _write(tmp_path / "maillog", lines[:1000])
    data = tmp_path / "d"
    ingest([log], data, year=2026)
    committed = _parts(data)

    def die(self, state):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(Dataset, "commit", die)
        m.setattr(store.PartWriter, "discard", lambda self: 0)  # a killed run cleans nothing
        with pytest.raises(KeyboardInterrupt):
            ingest([_write(log, lines)], data, year=2026)
    assert set(_parts(data)) > set(committed)
    assert (data / "_state" / "writing").exists()
    ingest([log], data, year=2026)
    assert not (data / "_orphaned").exists()
    assert not (data / "_state" / "writing").exists()
    assert_same_dataset(data, reference)


def test_disk_full_mid_commit_removes_the_runs_own_parts(tmp_path, lines, reference, monkeypatch):
    _many_commits(monkeypatch)
    log = _write(tmp_path / "maillog", lines[:1000])
    data = tmp_path / "d"
    ingest([log], data, year=2026)
    real_write, real_commit = pq.write_table, Dataset.commit
    commits, writes = [], []

    def count_commits(self, state):
        real_commit(self, state)
        commits.append(state["commit"])
        writes.clear()

    counting = threading.Lock()  # the part writer writes on two threads

    def write_until_full(table, where, **kw):
        with counting:
            writes.append(where)
            full = len(commits) == 2 and len(writes) == 2  # the 3rd commit's 2nd file
        real_write(table, where, **kw)
        if full:  # half a file, then ENOSPC
            with open(where, "r+b") as f:
                f.truncate(os.path.getsize(where) // 2)
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Dataset, "commit", count_commits)
    monkeypatch.setattr(pq, "write_table", write_until_full)  # the writer's
    with pytest.raises(store.StoreError, match="no space left on device while writing") as failed:
        ingest([_write(log, lines)], data, year=2026)
    assert failed.value.__cause__.errno == errno.ENOSPC
    commit = Dataset(data).state()["commit"]
    assert commit >= 3  # earlier commits of the failed run stand
    leftovers = [
        p
        for p in data.rglob("*")
        if p.is_file()
        and (p.name.endswith(".tmp") or (p.name.startswith("part-") and int(p.name[5:13]) > commit))
    ]
    assert leftovers == []
    assert not (data / "_state" / "writing").exists()
    monkeypatch.undo()
    ingest([log], data, year=2026)
    assert_same_dataset(data, reference)


def test_parts_of_a_finished_commit_survive_a_failure_after_it(tmp_path, lines, monkeypatch):
    """A failure after the checkpoint named the parts (say, writing the journal cursor
    file) deletes nothing: they are committed."""
    log = _write(tmp_path / "maillog", lines[:1000])
    data = tmp_path / "d"
    real_commit = Dataset.commit

    def commit_then_fail(self, state):
        real_commit(self, state)
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(Dataset, "commit", commit_then_fail)
    with pytest.raises(OSError):
        ingest([log], data, year=2026)
    monkeypatch.undo()
    parts = _parts(data)
    assert parts and all(int(p.name[5:13]) <= Dataset(data).state()["commit"] for p in parts)
    assert sum(len(df) for df in snapshot(data).values()) > 0


# --- a part deleted or damaged by hand is reported, with the rows it held ------------------


@pytest.fixture
def dataset(tmp_path, lines):
    data = tmp_path / "d"
    ingest([_write(tmp_path / "maillog", lines)], data, year=2026)
    return data


def _biggest_part(data, table):
    state = Dataset(data).state()
    rel, rows = max(
        ((p, n) for p, n in state["parts"].items() if p.startswith(table + "/")),
        key=lambda kv: kv[1],
    )
    return data / rel, rows


def test_a_deleted_part_is_reported_by_status_reads_and_reports(dataset):
    from typer.testing import CliRunner

    from analyzer import api
    from analyzer.cli.app import app
    from analyzer.dataset.store import PartsMissing

    total = len(api.table("deliveries", data=dataset))
    part, rows = _biggest_part(dataset, "deliveries")
    assert rows > 0
    os.remove(part)
    info = api.status(dataset)
    assert [(p["path"], p["rows"], p["reason"]) for p in info["missing_parts"]] == [
        (part.relative_to(dataset).as_posix(), rows, "missing")
    ]
    assert info["tables"]["deliveries"]["missing_rows"] == rows
    with pytest.warns(PartsMissing, match=f"deliveries {rows:,} rows"):
        assert len(api.table("deliveries", data=dataset)) == total - rows
    runner = CliRunner()
    out = runner.invoke(app, ["top-senders", "--data", str(dataset), "--since", "all"])
    assert out.exit_code == 0 and "missing or unreadable" in out.stderr
    out = runner.invoke(app, ["status", "--data", str(dataset)])
    assert "missing or unreadable" in out.stderr and part.name in out.stderr
    report = __import__("analyzer.nightly.model", fromlist=["build"]).build(
        dataset, since="2026-11-01", until="2026-12-01", tz="UTC"
    )
    assert report.incidents[0].kind == "data_missing"
    assert any(f"{rows:,} rows" in n for n in report.notes)


def test_an_unreadable_part_is_reported_and_the_others_are_read(dataset):
    from analyzer import api
    from analyzer.dataset.store import PartsMissing

    total = len(api.table("deliveries", data=dataset))
    part, rows = _biggest_part(dataset, "deliveries")
    part.write_bytes(b"PAR1" + b"\0" * 100)  # damaged by hand
    with pytest.warns(PartsMissing, match="missing or unreadable"):
        assert len(api.table("deliveries", data=dataset)) == total - rows
    (lost,) = api.status(dataset)["missing_parts"]
    assert lost["rows"] == rows and lost["reason"].startswith("unreadable")


def test_a_checkpoint_from_before_the_list_of_parts_gets_one(dataset, tmp_path, lines):
    ds = Dataset(dataset)
    state = ds.state()
    listed = state.pop("parts")
    (dataset / "_state" / "state.json").write_text(json.dumps(state))  # as it was written
    assert api_status_missing(dataset) == []
    ingest([tmp_path / "maillog"], dataset, year=2026)  # nothing new to read
    assert ds.state()["parts"] == listed


def api_status_missing(data):
    from analyzer import api

    return api.status(data)["missing_parts"]


# --- dates: a sane --year, and lines that cannot be dated are not checkpointed past ------


def test_year_outside_1990_to_next_year_is_an_error(tmp_path, lines):
    from analyzer import api
    from analyzer.errors import AnalyzerError

    log = _write(tmp_path / "maillog", lines[:10])
    next_year = datetime.now().year + 1
    for year in (1989, next_year + 1, 26):
        with pytest.raises(AnalyzerError, match=f"--year {year} is out of range"):
            ingest([log], tmp_path / "d", year=year)
        with pytest.raises(AnalyzerError, match="out of range"):
            list(api.parse_lines(lines[:1], year=year))
    assert not (tmp_path / "d").exists()
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "analyzer",
            "ingest",
            str(log),
            "--data",
            str(tmp_path / "d"),
            "--year",
            "20266",
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1 and "from 1990 to" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert ingest([log], tmp_path / "d", year=1990).lines == 10
    assert (
        ingest([_write(tmp_path / "next", lines[:10])], tmp_path / "d2", year=next_year).lines == 10
    )


def test_a_run_whose_lines_all_fail_to_date_does_not_move_the_checkpoint(tmp_path, lines):
    """A leap day's log read with a wrong --year: no line has a date, so nothing is stored
    and the file is read again, whole, by the run with the right year."""
    leap = [line.replace("Nov 26", "Feb 29", 1) for line in lines if line.startswith("Nov 26")]
    log = _write(tmp_path / "maillog", leap)
    data = tmp_path / "d"
    wrong = ingest([log], data, year=2025)
    assert any(f"none of {len(leap):,} lines" in w and "readable date" in w for w in wrong.warnings)
    assert wrong.sources[0].status.startswith("not stored")
    assert Dataset(data).state()["sources"] == {}
    assert sum(len(df) for df in snapshot(data).values()) == 0
    right = ingest([log], data, year=2024)
    assert right.lines == len(leap) and right.unparsed == 0
    ingest([_write(tmp_path / "all", leap)], tmp_path / "ref", year=2024)
    assert_same_dataset(data, tmp_path / "ref")


def test_undated_lines_are_stored_once_a_dated_line_follows(tmp_path, lines):
    junk = [f"garbage line {i} \x01\x02 without any header" for i in range(30)]
    log = _write(tmp_path / "maillog", junk)
    data = tmp_path / "d"
    first = ingest([log], data, year=2026)
    assert first.lines == 0 and any("none of 30 lines" in w for w in first.warnings)
    assert Dataset(data).state()["sources"] == {}
    _write(log, junk + lines[:200])
    summary = ingest([log], data, year=2026)
    assert summary.lines == 230 and not any("readable date" in w for w in summary.warnings)
    unparsed = snapshot(data)["unparsed"]
    assert (unparsed.reason == "no header").sum() == 30
    assert ingest([log], data, year=2026).lines == 0
