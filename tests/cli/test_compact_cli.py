"""`analyzer compact`: progress on stderr, one summary line on stdout, `status` shows the
part count going down, and clear one-line errors (no dataset, locked, a fleet)."""

import re
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer import api
from analyzer.cli.app import app
from analyzer.dataset.store import Dataset
from analyzer.errors import AnalyzerError
from analyzer.samplegen.postfix import generate_postfix

runner = CliRunner()


def invoke(*args):
    """(exit code, stdout, stderr) as `analyzer` gives them (an AnalyzerError: its
    message on stderr and its exit code)."""
    result = runner.invoke(app, [str(a) for a in args], env={"TERMINAL_WIDTH": "200"})
    stderr = result.stderr
    code = result.exit_code
    if isinstance(result.exception, AnalyzerError):
        stderr += f"error: {result.exception}\n"
        code = result.exception.exit_code
    elif result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return code, result.stdout, stderr


@pytest.fixture
def data(tmp_path):
    lines, _ = generate_postfix(
        seed=5, days=1.2, start=datetime(2026, 11, 20, 10), messages_per_day=500
    )
    data = tmp_path / "data"
    pieces: dict[str, list[str]] = {}  # six hours of log each: several commits a day
    for line in lines:
        pieces.setdefault(line[:6] + str(int(line[7:9]) // 6), []).append(line + "\n")
    for i, piece in enumerate(pieces.values()):
        path = tmp_path / f"maillog-{i}"
        path.write_text("".join(piece))
        api.ingest([str(path)], data=data, tz="UTC", year=2026)
    return data


def test_compact_prints_progress_and_one_summary_line_and_status_counts_parts(data):
    parts_before = api.status(data)["parts"]
    code, out, _ = invoke("status", "--data", data)
    assert code == 0 and f"parts: {parts_before:,}" in out

    code, out, err = invoke("compact", "--data", data)

    assert code == 0, err
    assert re.search(r"merging \d+ parts of messages 2026-11-2\d", err)
    assert len(out.splitlines()) == 1  # the summary: one line, pipes
    parts_after = api.status(data)["parts"]
    assert parts_after < parts_before
    assert f"{parts_before:,} parts before, {parts_after:,} after" in out
    assert re.search(r"[\d.]+ MB -> [\d.]+ MB", out)
    code, out, _ = invoke("status", "--data", data)
    assert f"parts: {parts_after:,}" in out
    code, out, err = invoke("compact", "--data", data)
    assert (code, out, err) == (0, f"nothing to compact: {parts_after:,} parts\n", "")


def test_compact_older_than_keeps_recent_days(data):
    code, out, _ = invoke("compact", "--data", data, "--older-than", "2026-11-21T00:00Z")
    assert code == 0
    days = {p.parent.name: 0 for p in Path(data).glob("messages/date=*/part-*")}
    for p in Path(data).glob("messages/date=*/part-*"):
        days[p.parent.name] += 1
    assert days["date=2026-11-20"] == 1 and days["date=2026-11-21"] > 1


def test_compact_errors_are_one_line(tmp_path, data):
    code, _, err = invoke("compact", "--data", tmp_path / "none")
    assert code != 0 and "error:" in err and "Traceback" not in err
    with Dataset(data).lock():
        code, _, err = invoke("compact", "--data", data)
    assert code == 75 and "another ingest" in err
    fleet = tmp_path / "fleet"
    (fleet / "hosts" / "mx1").mkdir(parents=True)
    code, _, err = invoke("compact", "--data", fleet)
    assert code != 0 and "fleet" in err and "hosts/HOST" in err


def test_compact_help_explains():
    code, out, _ = invoke("compact", "--help")
    assert code == 0
    text = " ".join(out.split())
    assert "Merge the small parts" in text and "--older-than" in text and "--wait" in text
