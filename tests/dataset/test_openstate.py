"""The correlator's open state in open.sqlite: diffs per commit, versions a reader can
pin, rollback of a commit whose checkpoint was never written, any top-level key."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta

import pandas as pd
import pytest
from helpers import assert_same_dataset, ingest, table

from analyzer import api
from analyzer.dataset import checkpoint
from analyzer.dataset.openstate import Keyed, OpenStore, Stale
from analyzer.samplegen.deferred import deferred_run, queue_id, retry
from analyzer.samplegen.postfix import generate_postfix


def _rows_born(path, commit) -> int:
    with sqlite3.connect(path / "open.sqlite") as db:
        return db.execute("SELECT count(*) FROM entry WHERE born = ?", (commit,)).fetchone()[0]


def _messages(n) -> Keyed:
    return Keyed(
        (("mx1", f"Q{i:05d}"), {"queue_id": f"Q{i:05d}", "first_seen": i * 10, "sent": 0})
        for i in range(n)
    )


def test_keyed_counts_what_is_reached_by_key_set_or_removed():
    d = Keyed({"a": {"n": 1}, "b": {"n": 2}, "c": {"n": 3}})
    assert not d.touched
    list(d.items()), list(d.values()), "a" in d  # reading it all touches nothing
    assert not d.touched
    d.get("a")["n"] = 10
    d.get("zz")  # a miss changes nothing
    d["d"] = {"n": 4}
    d.pop("b")
    assert d.touched == {"a", "b", "d"} and list(d.moved) == ["d"]
    d["b"] = {"n": 5}  # removed and added again: it goes last, as in the dict
    assert list(d) == ["a", "c", "d", "b"] and list(d.moved) == ["d", "b"]


def test_round_trip_keeps_values_order_and_any_top_level_key(tmp_path):
    store = OpenStore(tmp_path)
    store.rollback(0)
    assert store.load() == {}
    msgs = _messages(5)
    state = {"now": 7, "messages": msgs, "php": [{"ts": 1}], "new_key": {"x": [1, 2]}}
    store.save(1, state)
    msgs.get(("mx1", "Q00001"))["sent"] = 1  # changed in place
    msgs.pop(("mx1", "Q00002"))  # removed
    msgs[("mx1", "Q00000")] = msgs.pop(("mx1", "Q00000"))  # removed and added again
    msgs[("mx1", "NEW")] = {"queue_id": "NEW", "first_seen": 99, "sent": 0}
    state["now"] = 8
    del state["new_key"]
    state["hop_links"] = [["a", "b"]]  # a key added later needs no storage change
    store.save(2, state)
    store.close()

    again = OpenStore(tmp_path)
    again.rollback(2)
    loaded = again.load()
    assert loaded == {
        "now": 8,
        "messages": dict(msgs),
        "php": [{"ts": 1}],
        "hop_links": [["a", "b"]],
    }
    assert list(loaded["messages"]) == list(msgs)  # the dict's order
    assert isinstance(loaded["messages"], Keyed) and loaded["messages"].synced


def test_a_commit_writes_what_changed_not_what_is_open(tmp_path):
    store = OpenStore(tmp_path)
    store.rollback(0)
    msgs = _messages(2000)
    store.save(1, {"now": 1, "messages": msgs, "php": []})
    assert _rows_born(tmp_path, 1) == 2000 + 2
    for i in (5, 700, 1999):
        msgs[("mx1", f"Q{i:05d}")]["sent"] += 1
    store.save(2, {"now": 2, "messages": msgs, "php": []})
    assert _rows_born(tmp_path, 2) == 3 + 1  # three entries and `now`; `php` is unchanged
    store.save(3, {"now": 2, "messages": msgs, "php": []})
    assert _rows_born(tmp_path, 3) == 0


def test_entries_that_came_and_went_between_commits_cost_no_lookup(tmp_path):
    """The compiled engine reports every message it saw since the last commit: those
    gone again were never stored, and only the stored ones are looked up to end them."""
    store = OpenStore(tmp_path)
    store.rollback(0)
    msgs = _messages(3)
    store.save(1, {"messages": msgs})
    for i in range(1000):  # came and went
        msgs[("mx1", f"T{i}")] = {"queue_id": f"T{i}"}
        msgs.pop(("mx1", f"T{i}"))
    msgs.pop(("mx1", "Q00001"))  # stored, then removed
    msgs[("mx1", "Q00002")] = msgs.pop(("mx1", "Q00002"))  # stored, removed, added again
    statements: list[str] = []
    store.db.set_trace_callback(statements.append)
    store.save(2, {"messages": msgs})
    store.db.set_trace_callback(None)
    ended = [s for s in statements if s.startswith("UPDATE entry SET died") and "key =" in s]
    assert len(ended) == 2  # Q00001 and Q00002's old version
    msgs.pop(("mx1", "Q00002"))  # stored at commit 2: removed at 3
    store.save(3, {"messages": msgs})
    store.close()
    again = OpenStore(tmp_path)
    again.rollback(3)
    assert list(again.load()["messages"]) == [("mx1", "Q00000")]
    with sqlite3.connect(tmp_path / "open.sqlite") as db:
        rows = db.execute("SELECT count(*) FROM entry WHERE key LIKE '%T%'").fetchone()[0]
    assert rows == 0


def test_readers_see_their_commit_while_later_ones_are_saved_or_undone(tmp_path):
    writer = OpenStore(tmp_path)
    writer.rollback(0)
    msgs = _messages(3)
    writer.save(1, {"now": 1, "messages": msgs})
    reader = OpenStore(tmp_path, readonly=True)
    reader.begin_read(1)  # pinned at commit 1
    msgs.pop(("mx1", "Q00000"))
    msgs.get(("mx1", "Q00001"))["sent"] = 5
    writer.save(2, {"now": 2, "messages": msgs})
    writer.save(3, {"now": 3, "messages": msgs})  # forgets the versions of commit 1
    assert sorted(m["queue_id"] for m in reader.entries(1, "messages")) == [
        "Q00000",
        "Q00001",
        "Q00002",
    ]
    assert list(reader.entries(1, "now")) == [1] and reader.count(1, "messages") == 3
    late = OpenStore(tmp_path, readonly=True)
    with pytest.raises(Stale):  # its checkpoint is older than what is kept: read it again
        late.begin_read(1)
    late.begin_read(2)
    assert {m["queue_id"]: m["sent"] for m in late.entries(2, "messages")} == {
        "Q00001": 5,
        "Q00002": 0,
    }
    assert [m["queue_id"] for m in late.entries(2, "messages", "first_seen", 15, 25)] == ["Q00002"]

    # commit 3 died before its checkpoint: the next writer starts from commit 2
    writer.close()
    again = OpenStore(tmp_path)
    again.rollback(2)
    assert again.load()["now"] == 2
    assert _rows_born(tmp_path, 3) == 0


def test_a_store_that_was_not_loaded_replaces_everything(tmp_path):
    """The first save after a version 1 checkpoint (open state inline in state.json)."""
    first = OpenStore(tmp_path)
    first.rollback(0)
    first.save(1, {"now": 1, "messages": _messages(4), "gone": 1})
    first.close()
    migrated = OpenStore(tmp_path)
    migrated.rollback(1)
    v1 = json.loads(json.dumps({"now": 2, "messages": list(_messages(2).values())}))
    migrated.save(2, v1)  # lists, as version 1 held them
    migrated.close()
    loaded = OpenStore(tmp_path)
    loaded.rollback(2)
    assert loaded.load() == v1


# --- through ingest -------------------------------------------------------------------


def _write(path, lines):
    path.write_text("".join(line + "\n" for line in lines))
    return path


START = datetime(2026, 11, 26, 9, 0, 0)


def test_an_ingest_commits_what_its_lines_changed(tmp_path, monkeypatch):
    """300 messages stay open; a later run of a few lines writes a few rows, a run with
    nothing new does not even load the open state."""
    log = _write(tmp_path / "maillog", list(deferred_run(START, 300)))
    data = tmp_path / "d"
    ingest([log], data, year=2026)
    assert api.status(data)["open_messages"] == 300
    state_dir = data / "_state"
    commit = api.status(data)["commit"]
    assert _rows_born(state_dir, commit) > 300

    later = START + timedelta(hours=1)
    with log.open("a") as f:  # one more attempt for two of them
        f.write("".join(line + "\n" for i in (3, 250) for line in retry(later, i)))
    ingest([log], data, year=2026)
    commit = api.status(data)["commit"]
    assert _rows_born(state_dir, commit) == 2 + 1  # the two messages, and `now`
    messages = api.table("messages", data=data).set_index("queue_id")
    assert messages.loc[queue_id(3), "deferred"] == 2
    assert messages.loc[queue_id(4), "deferred"] == 1
    assert (~messages["complete"]).all() and len(messages) == 300

    def must_not_load(self):
        raise AssertionError("a run with nothing to read loaded the open state")

    monkeypatch.setattr(OpenStore, "load", must_not_load)
    ingest([log], data, year=2026)
    status = api.status(data)
    # nothing new: the run ends before it commits (`ingest.run._nothing_new`)
    assert status["commit"] == commit and status["open_messages"] == 300
    assert _rows_born(state_dir, commit + 1) == 0


def _version_1(data):
    """Turn a dataset into what the previous version wrote: the open state inline in
    state.json (its lists), no open.sqlite."""
    state_dir = data / "_state"
    state = json.loads((state_dir / "state.json").read_text())
    store = OpenStore(state_dir)
    store.rollback(state["commit"])
    open_state = {
        k: list(v.values()) if isinstance(v, Keyed) else v for k, v in store.load().items()
    }
    store.close()
    for name in ("open.sqlite", "open.sqlite-wal", "open.sqlite-shm"):
        (state_dir / name).unlink(missing_ok=True)
    for kind in ("messages", "sessions"):
        open_state.setdefault(kind, [])
    state.update(version=1, correlator=open_state)
    (state_dir / "state.json").write_text(json.dumps(state))


def test_a_version_1_checkpoint_keeps_working(tmp_path):
    lines, _ = generate_postfix(seed=3, days=0.2, start=START, messages_per_day=3000)
    lines = (
        sorted(
            lines[: len(lines) // 2] + list(deferred_run(START, 200)), key=lambda line: line[:15]
        )
        + lines[len(lines) // 2 :]
    )
    full = _write(tmp_path / "full.log", lines)
    ingest([full], tmp_path / "clean", year=2026)

    log = _write(tmp_path / "maillog", lines[: len(lines) // 2])
    data = tmp_path / "d"
    ingest([log], data, year=2026)
    before = {name: table(data, name) for name in ("messages", "php_mail")}
    status = api.status(data)
    _version_1(data)
    assert json.loads((data / "_state" / "state.json").read_text())["version"] == 1
    assert api.status(data) == status  # read as it is
    for name, frame in before.items():
        pd.testing.assert_frame_equal(table(data, name), frame)

    ingest([log], data, year=2026)  # nothing new: the open state moves to open.sqlite
    assert json.loads((data / "_state" / "state.json").read_text())["version"] == 2
    assert "correlator" not in json.loads((data / "_state" / "state.json").read_text())
    pd.testing.assert_frame_equal(table(data, "messages"), before["messages"])
    with sqlite3.connect(data / "_state" / "open.sqlite") as db:  # one row per message
        assert (
            db.execute(
                "SELECT count(*) FROM entry WHERE kind = 'messages' AND key != '' AND died IS NULL"
            ).fetchone()[0]
            == status["open_messages"]
            > 200
        )

    _version_1(data)
    _write(log, lines)  # the log grew: the run goes on from the inline open state
    ingest([log], data, year=2026)
    assert_same_dataset(tmp_path / "clean", data)


_KILLER = """
import os, signal, sys
from analyzer import api
from analyzer.dataset import openstate

