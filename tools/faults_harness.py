"""The harness of the fault matrix (`tools/faults.py`): the ingest command lines, the
generated log written as a source, how a dataset is compared to a clean run's, what a
clear one-line error is, and `Matrix`, which records each fault's outcome."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from helpers import assert_same_dataset, committed, snapshot  # noqa: E402

COMMIT_LINES = "2000"
MTIME = datetime(2026, 11, 27, 12, 0).timestamp()
ENV = {**os.environ, "ANALYZER_COMMIT_LINES": COMMIT_LINES}


def cli(*args) -> list[str]:
    return [sys.executable, "-m", "analyzer", *map(str, args)]


def ingest_cmd(paths, data, *extra) -> list[str]:
    return cli("ingest", *paths, "--data", data, "--tz", "UTC", "--year", "2026", *extra)


def started_until_first_commit(paths, data) -> tuple[subprocess.Popen, bool]:
    """An ingest started and waited for until its first commit: (the process, whether it
    is still running, i.e. the change that follows lands mid-read)."""
    proc = subprocess.Popen(
        ingest_cmd(paths, data),
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    while committed(data) < 1 and proc.poll() is None:
        time.sleep(0.002)
    return proc, proc.poll() is None


def run(cmd, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, env=kw.pop("env", ENV), **kw)


def write(path: Path, lines: list[str], compress: bool = False) -> Path:
    data = "".join(line + "\n" for line in lines).encode()
    path.write_bytes(gzip.compress(data) if compress else data)
    os.utime(path, (MTIME, MTIME))
    return path


def same(a, b) -> str | None:
    """None when the datasets hold the same rows, else what differs."""
    try:
        assert_same_dataset(a, b)
        return None
    except AssertionError as e:
        return str(e).splitlines()[0][:200]


def unchanged(before: dict, data) -> str | None:
    after = snapshot(data)
    for name in before:
        if not before[name].equals(after[name]):
            return f"{name} changed"
    return None


def one_line(proc) -> bool:
    err = proc.stderr
    return (
        proc.returncode != 0
        and "Traceback" not in err
        and err.count("\n") == 1
        and err.startswith("error: ")
    )


def clean_ingest(paths, data) -> None:
    proc = run(ingest_cmd(paths, data))
    assert proc.returncode == 0, proc.stderr


class Matrix:
    def __init__(self, work: Path, lines: list[str]):
        self.work = work
        self.lines = lines
        self.results: list[dict] = []

    def record(self, fault: str, outcome: str, ok: bool, **figures) -> None:
        row = {"fault": fault, "outcome": outcome, "ok": ok, **figures}
        self.results.append(row)
        print(f"{'ok  ' if ok else 'FAIL'} {fault}: {outcome}", flush=True)

    def dir(self, name: str) -> Path:
        d = self.work / name
        d.mkdir()
        return d
