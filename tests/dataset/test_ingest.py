"""Ingest: incremental re-runs, rotation, truncation, crash safety, bad input."""

import gzip
import json
import os
import random
import subprocess
import sys
from collections import Counter
from datetime import datetime

import pytest
from helpers import KILL_POINTS, assert_same_dataset, committed, ingest, run_and_kill, table

from analyzer import api
from analyzer.errors import AnalyzerError
from analyzer.samplegen.postfix import generate_postfix
from analyzer.schema import TABLES


@pytest.fixture(scope="module")
def day_lines():
    lines, truth = generate_postfix(seed=11, days=0.25, messages_per_day=8000)
    return lines, truth


def _write(path, lines, mtime=datetime(2026, 11, 27, 12, 0)):
    data = "".join(line + "\n" for line in lines).encode()
    if str(path).endswith(".gz"):
        data = gzip.compress(data)
    path.write_bytes(data)
    os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    return path


def test_every_table_exists_with_its_schema_when_empty(tmp_path):
    log = _write(
        tmp_path / "maillog", ["Nov 26 10:00:00 mx1 dovecot: imap-login: Login: user=<a@b>"]
    )
    ingest([log], tmp_path / "d")
    import pyarrow.parquet as pq

    for name, spec in TABLES.items():
        schema = pq.read_schema(tmp_path / "d" / name / "_common_metadata")
        assert schema.names == spec.names
        assert list(api.table(name, data=tmp_path / "d").columns) == spec.names


def test_ingesting_twice_equals_ingesting_once(tmp_path, day_lines):
    lines, _ = day_lines
    log = _write(tmp_path / "maillog", lines)
    ingest([log], tmp_path / "once")
    ingest([log], tmp_path / "twice")
    second = ingest([log], tmp_path / "twice")
    assert second.lines == 0 and second.sources[0].status == "unchanged"
    assert_same_dataset(tmp_path / "once", tmp_path / "twice")


def test_growing_file_read_incrementally(tmp_path, day_lines):
    lines, _ = day_lines
    cut = len(lines) // 3
    log = _write(tmp_path / "maillog", lines[:cut])
    ingest([log], tmp_path / "inc")
    with open(log, "a") as f:  # the MTA keeps writing; the last line is half written
        f.write("".join(line + "\n" for line in lines[cut:-1]) + lines[-1][:20])
    summary = ingest([log], tmp_path / "inc")
    assert summary.lines == len(lines) - cut - 1
    with open(log, "a") as f:
        f.write(lines[-1][20:] + "\n")
    assert ingest([log], tmp_path / "inc").lines == 1
    ingest([_write(tmp_path / "full", lines)], tmp_path / "whole")
    assert_same_dataset(tmp_path / "inc", tmp_path / "whole")


def test_rotation_is_followed(tmp_path, day_lines):
    """maillog -> maillog.1 -> maillog.2.gz, with a run between each rotation."""
    lines, _ = day_lines
    a, b, c = lines[:3000], lines[3000:7000], lines[7000:]
    logdir = tmp_path / "log"
    logdir.mkdir()
    _write(logdir / "maillog", a[:2000])
    ingest([logdir / "maillog"], tmp_path / "rot")
    # more lines, then rotation; the new maillog gets the next lines
    _write(logdir / "maillog.1", a)
    _write(logdir / "maillog", b)
    os.remove(logdir / "maillog.1")
    _write(logdir / "maillog.1", a)
    summary = ingest([str(logdir / "maillog*")], tmp_path / "rot")
    assert summary.lines == 1000 + len(b)
    statuses = {os.path.basename(s.path): s.status for s in summary.sources}
    assert statuses["maillog.1"].startswith("rotated")
    # second rotation with compression
    os.remove(logdir / "maillog.1")
    _write(logdir / "maillog.2.gz", a)
    _write(logdir / "maillog.1", b)
    _write(logdir / "maillog", c)
    summary = ingest([str(logdir / "maillog*")], tmp_path / "rot")
    assert summary.lines == len(c)
    ingest([_write(tmp_path / "all", lines)], tmp_path / "ref")
    assert_same_dataset(tmp_path / "rot", tmp_path / "ref")


def test_truncation_is_noticed(tmp_path, day_lines):
    lines, _ = day_lines
    log = _write(tmp_path / "maillog", lines[:500])
    ingest([log], tmp_path / "d")
    _write(log, lines[500:600])  # copytruncate: same name, new content
    summary = ingest([log], tmp_path / "d")
    assert summary.lines == 100


def test_lock_keeps_a_second_run_out(tmp_path, day_lines):
    from analyzer.dataset.store import Dataset, LockHeld

    log = _write(tmp_path / "maillog", day_lines[0][:100])
    with Dataset(tmp_path / "d").lock():
        with pytest.raises(LockHeld, match="another ingest"):
            ingest([log], tmp_path / "d")
    assert ingest([log], tmp_path / "d").lines == 100


