"""What an ingest costs around its parsing: the modules `analyzer ingest` imports (a run
with nothing new to read, cron's every few minutes, loads neither the parsers, the
correlator nor pyarrow; no run loads pandas or plotly), the OpenBLAS threads it keeps
numpy from starting, and the cyclic collections its commits make (the compiled engine's
only of the young generations)."""

import gc
import json
import os
import subprocess
import sys

import pytest
from helpers import ingest

from analyzer.parse.core import compiled, engine_in_use
from analyzer.samplegen.postfix import generate_postfix

# the CLI's `ingest`, then what it imported and its OPENBLAS_NUM_THREADS, as JSON in the
# file named first
_PROBE = """
import atexit, json, os, sys
report_to = sys.argv.pop(1)
def report():
    with open(report_to, "w") as out:
        json.dump({"modules": sorted(sys.modules),
                   "openblas": os.environ.get("OPENBLAS_NUM_THREADS")}, out)
atexit.register(report)
sys.argv = ["analyzer", "ingest", *sys.argv[1:]]
from analyzer.cli.app import main
main()
"""

HEAVY = ("pandas", "plotly", "numpy", "pyarrow")
COMPILED = "analyzer._core"
PARSING = ("analyzer.parse.events", "analyzer.parse.patterns", "analyzer.correlate")


def _ingest_cli(log, data, env=None) -> dict:
    report = data.parent / f"{data.name}-imports.json"
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(report), str(log), "--data", str(data), "--tz", "UTC"],
        env={**os.environ, **(env or {})},
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(report.read_text())


def _top(modules: list[str], names) -> list[str]:
    return sorted({m for m in modules if m.split(".")[0] in names or m in names})


@pytest.fixture(scope="module")
def small_log(tmp_path_factory):
    lines, _ = generate_postfix(seed=5, days=0.05, messages_per_day=2000)
    log = tmp_path_factory.mktemp("lean") / "maillog"
    log.write_text("".join(line + "\n" for line in lines))
    return log


def test_a_run_with_nothing_new_imports_no_parser_nor_pyarrow(tmp_path, small_log):
    data = tmp_path / "d"
    first = _ingest_cli(small_log, data)
    assert "pyarrow" in first["modules"]  # it wrote parts
    if engine_in_use() == "compiled":  # the Python path's rows -> Arrow conversion imports pandas
        assert not _top(first["modules"], ("pandas", "plotly"))
    again = _ingest_cli(small_log, data)
    assert _top(again["modules"], HEAVY) == []
    assert COMPILED not in again["modules"]  # nor the compiled core (`run._nothing_new`)
    assert _top(again["modules"], ("rich",)) == []  # its notes went to a pipe: plain text
    if engine_in_use() == "compiled":  # the Python path's workers fork with the parser loaded
        assert [m for m in again["modules"] if m.startswith(PARSING)] == []
    # an empty file into an existing dataset: the same
    empty = tmp_path / "empty.log"
    empty.write_text("")
    assert _top(_ingest_cli(empty, data)["modules"], HEAVY) == []


def _commit(data) -> int:
    return json.loads((data / "_state" / "state.json").read_text())["commit"]


def test_a_run_ends_early_only_when_nothing_changed(tmp_path, small_log):
    """The early exit (nothing read, nothing written, not even a commit) is taken when
    the checkpoint has every source read to its end, and only then."""
    log, data = tmp_path / "maillog", tmp_path / "d"
    lines = small_log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines[:300]))
    assert ingest([log], data).lines == 300
    committed = _commit(data)

    unchanged = ingest([log], data)
    assert (unchanged.lines, [s.status for s in unchanged.sources]) == (0, ["unchanged"])
    assert _commit(data) == committed  # the early exit: the checkpoint left alone

    with log.open("ab") as f:  # lines appended: read
        f.write(b"".join(lines[300:400]))
    assert ingest([log], data).lines == 100
    assert _commit(data) == committed + 1

    # the same size, other content (rewritten in place): a new file, read from the start
    log.write_bytes(b"".join(lines[1:401]).ljust(log.stat().st_size, b"\n")[: log.stat().st_size])
    rewritten = ingest([log], data)
    assert rewritten.lines > 0 and rewritten.sources[0].status == "new"
    assert _commit(data) == committed + 2

    # a run that died writing left its note: the whole way, which clears it
    (data / "_state" / "writing").write_text(f"{committed + 3}\n")
    assert ingest([log], data).sources[0].status == "unchanged"
    assert not (data / "_state" / "writing").exists()
    assert _commit(data) == committed + 3

    # a table without its schema file: the whole way writes it
    (data / "messages" / "_common_metadata").unlink()
    ingest([log], data)
    assert (data / "messages" / "_common_metadata").exists()
    assert _commit(data) == committed + 4

    # truncated (copytruncate): read again from the start
    log.write_bytes(b"".join(lines[450:460]))
    truncated = ingest([log], data)
    assert truncated.lines == 10
    assert _commit(data) == committed + 5
    assert ingest([log], data).lines == 0
    assert _commit(data) == committed + 5


def test_openblas_threads_off_unless_the_user_says(monkeypatch, tmp_path, small_log):
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    assert _ingest_cli(small_log, tmp_path / "a")["openblas"] == "1"
    mine = _ingest_cli(small_log, tmp_path / "b", env={"OPENBLAS_NUM_THREADS": "2"})
    assert mine["openblas"] == "2"


def _collections(monkeypatch, log, data, engine: bool) -> list[int]:
    """The generations of the cyclic collections during an ingest of `log` (batches of
    about 50 lines, a commit every 100)."""
    from analyzer.read import batches

    monkeypatch.setattr(batches, "CHUNK", 8 << 10)
    monkeypatch.setenv("ANALYZER_COMMIT_LINES", "100")
    monkeypatch.setenv("ANALYZER_CORE", "rust" if engine else "python")
    monkeypatch.setenv("ANALYZER_ENGINE", "compiled" if engine else "python")
    seen: list[int] = []

    def note(phase, info):
        if phase == "start":
            seen.append(info["generation"])

    gc.callbacks.append(note)
    try:
        summary = ingest([log], data, tz="UTC")
    finally:
        gc.callbacks.remove(note)
    assert summary.lines > 400
    return seen


@pytest.mark.skipif(compiled() is None, reason="the compiled core is not installed")
def test_engine_commits_collect_only_the_young_generations(monkeypatch, tmp_path, small_log):
    engine = _collections(monkeypatch, small_log, tmp_path / "engine", engine=True)
    assert len(engine) >= 4 and max(engine) < 2
    python = _collections(monkeypatch, small_log, tmp_path / "python", engine=False)
    assert python.count(2) >= 4  # the Python correlator's commits: full collections
