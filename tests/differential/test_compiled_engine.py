"""The compiled ingest engine (`ANALYZER_ENGINE=compiled`: parse and correlate in Rust,
Arrow rows) against the Python path (`ANALYZER_CORE=python`): the same dataset, every
table row for row and column for column, on the sample maillog, every Postfix file of
the corpora, generated Postfix logs with incidents and the amavis content filter, and
runs cut at several points that alternate the two (the checkpoint is shared)."""

from __future__ import annotations

import os
import random
import re
import sys
import threading
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from both import require_core
from helpers import KILL_POINTS, assert_same_dataset, committed, run_and_kill, table
from test_parse_core import _postfix_files

from analyzer import api
from analyzer.ingest import compiled
from analyzer.read import batches
from analyzer.samplegen import generate_postfix

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _core():
    require_core()


@pytest.fixture
def engine_runs(monkeypatch):
    return count_runs(monkeypatch)


def count_runs(monkeypatch) -> dict[str, int]:
    """Counts what the engine did: batches it took, hand-overs to the Python correlator."""
    seen = {"batches": 0, "handed_over": 0}
    parse, hand_over = compiled.Engine.parse, compiled.EngineCorrelator.hand_over

    def counted_parse(self, job):
        seen["batches"] += 1
        return parse(self, job)

    def counted_hand_over(self):
        seen["handed_over"] += 1
        hand_over(self)

    monkeypatch.setattr(compiled.Engine, "parse", counted_parse)
    monkeypatch.setattr(compiled.EngineCorrelator, "hand_over", counted_hand_over)
    return seen


def ingest(monkeypatch, paths, data: Path, engine: bool) -> None:
    monkeypatch.setenv("ANALYZER_CORE", "rust" if engine else "python")
    monkeypatch.setenv("ANALYZER_ENGINE", "compiled" if engine else "python")
    api.ingest([str(p) for p in paths], data=str(data), tz="UTC")


def dated_copy(lines: list[str] | bytes, path: Path) -> Path:
    """A log file with its mtime at its last line (the year of BSD stamps comes from it)."""
    data = lines if isinstance(lines, bytes) else ("\n".join(lines) + "\n").encode()
    path.write_bytes(data)
    last = data.rstrip(b"\n").rsplit(b"\n", 1)[-1].decode()
    stamp = datetime.strptime(f"{last[:15]} 2026", "%b %d %H:%M:%S %Y").replace(tzinfo=UTC)
    os.utime(path, (stamp.timestamp(), stamp.timestamp()))
    return path


def test_sample_maillog(monkeypatch, tmp_path, engine_runs):
    log = dated_copy((ROOT / "sample_logs" / "maillog").read_bytes(), tmp_path / "maillog")
    ingest(monkeypatch, [log], tmp_path / "python", engine=False)
    ingest(monkeypatch, [log], tmp_path / "engine", engine=True)
    assert engine_runs["batches"] >= 5 and engine_runs["handed_over"] == 0
    assert len(table(tmp_path / "python", "messages")) > 3000
    assert_same_dataset(tmp_path / "python", tmp_path / "engine")


def test_corpora_postfix_files(monkeypatch, tmp_path, corpora, engine_runs):
    files = _postfix_files(corpora)
    assert len(files) >= 10, files
    whole = 0  # files the engine correlated without handing over
    for i, path in enumerate(files):
        before = engine_runs["handed_over"]
        ingest(monkeypatch, [path], tmp_path / f"python{i}", engine=False)
        ingest(monkeypatch, [path], tmp_path / f"engine{i}", engine=True)
        assert_same_dataset(tmp_path / f"python{i}", tmp_path / f"engine{i}")
        whole += engine_runs["handed_over"] == before
    assert whole >= len(files) // 2, (whole, len(files))


def _generated(start: datetime, days: float, messages: int, seed: int) -> list[str]:
    lines, truth = generate_postfix(seed=seed, start=start, days=days, messages_per_day=messages)
    assert truth["content_filter"]["reinjected_messages"] > 0, "amavis hops in the log"
    return lines


@pytest.mark.parametrize("seed", [1, 7])
def test_generated_with_incidents_and_amavis(monkeypatch, tmp_path, engine_runs, seed):
    lines = _generated(datetime(2026, 3, 2, 22), days=1.5, messages=1500, seed=seed)
    log = dated_copy(lines, tmp_path / "maillog")
    ingest(monkeypatch, [log], tmp_path / "python", engine=False)
    ingest(monkeypatch, [log], tmp_path / "engine", engine=True)
    assert engine_runs["handed_over"] == 0
    messages = table(tmp_path / "engine", "messages")
    assert messages["filter_of"].notna().sum() > 10  # re-injected by amavis, charged
    deliveries = table(tmp_path / "engine", "deliveries")
    assert (deliveries["status"] == "filtered").sum() > 10
    assert_same_dataset(tmp_path / "python", tmp_path / "engine")


