"""The compiled ingest engine on Exim (its own log and under syslog) against the Python
path: the same dataset, every table row for row and column for column, on the sample
log, every Exim file of the corpora, generated logs with incidents (local submissions
with `cwd=` lines, the spam-scanner router and amavis hops), runs cut at several points
alternating the two paths, runs killed with SIGKILL then re-run, and a PHP line that
hands the run to the Python correlator."""

from __future__ import annotations

import importlib.util
import json
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
from helpers import assert_same_dataset, table
from test_compiled_engine import count_runs, ingest
from test_parse_mta import _as_syslog, _files

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
        "exim", seed=seed, start=datetime(2026, 3, 2, 22), days=days, messages_per_day=messages
    )
    return lines


def _filter_hops() -> list[str]:
    """The hand-written Exim content-filter cases of `tests/correlate`: a spam-scanner
    router's re-injection (`P=spam-scanned`) and amavis on 127.0.0.1:10024 -> 10025."""
    path = ROOT / "tests" / "correlate" / "test_content_filter_exim.py"
    spec = importlib.util.spec_from_file_location("content_filter_exim", path)
    assert spec is not None and spec.loader is not None
    cases = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cases)
    return (cases.SCANNER_ROUTER + cases.AMAVIS).splitlines()


def test_sample_exim_mainlog(monkeypatch, tmp_path, engine_runs):
    log = write_log((ROOT / "sample_logs/exim/exim_mainlog").read_bytes(), tmp_path / "x", True)
    _, engine = both_ways(monkeypatch, tmp_path, log)
    assert engine_runs["batches"] >= 3 and engine_runs["handed_over"] == 0
    messages = table(engine, "messages")
    assert len(messages) > 3000
    assert messages["script"].notna().sum() > 10  # cwd= lines of local submissions


def test_corpora_exim_files(monkeypatch, tmp_path, corpora, engine_runs):
    files = _files(corpora).get(("exim", True), [])
    assert len(files) >= 3, files
    for i, path in enumerate(files):
        both_ways(monkeypatch, tmp_path, path, name=str(i))
    assert engine_runs["batches"] >= len(files) and engine_runs["handed_over"] == 0


@pytest.mark.parametrize("seed", [1, 7])
def test_generated_with_incidents_and_filter_hops(monkeypatch, tmp_path, engine_runs, seed):
    # the generator words no Exim content filter: its hops follow the generated day
    log = write_log(_generated(seed) + _filter_hops(), tmp_path / "exim_mainlog", native=True)
    _, engine = both_ways(monkeypatch, tmp_path, log)
    assert engine_runs["handed_over"] == 0
    messages = table(engine, "messages")
    assert messages["filter_of"].notna().sum() == 3  # re-injected by a scanner, charged
    assert (table(engine, "deliveries")["status"] == "filtered").sum() == 4
    assert messages["script_path"].notna().sum() > 5  # cwd= lines of local submissions


def test_generated_under_syslog(monkeypatch, tmp_path, engine_runs):
    lines = [_as_syslog(line, i) for i, line in enumerate(_generated(5, days=0.5))]
    both_ways(monkeypatch, tmp_path, write_log(lines, tmp_path / "maillog", native=False))
    assert engine_runs["batches"] > 0 and engine_runs["handed_over"] == 0


@pytest.mark.parametrize("first", ["engine", "python"])
def test_runs_cut_at_several_points_alternating(monkeypatch, tmp_path, engine_runs, first):
    cut_alternating(monkeypatch, tmp_path, _generated(3), native=True, first=first)
    assert engine_runs["batches"] > 0 and engine_runs["handed_over"] == 0


def test_kill_9_at_points_of_progress_then_rerun(monkeypatch, tmp_path):
    kill_and_rerun(monkeypatch, tmp_path, _generated(11, days=0.6, messages=10000), native=True)


def test_a_php_line_hands_the_run_to_the_python_correlator(monkeypatch, tmp_path, engine_runs):
    lines = [_as_syslog(line, i) for i, line in enumerate(_generated(5, days=0.5))]
    log = write_log(php_in_the_middle(lines, 16), tmp_path / "maillog", native=False)
    python, _ = both_ways(monkeypatch, tmp_path, log)
    assert engine_runs["handed_over"] == 1
    assert len(table(python, "php_mail")) == 1


@pytest.mark.parametrize("first", ["engine", "python"])
def test_a_cwd_line_waits_in_the_checkpoint_for_its_arrival(monkeypatch, tmp_path, first):
    """A run that ends between a `cwd=` line (no message id, no pid: its key has a null)
    and its arrival leaves the line in the checkpoint's `cwds`; the next run, under the
    other path, gives it to the arrival after the JSON round trip."""
    lines = (ROOT / "sample_logs/exim/exim_mainlog").read_text().splitlines()[:400]
    # without the delivery processes' `cwd=` lines (`-Mc <id>`): the path comes from the
    # submitter's line alone
    lines = [ln for ln in lines if " -Mc " not in ln]
    at = next(i for i, ln in enumerate(lines) if "cwd=" in ln and "sendmail -t" in ln)
    path = lines[at].split("cwd=", 1)[1].split(" ", 1)[0]
    whole = write_log(lines, tmp_path / "whole.log", native=True)
    ingest(monkeypatch, [whole], tmp_path / "whole", engine=False)
    grown = write_log(lines[: at + 1], tmp_path / "grown.log", native=True)
    ingest(monkeypatch, [grown], tmp_path / "cut", engine=first == "engine")
    state = json.loads((tmp_path / "cut" / "_state" / "state.json").read_text())
    assert state["commit"] >= 1
    write_log(lines, grown, native=True)
    ingest(monkeypatch, [grown], tmp_path / "cut", engine=first != "engine")
    assert_same_dataset(tmp_path / "whole", tmp_path / "cut")
    arrived = table(tmp_path / "cut", "messages")
    assert (arrived["script_path"] == path).any()