mode, at, data, *paths = sys.argv[1:]
at = int(at)

def die():
    os.kill(os.getpid(), signal.SIGKILL)

real_save, real_changes = openstate.OpenStore.save, openstate.OpenStore._write_changes

def save(self, commit, state):
    real_save(self, commit, state)
    if mode == "between" and commit == at:  # saved, the checkpoint not yet replaced
        die()

def write_changes(self, kind, value, commit):
    stored = real_changes(self, kind, value, commit)
    if mode == "during" and commit == at:  # inside the open state's transaction
        die()
    return stored

openstate.OpenStore.save, openstate.OpenStore._write_changes = save, write_changes
api.ingest(paths, data=data, tz="UTC", year=2026)
"""


@pytest.mark.parametrize("mode", ["between", "during"])
def test_kill_9_between_or_during_an_open_state_commit(tmp_path, mode):
    """Parts, open state and checkpoint commit together: a run killed after the open
    state of commit N was saved but before its checkpoint (or inside that save) leaves
    readers on commit N-1, and the next run completes the exact dataset."""
    lines, _ = generate_postfix(seed=8, days=0.25, start=START, messages_per_day=4000)
    lines = sorted(lines + list(deferred_run(START, 500, per_second=1)), key=lambda line: line[:15])
    step = -(-len(lines) // 6)
    paths = [_write(tmp_path / f"maillog-{i}", lines[i * step : (i + 1) * step]) for i in range(6)]
    ingest(paths, tmp_path / "clean", year=2026)
    data = tmp_path / "killed"
    for at in (2, 4):
        env = dict(os.environ, ANALYZER_COMMIT_LINES="1")  # a commit after every file
        proc = subprocess.run(
            [sys.executable, "-c", _KILLER, mode, str(at), str(data), *map(str, paths)],
            env=env,
            capture_output=True,
            text=True,
        )
        assert proc.returncode == -signal.SIGKILL, proc.stderr
        assert api.status(data)["commit"] == at - 1
        # the killed commit's rows are there only if its transaction had committed
        assert (_rows_born(data / "_state", at) > 0) == (mode == "between")
        assert api.status(data)["open_messages"] > 0
    ingest(paths, data, year=2026)
    assert_same_dataset(tmp_path / "clean", data)


def test_a_run_with_nothing_to_read_still_undoes_a_dead_commit(tmp_path):
    """Killed after its open state was saved, before its checkpoint; the files it read are
    gone (rotated away) when the next run comes, which reads nothing: the dead commit's
    open state must not become visible under that run's commit number."""
    lines = list(deferred_run(START, 400, per_second=1))
    paths = [_write(tmp_path / f"maillog-{i}", lines[i * 400 : (i + 1) * 400]) for i in range(4)]
    data = tmp_path / "d"
    env = dict(os.environ, ANALYZER_COMMIT_LINES="1")
    proc = subprocess.run(
        [sys.executable, "-c", _KILLER, "between", "2", str(data), *map(str, paths)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert _rows_born(data / "_state", 2) > 0
    before = table(data, "messages")
    assert len(before) == 100  # the first file's messages (commit 1)
    empty = _write(tmp_path / "empty.log", [])
    ingest([empty], data, year=2026)
    assert api.status(data)["commit"] == 2
    assert _rows_born(data / "_state", 2) == 0
    pd.testing.assert_frame_equal(table(data, "messages"), before)


def test_an_open_state_without_its_checkpoint_is_kept_aside(tmp_path):
    """state.json deleted by hand: the open state that commits after the first wrote is
    not a dead run's debris; it is moved aside, not deleted."""
    lines = list(deferred_run(START, 30))
    first = _write(tmp_path / "a.log", lines[:60])
    data = tmp_path / "d"
    ingest([first], data, year=2026)
    _write(first, lines)
    ingest([first], data, year=2026)
    (data / "_state" / "state.json").unlink()
    ingest([_write(tmp_path / "b.log", lines[:8])], data, year=2026)
    kept = list((data / "_state").glob("open.sqlite.without-checkpoint-*"))
    main = [p for p in kept if not p.name.endswith(("-wal", "-shm"))]
    assert len(main) == 1
    with sqlite3.connect(main[0]) as db:  # everything the lost checkpoint's runs wrote
        assert (
            db.execute(
                "SELECT count(*) FROM entry WHERE kind = 'messages' AND died IS NULL"
            ).fetchone()[0]
            == 30
        )
    assert api.status(data)["open_messages"] == 2


def test_a_snapshot_whose_versions_are_gone_reads_the_checkpoint_again(tmp_path, monkeypatch):
    """The checkpoint read, then two commits before the store is opened: the versions of
    the checkpoint's commit are forgotten, so the snapshot starts again from the newer
    checkpoint instead of reading a mix."""
    from analyzer.dataset.store import Dataset

    lines = list(deferred_run(START, 30))
    log = _write(tmp_path / "maillog", lines[:40])
    data = tmp_path / "d"
    ingest([log], data, year=2026)
    old = Dataset(data).state()
    for end in (80, 120):
        _write(log, lines[:end])
        ingest([log], data, year=2026)
    real_state = Dataset.state
    reads = []

    def state_then_current(self):
        reads.append(len(reads))
        return old if len(reads) == 1 else real_state(self)

    monkeypatch.setattr(Dataset, "state", state_then_current)
    snap = Dataset(data).snapshot()
    assert len(reads) == 2 and snap.commit == old["commit"] + 2
    assert snap.open_count(checkpoint.MESSAGES) == 30


def test_a_damaged_open_state_is_one_clear_error(tmp_path):
    log = _write(tmp_path / "maillog", list(deferred_run(START, 5)))
    data = tmp_path / "d"
    ingest([log], data, year=2026)
    for name in ("open.sqlite-wal", "open.sqlite-shm"):
        (data / "_state" / name).unlink(missing_ok=True)
    (data / "_state" / "open.sqlite").write_bytes(b"this is not a database" * 100)
    out = subprocess.run(
        [sys.executable, "-m", "analyzer", "status", "--data", str(data)],
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert "cannot read the open state (_state/open.sqlite)" in out.stderr