def test_year_rollover_and_timezone(tmp_path):
    lines = [
        "Dec 31 23:59:59 mx1 postfix/qmgr[1]: 4F2A11C0E3: removed",
        "Jan  1 00:00:01 mx1 postfix/qmgr[1]: 4F2A11C0E4: removed",
    ]
    events = list(api.parse_lines(lines, tz="Europe/Berlin", year=2025))
    assert [e["ts"] for e in events] == ["2025-12-31T22:59:59Z", "2025-12-31T23:00:01Z"]
    # inferred from the file's mtime: no line is newer than its file
    log = _write(tmp_path / "maillog", lines, mtime=datetime(2026, 1, 2))
    out = subprocess.run(
        [sys.executable, "-m", "analyzer", "parse", str(log), "--tz", "UTC"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert [json.loads(ln)["ts"] for ln in out.stdout.splitlines()] == [
        "2025-12-31T23:59:59Z",
        "2026-01-01T00:00:01Z",
    ]
    # DST: 02:30 on the spring-forward day does not exist in Berlin; 01:30 is CET (+1)
    ev = next(
        api.parse_lines(
            ["Mar 29 01:30:00 mx1 postfix/qmgr[1]: 4F2A11C0E3: removed"],
            tz="Europe/Berlin",
            year=2026,
        )
    )
    assert ev["ts"] == "2026-03-29T00:30:00Z"


def test_timestamp_forms():
    forms = {
        "Nov  6 09:05:01 mx1 postfix/qmgr[1]: 4F2A11C0E3: removed": "2026-11-06T09:05:01Z",
        "Nov 06 09:05:01 mx1 postfix/qmgr[1]: 4F2A11C0E3: removed": "2026-11-06T09:05:01Z",
        "<22>Nov  6 09:05:01 mx1 postfix/qmgr[1]: 4F2A11C0E3: removed": "2026-11-06T09:05:01Z",
        "2026-11-06T09:05:01.123456+01:00 mx1 postfix/qmgr[1]: 4F2A11C0E3: removed": "2026-11-06T08:05:01.123456Z",
        "2026-11-06T09:05:01Z mx1 postfix/qmgr[1]: 4F2A11C0E3: removed": "2026-11-06T09:05:01Z",
    }
    for line, ts in forms.items():
        event = next(api.parse_lines([line], tz="UTC", year=2026))
        assert event["ts"] == ts and event["event"] == "removed", line


def test_bad_input_keeps_good_lines(tmp_path, day_lines):
    lines, _ = day_lines
    good = lines[:200]
    junk = (
        b"\x00\xff\xfe binary \x89PNG\r\n"
        + random.Random(0).randbytes(3000).replace(b"\n", b"")
        + b"\n"
        + b"Nov 26 00:00:00 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from caf\xe9[192.0.2.1]: 554 5.7.1 "
        b"<x@y.example>: Relay access denied; from=<a@b.example> to=<x@y.example> proto=ESMTP helo=<h>\n"
        + b"Nov 26 10:00:00 mx1 postfix/smtpd[1]: "
        + b"x" * (10 << 20)
        + b"\n"
    )
    raw = (
        "".join(ln + "\n" for ln in good[:100]).encode()
        + junk
        + "".join(ln + "\n" for ln in good[100:]).encode()
    )
    log = tmp_path / "maillog"
    log.write_bytes(raw)
    summary = ingest([log], tmp_path / "d", year=2026)
    assert summary.lines == 200 + 4
    assert summary.unparsed == 3  # two binary lines and the 10 MB line
    unparsed = table(tmp_path / "d", "unparsed")
    assert sorted(unparsed.reason) == ["no header", "no header", "no pattern"]
    big = unparsed[unparsed.reason == "no pattern"].iloc[0]
    assert big.line_length == (10 << 20) + len("Nov 26 10:00:00 mx1 postfix/smtpd[1]: ")
    assert len(big.line) == 8192
    assert raw[big.offset : big.offset + 15] == b"Nov 26 10:00:00"
    rejects = table(tmp_path / "d", "rejects")
    assert "caf\ufffd" in set(rejects.client_name)  # invalid UTF-8 kept, replaced
    # the same good lines without the junk give the same messages
    ingest([_write(tmp_path / "clean", good)], tmp_path / "clean_d", year=2026)
    assert len(table(tmp_path / "d", "messages")) == len(table(tmp_path / "clean_d", "messages"))


def test_truncated_gzip_keeps_complete_lines(tmp_path, day_lines):
    lines, _ = day_lines
    data = gzip.compress("".join(ln + "\n" for ln in lines[:3000]).encode())
    log = tmp_path / "maillog.1.gz"
    log.write_bytes(data[: len(data) // 2])
    summary = ingest([log], tmp_path / "d")
    assert 0 < summary.lines < 3000
    assert any("truncated" in w for w in summary.warnings)
    assert summary.unparsed <= 1  # the cut-off last line, kept as unparsed text


def test_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(AnalyzerError, match="no such file"):
        ingest([tmp_path / "nope"], tmp_path / "d")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "analyzer",
            "ingest",
            str(tmp_path / "nope"),
            "--data",
            str(tmp_path / "d"),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1 and "no such file" in out.stderr and "Traceback" not in out.stderr


def test_kill_9_at_points_of_progress_then_rerun_equals_clean_run(tmp_path):
    """A subprocess ingest is killed again and again at points read from its own progress
    (holding the lock, after its n-th commit, between its parts and its checkpoint);
    re-running completes the dataset exactly as one uninterrupted run would have."""
    lines, _ = generate_postfix(seed=5, days=1.0, messages_per_day=12000)
    log = _write(tmp_path / "maillog", lines)
    ingest([log], tmp_path / "clean", year=2026)
    data = tmp_path / "killed"
    env = dict(os.environ, ANALYZER_COMMIT_LINES="5000")  # a commit per batch: ~25 of them
    cmd = [
        sys.executable,
        "-m",
        "analyzer",
        "ingest",
        str(log),
        "--data",
        str(data),
        "--tz",
        "UTC",
        "--year",
        "2026",
    ]
    rng = random.Random(1)
    kills = Counter()
    for attempt in range(9):
        point = KILL_POINTS[attempt % 3]
        if run_and_kill(cmd, data, point, after=rng.randint(1, 2), env=env):
            kills[point] += 1
    assert kills == {"locked": 3, "commit": 3, "writing": 3}
    assert committed(data) > 0
    ingest([log], data, year=2026)
    assert_same_dataset(tmp_path / "clean", data)
