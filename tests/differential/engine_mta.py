"""What the compiled engine's Exim and Sendmail tests share: one MTA's log ingested by the
Python path (`ANALYZER_CORE=python`) and by the engine, runs cut at several points that
alternate the two, engine runs killed with SIGKILL at points of their progress, and a PHP
line that hands the run over; each ends in `assert_same_dataset` against the Python path."""

from __future__ import annotations

import os
import random
import sys
from collections import Counter
from pathlib import Path

from helpers import KILL_POINTS, assert_same_dataset, committed, run_and_kill
from test_compiled_engine import dated_copy, ingest

# the engine's own log line and PHP's mail.log through syslog, by MTA: the PHP line is
# worded in the MTA's log's own header
PHP_SYSLOG = "mx1 php: mail() on [/var/www/site/contact.php:12]: To: a@example.org -- "
PHP_SYSLOG += "Headers: From: site@example.com -- Subject: hello"


def write_log(lines: list[str] | bytes, path: Path, native: bool) -> Path:
    """The log file: Exim's own lines carry their date, syslog lines take their year from
    the file's mtime (set at the last line)."""
    if not native:
        return dated_copy(lines, path)
    data = lines if isinstance(lines, bytes) else ("\n".join(lines) + "\n").encode()
    path.write_bytes(data)
    return path


def both_ways(monkeypatch, tmp_path: Path, log: Path, name: str = "") -> tuple[Path, Path]:
    """The dataset of `log` by the Python path and by the engine, compared."""
    python, engine = tmp_path / f"python{name}", tmp_path / f"engine{name}"
    ingest(monkeypatch, [log], python, engine=False)
    ingest(monkeypatch, [log], engine, engine=True)
    assert_same_dataset(python, engine)
    return python, engine


def cut_alternating(monkeypatch, tmp_path: Path, lines: list[str], native: bool, first: str):
    """The log grows between runs (cut mid-message, mid-session, inside a hop's grace)
    and each run uses the other path, committing every few batches; the result equals
    one uninterrupted Python run."""
    monkeypatch.setenv("ANALYZER_COMMIT_LINES", "2000")
    whole = write_log(lines, tmp_path / "whole.log", native)
    ingest(monkeypatch, [whole], tmp_path / "whole", engine=False)
    grown = tmp_path / "grown.log"
    cuts = [len(lines) * k // 7 for k in range(1, 7)] + [len(lines)]
    done = 0
    engine = first == "engine"
    for cut in cuts:
        with grown.open("a") as f:
            f.writelines(line + "\n" for line in lines[done:cut])
        done = cut
        os.utime(grown, (whole.stat().st_mtime, whole.stat().st_mtime))
        ingest(monkeypatch, [grown], tmp_path / "mixed", engine=engine)
        engine = not engine
    assert_same_dataset(tmp_path / "whole", tmp_path / "mixed")


def kill_and_rerun(monkeypatch, tmp_path: Path, lines: list[str], native: bool) -> None:
    """Engine runs killed with SIGKILL again and again at points of their progress
    (holding the lock, after a commit, between a commit's parts and its checkpoint);
    re-running completes the dataset exactly as one uninterrupted Python run."""
    log = write_log(lines, tmp_path / "mail.log", native)
    ingest(monkeypatch, [log], tmp_path / "clean", engine=False)
    data = tmp_path / "killed"
    env = dict(
        os.environ, ANALYZER_COMMIT_LINES="2000", ANALYZER_CORE="rust", ANALYZER_ENGINE="compiled"
    )
    cmd = [sys.executable, "-m", "analyzer", "ingest", str(log), "--data", str(data)]
    cmd += ["--tz", "UTC"]
    rng = random.Random(3)
    kills: Counter[str] = Counter()
    for attempt in range(6):
        point = KILL_POINTS[attempt % 3]
        if run_and_kill(cmd, data, point, after=rng.randint(1, 2), env=env):
            kills[point] += 1
    assert kills == {"locked": 2, "commit": 2, "writing": 2}, (kills, len(lines))
    assert committed(data) > 0
    ingest(monkeypatch, [log], data, engine=True)
    assert_same_dataset(tmp_path / "clean", data)


def php_in_the_middle(lines: list[str], stamp_len: int) -> list[str]:
    """`lines` with PHP's mail.log through syslog (a line the engine does not model) in
    the middle, under the stamp of the line before it (`stamp_len` characters)."""
    middle = len(lines) // 2
    php = lines[middle][:stamp_len] + PHP_SYSLOG
    return lines[:middle] + [php] + lines[middle:]