@pytest.mark.parametrize("first", ["engine", "python"])
def test_runs_cut_at_several_points_alternating(monkeypatch, tmp_path, engine_runs, first):
    """The log grows between runs (cut mid-message, mid-session, inside the amavis hop's
    grace) and each run uses the other path, committing every few batches."""
    monkeypatch.setenv("ANALYZER_COMMIT_LINES", "3000")
    lines = _generated(datetime(2026, 5, 10, 20), days=1.0, messages=1500, seed=3)
    log = dated_copy(lines, tmp_path / "whole.log")
    ingest(monkeypatch, [log], tmp_path / "whole", engine=False)
    grown = tmp_path / "maillog"
    cuts = [len(lines) * k // 7 for k in range(1, 7)] + [len(lines)]
    done = 0
    engine = first == "engine"
    for cut in cuts:
        with grown.open("a") as f:
            f.writelines(line + "\n" for line in lines[done:cut])
        done = cut
        os.utime(grown, (log.stat().st_mtime, log.stat().st_mtime))
        ingest(monkeypatch, [grown], tmp_path / "mixed", engine=engine)
        engine = not engine
    assert engine_runs["batches"] > 0 and engine_runs["handed_over"] == 0
    assert_same_dataset(tmp_path / "whole", tmp_path / "mixed")


def test_the_worker_asks_python_while_the_next_batch_is_parsed(monkeypatch, tmp_path, engine_runs):
    """A batch is correlated on the engine's thread while the next is parsed: with IPv6
    clients that thread asks Python (`is_local_ip`) as it goes, and the dataset is the
    Python path's."""
    monkeypatch.setattr(batches, "CHUNK", 64 << 10)  # many batches in flight in turn
    lines = _generated(datetime(2026, 3, 2, 22), days=0.5, messages=800, seed=5)
    v6 = [re.sub(r"\[(\d+)\.(\d+)\.(\d+)\.(\d+)\]", _v6, line) for line in lines]
    assert sum("[2001:db8:" in line for line in v6) > 1000
    log = dated_copy(v6, tmp_path / "maillog")
    asked_from: Counter[bool] = Counter()
    is_local = compiled._is_local_ip

    def recorded(ip, own):
        asked_from[threading.current_thread() is threading.main_thread()] += 1
        return is_local(ip, own)

    monkeypatch.setattr(compiled, "_is_local_ip", recorded)
    ingest(monkeypatch, [log], tmp_path / "python", engine=False)
    ingest(monkeypatch, [log], tmp_path / "engine", engine=True)
    assert engine_runs["batches"] > 8 and engine_runs["handed_over"] == 0
    assert asked_from[False] > 100 and asked_from[True] == 0  # only the engine's thread
    assert_same_dataset(tmp_path / "python", tmp_path / "engine")


def _v6(m: re.Match) -> str:
    """A dotted client address as an IPv6 one (loopback stays: amavis's hop)."""
    if m[1] == "127":
        return m[0]
    return "[2001:db8:{:x}:{:x}::{:x}:{:x}]".format(*(int(g) for g in m.groups()))


def test_kill_9_at_points_of_progress_then_rerun_equals_clean_run(monkeypatch, tmp_path):
    """Engine runs killed again and again at points of their own progress (holding the
    lock, after a commit, between a commit's parts and its checkpoint); re-running
    completes the dataset exactly as one uninterrupted Python run."""
    lines = _generated(datetime(2026, 3, 2, 22), days=0.6, messages=6000, seed=11)
    log = dated_copy(lines, tmp_path / "maillog")
    ingest(monkeypatch, [log], tmp_path / "clean", engine=False)
    data = tmp_path / "killed"
    env = dict(
        os.environ,
        ANALYZER_COMMIT_LINES="4000",
        ANALYZER_CORE="rust",
        ANALYZER_ENGINE="compiled",
    )
    cmd = [sys.executable, "-m", "analyzer", "ingest", str(log), "--data", str(data)]
    cmd += ["--tz", "UTC"]
    rng = random.Random(3)
    kills: Counter[str] = Counter()
    for attempt in range(6):
        point = KILL_POINTS[attempt % 3]
        if run_and_kill(cmd, data, point, after=rng.randint(1, 2), env=env):
            kills[point] += 1
    assert kills == {"locked": 2, "commit": 2, "writing": 2}
    assert committed(data) > 0
    ingest(monkeypatch, [log], data, engine=True)
    assert_same_dataset(tmp_path / "clean", data)


def test_a_foreign_event_hands_the_run_to_the_python_correlator(monkeypatch, tmp_path, engine_runs):
    """PHP's mail.log through syslog (a line the engine does not model) in the middle of
    a Postfix log: the engine hands its open state to the Python correlator there."""
    lines = _generated(datetime(2026, 3, 2, 22), days=0.5, messages=1500, seed=5)
    middle = lines[len(lines) // 2]
    php = (
        middle[:16]
        + "mx1 php: mail() on [/var/www/site/contact.php:12]: To: a@example.org -- "
        + "Headers: From: site@example.com -- Subject: hello"
    )
    lines = lines[: len(lines) // 2] + [php] + lines[len(lines) // 2 :]
    log = dated_copy(lines, tmp_path / "maillog")
    ingest(monkeypatch, [log], tmp_path / "python", engine=False)
    ingest(monkeypatch, [log], tmp_path / "engine", engine=True)
    assert engine_runs["handed_over"] == 1
    assert len(table(tmp_path / "python", "php_mail")) == 1
    assert_same_dataset(tmp_path / "python", tmp_path / "engine")


OTHER_MTA = {
    # lines of another MTA in a Postfix syslog file: the engine correlates them by that
    # MTA's rules, as the Python correlator does
    "exim": "mx1 exim[4242]: 2026-03-02 22:00:00 1wXyZa-000abc-Qr <= a@example.org "
    "H=client.example.net [192.0.2.7] P=esmtpa A=dovecot_login:a@example.org S=1234",
    "sendmail": "mx1 sendmail[4243]: 5B2LmX1a004243: from=<a@example.org>, size=1234, "
    "class=0, nrcpts=1, msgid=<m1@example.org>, proto=ESMTPA, daemon=MTA, "
    "relay=client.example.net [192.0.2.7]",
}


@pytest.mark.parametrize("mta", sorted(OTHER_MTA))
def test_another_mtas_line_is_correlated_by_its_own_rules(monkeypatch, tmp_path, engine_runs, mta):
    """A line of Exim or Sendmail (which the parse core also reads) in a Postfix syslog
    file: the engine correlates it by that MTA's rules, without handing over."""
    lines = _generated(datetime(2026, 3, 2, 22), days=0.5, messages=1500, seed=5)
    middle = lines[len(lines) // 2]
    lines = lines[: len(lines) // 2] + [middle[:16] + OTHER_MTA[mta]] + lines[len(lines) // 2 :]
    log = dated_copy(lines, tmp_path / "maillog")
    ingest(monkeypatch, [log], tmp_path / "python", engine=False)
    ingest(monkeypatch, [log], tmp_path / "engine", engine=True)
    assert engine_runs["handed_over"] == 0
    assert_same_dataset(tmp_path / "python", tmp_path / "engine")
    queue_id = {"exim": "1wXyZa-000abc-Qr", "sendmail": "5B2LmX1a004243"}[mta]
    assert (table(tmp_path / "engine", "messages")["queue_id"] == queue_id).sum() == 1


def test_the_engine_is_the_default_of_the_compiled_core(monkeypatch, tmp_path, engine_runs):
    """Unset, the compiled core's ingest is the engine; `ANALYZER_ENGINE=python` and runs
    it does not model (an explicit --year) keep the Python correlator."""
    log = dated_copy(_generated(datetime(2026, 3, 2, 22), 0.2, 1500, seed=2), tmp_path / "maillog")
    monkeypatch.setenv("ANALYZER_CORE", "rust")
    monkeypatch.delenv("ANALYZER_ENGINE", raising=False)
    api.ingest([str(log)], data=str(tmp_path / "default"), tz="UTC")
    assert engine_runs["batches"] > 0
    engine_runs["batches"] = 0
    monkeypatch.setenv("ANALYZER_ENGINE", "python")
    api.ingest([str(log)], data=str(tmp_path / "python"), tz="UTC")
    assert engine_runs["batches"] == 0
    assert_same_dataset(tmp_path / "python", tmp_path / "default")
    monkeypatch.delenv("ANALYZER_ENGINE")
    api.ingest([str(log)], data=str(tmp_path / "year"), tz="UTC", year=2026)
    assert engine_runs["batches"] == 0  # an explicit --year: not the engine's


def test_a_commit_hands_over_only_keys_the_store_holds_or_keeps(monkeypatch, tmp_path):
    """A message opened and closed between two commits never reaches the open store, so
    the engine's state at a commit does not list it among the touched keys (it listed
    every message of the interval: ~55 MB of Python tuples at a 2M-line commit)."""
    monkeypatch.setenv("ANALYZER_COMMIT_LINES", "3000")
    saves: list[tuple[set, set]] = []  # (touched keys, keys held) per commit
    state = compiled.EngineCorrelator.state

    def recorded(self):
        got = state(self)
        messages = got["messages"]
        saves.append((set(messages.touched), set(messages)))
        return got

    monkeypatch.setattr(compiled.EngineCorrelator, "state", recorded)
    lines = _generated(datetime(2026, 3, 2, 22), days=1.5, messages=1500, seed=3)
    log = dated_copy(lines, tmp_path / "maillog")
    ingest(monkeypatch, [log], tmp_path / "engine", engine=True)
    assert len(saves) >= 3
    held_before: set = set()
    for touched, held in saves:
        # a touched key is one the store held at the last commit or one open now
        assert touched <= held_before | held, len(touched - held_before - held)
        held_before = held
    assert len(table(tmp_path / "engine", "messages")) > 500
