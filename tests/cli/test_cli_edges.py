"""Edges of the command line that mislead when wrong: an empty window names what the
dataset holds, `trace` looks through the whole dataset for an old message, help shows no
Python types, `--version`, and `report --ingest` reads logs exactly as `ingest` does."""

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer import __version__, api
from analyzer.cli import clidoc
from analyzer.cli.app import app
from analyzer.errors import AnalyzerError

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_LOGS = ROOT / "sample_logs"
runner = CliRunner()


class Run:
    """A command's outcome as `analyzer` (cli.main) gives it: an AnalyzerError is its
    message on stderr and its exit code."""

    def __init__(self, result):
        self.stdout, self.stderr, self.exit_code = result.stdout, result.stderr, result.exit_code
        if isinstance(result.exception, AnalyzerError):
            self.stderr += f"error: {result.exception}\n"
            self.exit_code = result.exception.exit_code
        elif result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception


def invoke(*args, env=None) -> Run:
    return Run(
        runner.invoke(app, [str(a) for a in args], env={"TERMINAL_WIDTH": "200", **(env or {})})
    )


@pytest.fixture
def old_day(minilog, tmp_path):
    """One message and one relay reject on 5 January 2026: far outside any `--since 7d`."""
    t = datetime(2026, 1, 5, 10, 0)
    qid = minilog.sasl_message(
        t, "anna@shop.example", "192.0.2.10", "anna@shop.example", [("bob@gmail.example", "sent")]
    )
    minilog.relay_reject(t + timedelta(minutes=1), "198.51.100.4", "a@b.example", "c@d.example")
    return minilog.ingest(tmp_path), qid


def test_empty_window_names_what_the_dataset_holds(old_day):
    data, _ = old_day
    for command, what in (
        ("top-senders", "messages"),
        ("auth-failures", "auth failures"),
        ("suspicious-scripts", "messages"),
    ):
        result = invoke(command, "--since", "2030-01-01", "--tz", "UTC", "--data", data)
        assert result.exit_code == 1, command
        assert (
            f"no {what} since 2030-01-01 00:00:00 UTC; the dataset covers 2026-01-05 to 2026-01-05"
        ) in result.stderr, result.stderr
    # a window with rows but no spike is a quiet answer, not an error
    result = invoke(
        "relay-spikes",
        "--since",
        "2026-01-05",
        "--until",
        "2026-01-06",
        "--tz",
        "UTC",
        "--data",
        data,
    )
    assert result.exit_code == 0 and "no relay-denied spikes in the window" in result.stderr
    assert (
        api.empty_window("messages", data) == "no messages in the dataset; it covers "
        "2026-01-05 to 2026-01-05"
    )


def test_trace_searches_the_whole_dataset_when_the_default_window_has_nothing(old_day):
    data, qid = old_day
    result = invoke("trace", qid, "-f", "json", "--data", data)
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {r["table"] for r in rows} == {"messages", "deliveries"}
    assert all(r["queue_id"] == qid for r in rows)
    assert "nothing in the last 7 days; shown from the whole dataset" in result.stderr
    # an explicit window is kept as given
    result = invoke("trace", qid, "--since", "7d", "--data", data)
    assert result.exit_code == 1 and "the dataset covers 2026-01-05" in result.stderr
    result = invoke("trace", "NOSUCHID", "--data", data)
    assert result.exit_code == 1
    assert "no rows about NOSUCHID in the dataset; it covers 2026-01-05" in result.stderr


def test_version():
    result = invoke("--version")
    from analyzer.parse.core import core_in_use, describe, engine_in_use

    assert result.exit_code == 0
    cores = describe(core_in_use(), engine_in_use())
    assert result.stdout.strip() == f"analyzer {__version__} ({cores})"


def test_help_shows_no_python_types():
    """Every command's help names its values by metavar (FILE, ZONE, N) or choices, never
    typer's raw types (`<list[str]>`, `<bool>`, `<str>`)."""
    raw = re.compile(r"<(list\[|str>|int>|float>|bool>|path>)")
    texts = {"": invoke("--help").stdout}
    texts.update({name: invoke(name, "--help").stdout for name in clidoc.command_names()})
    for name, text in texts.items():
        assert "Usage:" in text, name
        assert not raw.search(text), (name, raw.search(text)[0])
    assert "PATH..." in texts["ingest"] and "--config" in texts["ingest"]
    assert "<warn|crit|never>" in texts["report"]  # choices are information, not a type


def _identities(data) -> dict[str, int]:
    return (
        api.table("messages", data=data)["identity"].str.partition(":")[0].value_counts().to_dict()
    )


@pytest.fixture(scope="module")
def exim_log(tmp_path_factory):
    """The first part of the Exim sample: local submissions logged with `U=<login>`."""
    lines = (SAMPLE_LOGS / "exim" / "exim_mainlog").read_text().splitlines()[:3000]
    path = tmp_path_factory.mktemp("exim") / "exim_mainlog"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_report_ingest_reads_logs_as_ingest_does(exim_log, tmp_path):
    passwd = SAMPLE_LOGS / "etc" / "passwd"
    common = ["--tz", "UTC", "--year", "2026"]
    by_ingest = tmp_path / "by-ingest"
    result = invoke(
        "ingest", exim_log, "--data", by_ingest, "--passwd", passwd, "--host", "mx1", *common
    )
    assert result.exit_code == 0, result.stderr
    by_report = tmp_path / "by-report"
    result = invoke(
        "report",
        "--ingest",
        exim_log,
        "--data",
        by_report,
        "--passwd",
        passwd,
        "--host",
        "mx1",
        "--since",
        "2026-11-26",
        "--until",
        "2026-11-27",
        "--fail-on",
        "never",
        "-q",
        *common,
    )
    assert result.exit_code == 0, result.stderr
    kinds = _identities(by_ingest)
    assert kinds.get("uid", 0) > 0 and "user" not in kinds  # logins merged into uids
    assert _identities(by_report) == kinds
    assert set(api.table("messages", data=by_report)["host"]) == {"mx1"}

    # the same settings from the configuration file, for both commands
    config = tmp_path / "analyzer.toml"
    config.write_text(f'passwd = "{passwd}"\nhost = "mx1"\nformat = "exim"\n')
    by_config = {}
    for command in ("ingest", "report"):
        data = tmp_path / f"config-{command}"
        args = (
            ["ingest", exim_log]
            if command == "ingest"
            else ["report", "--ingest", exim_log, "--fail-on", "never", "-q"]
        )
        result = invoke(*args, "--config", config, "--data", data, *common)
        assert result.exit_code == 0, result.stderr
        by_config[command] = _identities(data)
    assert by_config["ingest"] == by_config["report"] == kinds
