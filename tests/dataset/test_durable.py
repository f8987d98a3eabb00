"""Directory fsyncs: a commit's part directories are fsynced several at once, each once,
every one of them before `flush` returns (the checkpoint is written after it), and a
failed fsync is raised after the others have run."""

import os
import threading

import pytest

from analyzer.dataset import durable
from analyzer.dataset.store import Dataset

DAY_US = 86_400_000_000


def _record_fsyncs(monkeypatch, fail: str | None = None, hold: threading.Barrier | None = None):
    """os.fsync recording the path of each fd it is given (failing for `fail`, and
    waiting at `hold` so that the test sees how many run at once)."""
    synced: list[str] = []
    real = os.fsync

    def fsync(fd):
        path = os.readlink(f"/proc/self/fd/{fd}")
        if hold is not None:
            hold.wait(10)
        synced.append(path)
        if path == fail:
            raise OSError(5, "Input/output error", path)
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return synced


def _dirs(tmp_path, n):
    dirs = [tmp_path / f"date=2026-11-{i:02d}" for i in range(1, n + 1)]
    for d in dirs:
        d.mkdir()
    return dirs


def test_each_directory_is_fsynced_once(tmp_path, monkeypatch):
    synced = _record_fsyncs(monkeypatch)
    dirs = _dirs(tmp_path, 20)
    durable.fsync_dirs(dirs + dirs[:5])  # a directory named twice is synced once
    assert sorted(synced) == sorted(str(d) for d in dirs)


def test_directories_are_fsynced_concurrently(tmp_path, monkeypatch):
    # four fsyncs must all be in flight at once for the barrier to let any through
    synced = _record_fsyncs(monkeypatch, hold=threading.Barrier(4))
    durable.fsync_dirs(_dirs(tmp_path, 4))
    assert len(synced) == 4


def test_a_failed_fsync_is_raised_after_the_others_ran(tmp_path, monkeypatch):
    dirs = _dirs(tmp_path, 12)
    synced = _record_fsyncs(monkeypatch, fail=str(dirs[3]))
    with pytest.raises(OSError, match="Input/output error"):
        durable.fsync_dirs(dirs)
    assert sorted(synced) == sorted(str(d) for d in dirs)


def test_flush_fsyncs_every_part_directory(tmp_path, monkeypatch):
    synced = _record_fsyncs(monkeypatch)
    w = Dataset(tmp_path / "d").writer(1)
    for i in range(3000):
        w.add("messages", {"first_seen": i * 6 * DAY_US // 3000, "host": "h", "queue_id": str(i)})
    w.flush()
    part_dirs = {str((tmp_path / "d" / p).parent) for p in w.new_parts}
    assert len(part_dirs) == 6
    assert part_dirs <= set(synced)
