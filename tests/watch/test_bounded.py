"""What a watch holds does not grow with the days it runs: over many iterations on a
log that keeps growing, its open files stay the same, the volume rule keeps at most the
days of one history, and an iteration reads again only the days its commits changed.
Paced by the iterations (each appends the next hours of a generated log), not by time."""

import gc
import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from analyzer.dataset.reading import snapshot
from analyzer.samplegen.postfix import generate_postfix
from analyzer.watch import memory
from analyzer.watch.loop import Settings, Watcher

START = datetime(2026, 11, 2)
STEP = timedelta(hours=15)  # of log per iteration
DAYS = 9.0  # more than the week of history the volume rule reads

needs_proc = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts /proc/self/fd")


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def line_time(line: str) -> datetime:
    return datetime.strptime(f"{START.year} {line[:15]}", "%Y %b %d %H:%M:%S")


@needs_proc
def test_files_and_the_kept_history_stay_bounded_over_days(tmp_path):
    lines, _ = generate_postfix(seed=3, start=START, days=DAYS, messages_per_day=300)
    log = tmp_path / "maillog"
    log.write_text("")
    settings = Settings(
        paths=[str(log)],
        data=str(tmp_path / "data"),
        tz="UTC",
        year=START.year,
        catch_up=timedelta(hours=1),  # the last window of each iteration only: fast
    )
    watcher = Watcher(settings, [lambda alert: None])
    done, clock, files, kept_days, iterations = 0, START + STEP, [], [], 0
    while done < len(lines):
        upto = done
        while upto < len(lines) and line_time(lines[upto]) < clock:
            upto += 1
        with open(log, "a") as f:
            f.write("".join(line + "\n" for line in lines[done:upto]))
        done, clock = upto, clock + STEP
        watcher.step()
        iterations += 1
        files.append(open_files())
        kept_days.append(len(watcher.history.days))
    assert iterations >= 14
    assert max(kept_days) == 8, kept_days  # a week that starts mid-day spans 8 dates
    assert set(files[2:]) == {files[2]}, files  # none left open by an iteration
    # the kept days were counted once, then only the days commits or compactions changed
    # (the newest one or two each time), not the whole week every iteration
    assert watcher.history.recounted <= 2 * iterations + 8
    # and they moved on with the log: the oldest days were dropped
    assert max(watcher.history.days) >= (line_time(lines[-1]) - timedelta(days=1)).date()


@needs_proc
def test_release_freed_closes_what_a_cycle_held(tmp_path):
    from analyzer import api

    log = tmp_path / "maillog"
    log.write_text("".join(line + "\n" for line in generate_postfix(days=0.05)[0]))
    data = str(tmp_path / "data")
    api.ingest([str(log)], data=data, tz="UTC", year=2026)
    memory.release_freed()
    before = open_files()
    gc.disable()  # the cycle stays until it is collected, as between two iterations
    try:
        for _ in range(5):
            cycle: dict = {"snapshot": snapshot(data)}
            cycle["self"] = cycle
            del cycle
        assert open_files() > before
        memory.release_freed()
        assert open_files() == before
    finally:
        gc.enable()


def test_arrow_allocates_from_the_system_heap():
    import pyarrow as pa

    previous = pa.default_memory_pool()
    try:
        assert memory.settle_allocators() == "system"
        assert pa.default_memory_pool().backend_name == "system"
    finally:
        pa.set_memory_pool(previous)
