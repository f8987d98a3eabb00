"""The part writer flushes on a background thread: `flush` returns only once every part
is on disk under its final name (the commit writes its checkpoint after it), `discard`
waits for a flush in flight before it deletes, and a failed write surfaces."""

import threading

import pyarrow.parquet as pq
import pytest

from analyzer.dataset.store import Dataset
from analyzer.dataset.writer import QUEUED

DAY_US = 86_400_000_000


def _fill(w, rows=3000, days=4):
    for i in range(rows):
        w.add(
            "messages", {"first_seen": i * days * DAY_US // rows, "host": "h", "queue_id": str(i)}
        )


def _files(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.parquet*"))


def _slow_writes(monkeypatch, gate):
    """Parquet writes that wait for `gate`: a flush stays in flight until it is set."""
    real = pq.write_table

    def write_table(*args, **kwargs):
        assert gate.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(pq, "write_table", write_table)  # as the writer calls it


def test_flush_returns_with_every_part_durable(tmp_path, monkeypatch):
    released = threading.Event()
    _slow_writes(monkeypatch, released)
    w = Dataset(tmp_path / "d").writer(1)
    _fill(w)
    threading.Timer(0.3, released.set).start()  # the writes wait until then
    w.flush()
    parts = _files(tmp_path / "d")
    assert parts == sorted(w.new_parts) and len(parts) == 4  # no temporary left
    assert sum(w.new_parts.values()) == 3000 == w.written["messages"]
    assert sum(pq.read_table(tmp_path / "d" / p).num_rows for p in parts) == 3000


def test_discard_waits_for_the_flush_in_flight(tmp_path, monkeypatch):
    released = threading.Event()
    _slow_writes(monkeypatch, released)
    ds = Dataset(tmp_path / "d")
    w = ds.writer(1)
    _fill(w)
    w.flush_table("messages")  # in flight, held at its first write
    assert w._queue._threads and w._queue._threads[0].is_alive()
    threading.Timer(0.3, released.set).start()
    w.discard()  # no checkpoint names commit 1: its parts go
    assert not w._queue._threads
    assert _files(tmp_path / "d") == []


def test_flushes_queue_behind_the_one_being_written(tmp_path, monkeypatch):
    """The run goes on while QUEUED flushes of a table wait behind the one being written
    (a table's flushes one at a time); the next one waits for room; all are written, in
    order, by `flush`."""
    released = threading.Event()
    _slow_writes(monkeypatch, released)
    w = Dataset(tmp_path / "d").writer(1)

    def fill(k):
        for i in range(300):
            w.add("messages", {"first_seen": i, "host": "h", "queue_id": f"{k}-{i}"})

    for k in range(QUEUED + 1):  # one taken by a writer's thread, QUEUED waiting
        fill(k)
        w.flush_table("messages")
    assert w._queue.waiting == QUEUED
    fill(QUEUED + 1)
    beyond = threading.Thread(target=w.flush_table, args=("messages",))
    beyond.start()
    beyond.join(0.3)
    assert beyond.is_alive()  # no room: it waits
    released.set()
    beyond.join(10)
    w.flush()
    assert sorted(w.new_parts) == _files(tmp_path / "d")
    assert len(w.new_parts) == QUEUED + 2 and w.written["messages"] == 300 * (QUEUED + 2)
    assert not w._queue._threads
    # parts numbered in the order of their rows
    firsts = [pq.read_table(tmp_path / "d" / p)["queue_id"][0].as_py() for p in sorted(w.new_parts)]
    assert firsts == [f"{k}-0" for k in range(QUEUED + 2)]


def test_a_failed_background_write_raises_at_flush(tmp_path, monkeypatch):
    def write_table(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pq, "write_table", write_table)  # as the writer calls it
    w = Dataset(tmp_path / "d").writer(1)
    _fill(w)
    with pytest.raises(OSError, match="No space"):
        w.flush()
    w.discard()
    assert _files(tmp_path / "d") == []


@pytest.mark.parametrize("seed", range(20))
def test_day_runs_are_the_stable_sort_by_day(seed):
    """A flush's rows per day, in their order: what a stable sort by day then a slice per
    day gives (stragglers, days out of order, one row, one day)."""
    import numpy as np

    from analyzer.dataset.writer import _day_runs

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    days = np.sort(rng.integers(20000, 20005, n)).astype(np.int32)
    late = rng.random(n) < 0.1  # stragglers of an earlier or later day
    days[late] = rng.integers(19998, 20007, late.sum())
    runs = _day_runs(days)
    assert [d for d, _ in runs] == sorted(set(days.tolist()))
    order = [i for _, rs in runs for start, length in rs for i in range(start, start + length)]
    assert order == np.argsort(days, kind="stable").tolist()
