"""The compiled ingest engine on Sendmail against the Python path: the same dataset,
every table row for row and column for column, on the sample log, every Sendmail file of
the corpora, generated logs with incidents (AUTH login sessions, rejects held for their
session's `from=` line, the MSP -> MTA hop of local submissions), runs cut at several
points alternating the two paths, runs killed with SIGKILL then re-run, and a PHP line
that hands the run to the Python correlator."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from both import require_core
from engine_mta import (
    both_ways,
    cut_alternating,
    kill_and_rerun,
    php_in_the_middle,
    write_log,
)
from helpers import table
from test_compiled_engine import count_runs
from test_parse_mta import _files

from analyzer.samplegen.mta import generate_mta

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _core():
    require_core()


@pytest.fixture
def engine_runs(monkeypatch):
    return count_runs(monkeypatch)


def _generated(seed: int, days: float = 1.0, messages: int = 1500) -> list[str]:
    lines, _ = generate_mta(
        "sendmail", seed=seed, start=datetime(2026, 3, 2, 22), days=days, messages_per_day=messages
    )
    return lines


def test_sample_maillog(monkeypatch, tmp_path, engine_runs):
    log = write_log((ROOT / "sample_logs/sendmail/maillog").read_bytes(), tmp_path / "m", False)
    _, engine = both_ways(monkeypatch, tmp_path, log)
    assert engine_runs["batches"] >= 3 and engine_runs["handed_over"] == 0
    messages = table(engine, "messages")
    assert len(messages) > 3000
    assert messages["submission_queue_id"].notna().sum() > 10  # MSP -> MTA hops, merged
    assert (messages["origin"] == "sasl").sum() > 10  # AUTH logins of their sessions


def test_corpora_sendmail_files(monkeypatch, tmp_path, corpora, engine_runs):
    files = _files(corpora).get(("sendmail", False), [])
    assert len(files) >= 2, files
    for i, path in enumerate(files):
        both_ways(monkeypatch, tmp_path, path, name=str(i))
    assert engine_runs["batches"] >= len(files) and engine_runs["handed_over"] == 0


@pytest.mark.parametrize("seed", [1, 7])
def test_generated_with_incidents(monkeypatch, tmp_path, engine_runs, seed):
    log = write_log(_generated(seed), tmp_path / "maillog", native=False)
    _, engine = both_ways(monkeypatch, tmp_path, log)
    assert engine_runs["handed_over"] == 0
    messages = table(engine, "messages")
    assert messages["submission_queue_id"].notna().sum() > 5
    rejects = table(engine, "rejects")
    assert rejects["sender"].notna().sum() > 5  # held until the session's from= named it


@pytest.mark.parametrize("first", ["engine", "python"])
def test_runs_cut_at_several_points_alternating(monkeypatch, tmp_path, engine_runs, first):
    cut_alternating(monkeypatch, tmp_path, _generated(3), native=False, first=first)
    assert engine_runs["batches"] > 0 and engine_runs["handed_over"] == 0


def test_kill_9_at_points_of_progress_then_rerun(monkeypatch, tmp_path):
    kill_and_rerun(monkeypatch, tmp_path, _generated(11, days=0.6, messages=10000), native=False)


def test_a_php_line_hands_the_run_to_the_python_correlator(monkeypatch, tmp_path, engine_runs):
    log = write_log(php_in_the_middle(_generated(5, days=0.5), 16), tmp_path / "m", native=False)
    python, _ = both_ways(monkeypatch, tmp_path, log)
    assert engine_runs["handed_over"] == 1
    assert len(table(python, "php_mail")) == 1
