"""kill -9 across the two parse cores: an ingest killed with SIGKILL at points read from
its own progress (after its n-th commit, between a commit's parts and its checkpoint,
holding the lock), resumed under the other core, again and again; the dataset it ends
with equals one uninterrupted run of the Python core. Postfix (with `--year`, whose year
state the checkpoint carries), Exim's own log and Sendmail, each with its incidents."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from both import require_core
from helpers import assert_same_dataset, committed, run_and_kill, table

from analyzer.samplegen import write_postfix
from analyzer.samplegen.mta import write_mta

CORES = ("rust", "python")
# (kill point, commits past the start) of each interrupted run, the cores alternating
PLAN = (("commit", 1), ("writing", 2), ("locked", 1), ("commit", 2))


def _log(tmp_path: Path, mta: str) -> Path:
    """A day of the MTA's log with its incidents, its mtime at the day's end."""
    path = tmp_path / f"{mta}.log"
    start = datetime(2026, 11, 26)
    if mta == "postfix":
        write_postfix(path, days=1.0, start=start, messages_per_day=4000)
    else:
        write_mta(mta, path, days=1.0, start=start, messages_per_day=4000)
    end = datetime(2026, 11, 27, 1, tzinfo=UTC).timestamp()
    os.utime(path, (end, end))
    return path


def _cmd(log: Path, data: Path, mta: str) -> list[str]:
    cmd = [sys.executable, "-m", "analyzer", "ingest", str(log), "--data", str(data)]
    cmd += ["--tz", "UTC", "--format", mta]
    return cmd + (["--year", "2026"] if mta == "postfix" else [])


@pytest.mark.parametrize("mta", ["postfix", "exim", "sendmail"])
def test_kill_9_between_commits_resumed_under_the_other_core(tmp_path, mta):
    require_core()
    log = _log(tmp_path, mta)
    env = dict(os.environ, ANALYZER_COMMIT_LINES="2000")  # 10-20 commits
    clean = tmp_path / "clean"
    subprocess.run(_cmd(log, clean, mta), env=dict(env, ANALYZER_CORE="python"), check=True)
    assert len(table(clean, "messages")) > 1000  # the log, not an empty run

    data = tmp_path / "killed"
    for i, (point, after) in enumerate(PLAN):
        core = CORES[i % 2]
        killed = run_and_kill(
            _cmd(log, data, mta), data, point, after=after, env=dict(env, ANALYZER_CORE=core)
        )
        assert killed, f"run {i} ({core}) finished before its kill point {point}"
    assert committed(data) >= 4
    # the last run resumes under the core the last killed one did not use
    final = CORES[len(PLAN) % 2]
    subprocess.run(_cmd(log, data, mta), env=dict(env, ANALYZER_CORE=final), check=True)
    assert_same_dataset(clean, data)
