"""Shared test helpers: ingest into a temporary dataset and read tables back."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pandas as pd

from analyzer import api
from analyzer.schema import TABLES

SORT_KEYS = {
    "messages": ["host", "queue_id", "first_seen"],
    "deliveries": ["ts", "queue_id", "recipient", "status"],
    "rejects": ["ts", "client_ip", "recipient"],
    "auth_failures": ["ts", "client_ip"],
    "connections": ["ts", "pid"],
    "php_mail": ["ts", "script_path"],
    "unparsed": ["source", "offset"],
    "notices": ["ts", "host", "queue_id", "text"],
    "client_rates": ["ts", "host", "client_ip", "kind"],
}


def ingest(paths, data, **kw):
    kw.setdefault("tz", "UTC")
    return api.ingest([str(p) for p in paths], data=data, **kw)


def table(data, name, **kw) -> pd.DataFrame:
    df = api.table(name, data=data, **kw)
    return df.sort_values(SORT_KEYS[name], kind="stable").reset_index(drop=True)


def snapshot(data) -> dict[str, pd.DataFrame]:
    """Every table's logical content, in a canonical order (part files may differ); a
    table without its sort keys here is a KeyError, never left out of a comparison."""
    return {name: table(data, name) for name in TABLES}


def assert_same_dataset(a, b) -> None:
    sa, sb = snapshot(a), snapshot(b)
    for name in TABLES:
        pd.testing.assert_frame_equal(sa[name], sb[name], check_like=False, obj=name)


# --- kill -9 at points of the run's own progress ---------------------------------------------
# Wall-clock kills miss on a fast machine (the run ends before the sleep does); these points
# are read from what the run has written, so they land as often on any machine.

KILL_POINTS = ("locked", "commit", "writing")


def committed(data) -> int:
    """The commit number of the dataset's checkpoint (0 before the first commit)."""
    try:
        with open(Path(data) / "_state" / "state.json") as f:
            return json.load(f)["commit"]
    except (FileNotFoundError, ValueError):  # none yet, or replaced while being read
        return 0


def _writing_commit(data, first: int) -> bool:
    """Parts of a commit numbered `first` or above are on disk that the checkpoint does
    not name yet: the run is between its parts and its checkpoint."""
    done = committed(data)
    return any(
        int(p.name[5:13]) > done and int(p.name[5:13]) >= first
        for p in Path(data).glob("*/date=*/part-*.parquet*")
    )


def run_and_kill(
    cmd: list[str], data, point: str, after: int = 1, env=None, poll: float = 0.002
) -> bool:
    """Start an ingest subprocess and `kill -9` it at a point of its progress:
    `locked`: as soon as it holds the dataset lock (nothing committed yet by it);
    `commit`: once its checkpoint is `after` commits past where it started;
    `writing`: while the parts of its `after`-th (or a later) commit are written, before
    the checkpoint names them.
    Returns True when it was killed, False when it finished first (its exit must be 0)."""
    start = committed(data)
    lock = Path(data) / ".lock"
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    state_seen = None
    current = start
    try:
        while proc.poll() is None:
            if point == "locked":
                try:
                    reached = lock.read_text().strip() == str(proc.pid)
                except FileNotFoundError:
                    reached = False
            elif point == "commit":
                try:
                    st = os.stat(Path(data) / "_state" / "state.json")
                    if (st.st_ino, st.st_mtime_ns) != state_seen:
                        state_seen = (st.st_ino, st.st_mtime_ns)
                        current = committed(data)
                except FileNotFoundError:
                    pass
                reached = current >= start + after
            elif point == "writing":
                reached = _writing_commit(data, start + after)
            else:
                raise ValueError(point)
            if reached:
                proc.kill()
                proc.wait()
                return True
            time.sleep(poll)
        stderr = proc.stderr.read().decode(errors="replace")
        assert proc.returncode == 0, stderr
        return False
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stderr.close()
