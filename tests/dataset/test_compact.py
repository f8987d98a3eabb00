"""Compaction of small parts (`dataset.compact`): the rows and their order are the same
before and after, every report answers the same, a kill at any step leaves a dataset that
reads the same and that the next run cleans up, a snapshot taken before reads all its
rows while and after it runs, and files the program did not write are never touched."""

import gc
import json
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from helpers import assert_same_dataset, ingest

from analyzer import api
from analyzer.dataset.compact import compact
from analyzer.dataset.store import Dataset
from analyzer.samplegen.postfix import generate_postfix
from analyzer.schema import TABLES

PIECES = 8  # the log ingested in as many runs: a commit (and parts) per run


@pytest.fixture(scope="module")
def pieces(tmp_path_factory):
    lines, _ = generate_postfix(
        seed=31, days=1.5, start=datetime(2026, 11, 25, 6), messages_per_day=1200
    )
    d = tmp_path_factory.mktemp("pieces")
    step = -(-len(lines) // PIECES)
    for i in range(PIECES):
        (d / f"maillog-{i:02d}").write_text(
            "".join(line + "\n" for line in lines[i * step : (i + 1) * step])
        )
    return sorted(d.iterdir())


@pytest.fixture(scope="module")
def many_parts(pieces, tmp_path_factory):
    """A dataset ingested in PIECES runs: many small parts per table and day."""
    data = tmp_path_factory.mktemp("many") / "data"
    for piece in pieces:
        ingest([piece], data)
    return data


@pytest.fixture
def data(many_parts, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(many_parts, copy)
    return copy


def parts_on_disk(data) -> list[str]:
    return sorted(p.relative_to(data).as_posix() for p in Path(data).glob("*/date=*/part-*"))


def state_of(data) -> dict:
    return json.loads((Path(data) / "_state" / "state.json").read_text())


def rows_in_order(data) -> dict[str, pd.DataFrame]:
    """Every table as readers get it, in the order they get it (not sorted)."""
    return {name: api.table(name, data=data) for name in TABLES}


def reports(data) -> dict:
    """What the reports answer over the whole dataset."""
    return {
        "senders": api.top_senders(data, by="identity", scope="all"),
        "spikes": api.relay_spikes(data, all_buckets=True),
        "scripts": api.suspicious_scripts(data, history=None),
        "auth": api.auth_failures(data),
        "status": {k: v for k, v in api.status(data)["tables"].items()},
    }


def assert_same(before: dict, after: dict) -> None:
    assert before.keys() == after.keys()
    for name, frame in before.items():
        if isinstance(frame, pd.DataFrame):
            pd.testing.assert_frame_equal(frame, after[name], obj=name)
        else:
            assert frame == after[name], name


def test_compaction_merges_each_partition_into_one_part_rows_and_order_kept(data):
    before_rows, before_reports = rows_in_order(data), reports(data)
    parts_before = parts_on_disk(data)
    listed_before = state_of(data)["parts"]
    per_partition = {p.rsplit("/", 1)[0] for p in parts_before}
    assert len(parts_before) > 2 * len(per_partition)  # many small parts to merge

    done = compact(data)

    after = parts_on_disk(data)
    assert sorted({p.rsplit("/", 1)[0] for p in after}) == sorted(per_partition)
    assert len(after) == len(per_partition)  # one part per table and day
    state = state_of(data)
    assert sorted(state["parts"]) == after  # the checkpoint lists the new parts only
    assert sum(state["parts"].values()) == sum(listed_before.values())
    assert state["superseded"] == {}  # deleted at once: no reader held them
    assert (done.parts_before, done.parts_after) == (len(parts_before), len(after))
    assert done.merged == len(parts_before) and done.deleted == len(parts_before)
    assert done.bytes_before > done.bytes_after > 0
    assert f"{len(parts_before):,} parts before, {len(after):,} after" in done.line()
    assert_same(before_rows, rows_in_order(data))
    assert_same(before_reports, reports(data))
    # and once more: nothing left to do
    again = compact(data)
    assert again.merged == 0 and parts_on_disk(data) == after
    assert again.line() == f"nothing to compact: {len(after):,} parts"


def test_ingest_goes_on_after_a_compaction_as_if_there_was_none(pieces, tmp_path):
    """Compactions between the runs of an ingest change nothing of what it commits: the
    open state of the compaction's commit is the previous one's."""
    plain, compacted = tmp_path / "plain", tmp_path / "compacted"
    for i, piece in enumerate(pieces):
        ingest([piece], plain)
        ingest([piece], compacted)
        if i % 3 == 2:
            assert compact(compacted).merged > 0
    assert_same_dataset(plain, compacted)
    assert len(parts_on_disk(compacted)) < len(parts_on_disk(plain))
    assert api.status(compacted)["missing_parts"] == []


KILL_AT = ("merging", "writing", "merged", "published")
_KILLER = """
import os, signal, sys
from analyzer.dataset.compact import compact
seen = {}
def step(event, details):
    seen[event] = seen.get(event, 0) + 1
    if event == sys.argv[2] and seen[event] == int(sys.argv[3]):
        os.kill(os.getpid(), signal.SIGKILL)
compact(sys.argv[1], step=step)
"""


@pytest.mark.parametrize(("event", "nth"), [(e, 1) for e in KILL_AT] + [("writing", 3)])
def test_a_kill_at_any_step_reads_the_same_and_the_next_run_cleans_up(data, event, nth):
    """kill -9 at a step of the compaction's own progress: a fresh reader reads exactly
    the rows of before; the next compaction removes the dead one's debris or deletes
    the parts it superseded, and the dataset holds only its listed parts."""
    before_rows = rows_in_order(data)
    commit = state_of(data)["commit"]
    proc = subprocess.run(
        [sys.executable, "-c", _KILLER, str(data), event, str(nth)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == -9, proc.stderr  # killed where asked, not finished
    published = event == "published"
    assert state_of(data)["commit"] == commit + published
    if event in ("writing", "merged"):
        assert (data / "_state" / "writing").exists()  # the noted commit: provable debris
    assert_same(before_rows, rows_in_order(data))

    done = compact(data)  # the next writer cleans up (an ingest would too: `recovery`)

    assert done.debris > 0 or published or event == "merging"
    assert not list(data.rglob("*.tmp")) and not (data / "_state" / "writing").exists()
    state = state_of(data)
    assert parts_on_disk(data) == sorted(state["parts"])
    assert state["superseded"] == {}
    assert_same(before_rows, rows_in_order(data))


def test_a_snapshot_taken_before_reads_all_its_rows_while_and_after_it_runs(data):
    snap = Dataset(data).snapshot()
    expected = {name: snap.read(name) for name in TABLES}
    old_parts = parts_on_disk(data)
    checks = []

    def read_old_snapshot(event, details):
        for name in TABLES:
            assert snap.read(name).equals(expected[name]), (event, name)
        checks.append(event)

    done = compact(data, step=read_old_snapshot)

    assert {"merging", "writing", "merged", "published", "done"} <= set(checks)
    assert done.merged == len(old_parts) and done.deleted == 0
    assert done.pending == len(old_parts)  # held by the snapshot: not deleted
    assert "kept until their readers finish" in done.line()
    for name in TABLES:
        assert snap.read(name).equals(expected[name]), name
    new = Dataset(data).snapshot()  # a reader after the swap: the merged parts only
    assert all(p.parts[-1].startswith(f"part-{new.commit:08d}-") for p in new.parts("messages"))
    for name in TABLES:
        assert new.read(name).equals(expected[name]), name

    snap = new = None  # the readers are done: their pins go
    gc.collect()
    later = compact(data)  # no reader holds them now
    assert later.deleted == len(old_parts) and later.pending == 0
    assert parts_on_disk(data) == sorted(state_of(data)["parts"])
    assert state_of(data)["superseded"] == {}


def test_files_it_did_not_write_are_never_merged_nor_touched(data):
    """A Parquet file named like a part that the checkpoint does not list (put there by
    hand), and other files: left byte for byte; the run stops before the foreign part so
    the order is kept, and its rows still read."""
    day = sorted((data / "messages").glob("date=*"))[0]
    ours = sorted(day.glob("part-*.parquet"))
    assert len(ours) >= 4
    first = pq.read_table(ours[0])
    foreign = day / (ours[1].name[:14] + "99999.parquet")  # sorts between our parts
    pq.write_table(first.slice(0, 3), foreign)
    others = [day / "notes.txt", data / "messages" / "README", data / "_state" / "mine.json"]
    for f in others:
        f.write_text("not the program's\n")
    untouched = {f: (f.read_bytes(), f.stat().st_mtime_ns) for f in [foreign, *others]}
    before = rows_in_order(data)

    compact(data)

    assert {f: (f.read_bytes(), f.stat().st_mtime_ns) for f in untouched} == untouched
    # the parts before the foreign one stay as they are; those after it are merged
    kept = [p for p in ours if p.name < foreign.name]
    assert all(p.is_file() for p in kept)
    assert len(sorted(day.glob("part-*.parquet"))) == len(kept) + 2
    assert_same(before, rows_in_order(data))


def test_older_than_leaves_recent_days_alone(data):
    days = sorted(d.name for d in (data / "messages").glob("date=*"))
    assert len(days) >= 2
    last_day = days[-1]
    untouched = sorted((data / "messages" / last_day).glob("part-*"))
    now = datetime.fromisoformat(last_day[5:] + "T12:00:00+00:00")

    done = compact(data, older_than="1h", now=now)  # the last day has not ended yet

    assert done.merged > 0
    assert sorted((data / "messages" / last_day).glob("part-*")) == untouched
    assert len(list((data / "messages" / days[0]).glob("part-*"))) == 1


def test_a_damaged_part_leaves_its_partition_as_it_is(data):
    day = sorted((data / "messages").glob("date=*"))[0]
    parts = sorted(day.glob("part-*.parquet"))
    parts[-1].write_bytes(b"not parquet")
    with pytest.warns(Warning):
        before = api.table("messages", data=data)

    done = compact(data)

    assert any(s.startswith(f"messages {day.name[5:]}") for s in done.skipped)
    assert sorted(day.glob("part-*.parquet")) == parts  # nothing merged nor deleted there
    with pytest.warns(Warning):
        pd.testing.assert_frame_equal(before, api.table("messages", data=data))


def test_only_the_part_schema_is_written(data):
    """A merged part has the table's schema, as a part the ingest writes."""
    compact(data)
    for name, spec in TABLES.items():
        for part in (data / name).glob("date=*/part-*.parquet"):
            assert pq.read_schema(part).remove_metadata() == spec.arrow_schema.remove_metadata()
