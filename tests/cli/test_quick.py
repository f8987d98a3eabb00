"""Commands without typer (`cli.quick`): for every command line it takes, the values it
runs with are those the typer command hands the same function; any other it leaves to
typer."""

import inspect
import json
import os
import subprocess
import sys

import pytest
from conftest import SAMPLE_LOGS
from typer.testing import CliRunner

from analyzer.cli import dataset_commands, quick, sender_commands, sender_runs
from analyzer.cli.app import app
from analyzer.cli.ingesting import run_ingest

TAKEN = {
    "ingest": [
        ["maillog"],
        ["maillog", "maillog.1", "-"],
        ["-", "--cursor-file", "cur"],
        ["--data", "d", "maillog", "--tz", "Europe/Berlin"],
        ["--data=d", "--tz=UTC", "maillog"],
        ["--data=", "maillog"],
        ["maillog", "--year", "2026", "--wait", "2.5"],
        ["maillog", "--year=0012", "--wait=3"],
        ["maillog", "--local-ip", "10.0.0.1", "--local-ip=10.0.0.2"],
        ["maillog", "--format", "exim", "--host", "mx1", "--passwd", "/etc/passwd"],
        ["maillog", "--config", "a.toml", "--engine", "local", "--scheduler", "x"],
        ["--", "-odd-name", "--data"],
        ["maillog", "--host", "-"],
    ],
    "top-senders": [
        [],
        ["--since", "2026-12-24T23:56:52Z"],
        ["--since=1d", "--until", "today", "--tz", "Europe/Berlin", "--data", "d"],
        ["--by", "sender-domain", "--scope", "all", "-n", "5", "-f", "json"],
        ["--by=client-ip", "--limit=0", "--format=csv", "--redact"],
        ["--hosted-domain", "a.example", "--hosted-domain=b.example", "--hosts", "mx1,mx2"],
        ["--host", "mx1", "--chart", "c.html", "--engine", "local", "--scheduler", "x"],
    ],
}
LEFT = {
    "ingest": [
        [],
        ["--help"],
        ["-h"],
        ["maillog", "--debug"],
        ["maillog", "--tz", "UTC", "--tz", "UTC"],
        ["maillog", "--year", "20x6"],
        ["maillog", "--year", " 2026"],
        ["maillog", "--wait", "1e3"],
        ["maillog", "--wait", "-1"],
        ["maillog", "--data"],
        ["maillog", "--engine", "dask"],
        ["maillog", "--dat", "d"],
        ["-odd-name"],
        ["--data", "--tz", "maillog"],
    ],
    "top-senders": [
        ["--help"],
        ["extra"],
        ["--by", "nobody"],
        ["-f", "html"],
        ["-n", "-1"],
        ["-n5"],
        ["-n=5"],
        ["--limit", "5", "-n", "6"],
        ["--host", "a", "--hosts", "b"],
        ["--redact", "--redact"],
        ["--redact=yes"],
        ["--no-redact"],
        ["--engine", "dask"],
        ["--since"],
    ],
}
CASES = [(c, a) for c, forms in TAKEN.items() for a in forms]
FUNCTIONS = {"ingest": run_ingest, "top-senders": sender_runs.top_senders}


def _typer_values(monkeypatch, command, args) -> dict:
    """The arguments the typer command gives the quick path's function."""
    seen: dict = {}
    signature = inspect.signature(FUNCTIONS[command])

    def capture(*given, **named):
        seen.update(signature.bind(*given, **named).arguments)

    where = (
        (dataset_commands, "run_ingest") if command == "ingest" else (sender_runs, "top_senders")
    )
    monkeypatch.setattr(*where, capture)
    result = CliRunner().invoke(app, [command, *args])
    assert result.exit_code == 0, result.output
    return seen


def _quick_values(command, args) -> dict:
    defaults = {
        name: p.default
        for name, p in inspect.signature(FUNCTIONS[command]).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    given = quick.parse(command, args)
    assert given is not None
    return {**defaults, **given}


@pytest.mark.parametrize("env", [None, "/srv/data", ""])
@pytest.mark.parametrize("command, args", CASES)
def test_a_plain_command_line_runs_as_typer_would(monkeypatch, command, args, env):
    if env is None:
        monkeypatch.delenv(quick.DATA_ENV, raising=False)
    else:
        monkeypatch.setenv(quick.DATA_ENV, env)
    quick_values, typed = _quick_values(command, args), _typer_values(monkeypatch, command, args)
    assert quick_values == typed
    assert {k: type(v) for k, v in quick_values.items()} == {k: type(v) for k, v in typed.items()}


@pytest.mark.parametrize("command, args", [(c, a) for c, forms in LEFT.items() for a in forms])
def test_any_other_is_left_to_typer(command, args):
    assert quick.parse(command, args) is None


@pytest.mark.parametrize("command", list(quick.SPECS))
def test_it_knows_every_option_of_the_command(command):
    """An option added to the command must be added here (until it is, every command
    line with it goes through typer: safe, but slow)."""
    import typer.main

    click_command = typer.main.get_command(app).get_command(None, command)
    params = click_command.params
    options = {o for p in params if p.param_type_name == "option" for o in p.opts}
    assert options - {"--help"} == set(quick.SPECS[command].options)
    arguments = [p.name for p in params if p.param_type_name == "argument"]
    positional = quick.SPECS[command].positional
    assert arguments == ([positional] if positional else [])


def test_the_typer_commands_call_the_same_functions():
    """The typer commands are the quick path's functions behind typer's options."""
    assert "run_ingest(" in inspect.getsource(dataset_commands.ingest)
    assert "sender_runs.top_senders(" in inspect.getsource(sender_commands.top_senders)


def _console_script(argv: list[str]) -> tuple[subprocess.CompletedProcess, list[str]]:
    probe = (
        "import json, sys\n"
        "from analyzer.cli.app import main\n"
        f"sys.argv = ['analyzer', *{argv!r}]\n"
        "try:\n    main()\n"
        "finally:\n    print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=os.environ
    )
    modules = json.loads(done.stdout.splitlines()[-1])
    return done, [m for m in modules if m.split(".")[0] in ("typer", "click", "rich")]


def test_the_console_script_runs_ingest_without_typer(tmp_path):
    log = tmp_path / "maillog"
    log.write_text("")
    done, cli_modules = _console_script(["ingest", str(log), "--data", str(tmp_path / "d")])
    assert done.returncode == 0, done.stderr
    assert cli_modules == []
    empty, summary = done.stderr.splitlines()
    assert empty == f"{log}: empty" and summary.startswith("ingest: 0 lines read, 0 MTA events")


def test_the_console_script_runs_top_senders_without_typer(tmp_path):
    done, cli_modules = _console_script(["top-senders", "--data", str(tmp_path / "none")])
    assert cli_modules == []
    assert done.returncode == 1 and done.stderr.startswith("error: ")


def _console(argv: list[str]) -> subprocess.CompletedProcess:
    """The console script's entry point, with an exit handler that says whether the
    interpreter was finalized."""
    probe = (
        "import atexit, sys\n"
        "atexit.register(lambda: sys.stderr.write('finalized\\n'))\n"
        "from analyzer.cli.app import console\n"
        f"sys.argv = ['analyzer', *{argv!r}]\n"
        "console()\n"
    )
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)


def test_a_quick_command_ends_without_finalizing_its_output_whole(tmp_path):
    data = str(tmp_path / "d")
    ingest = _console(["ingest", str(SAMPLE_LOGS / "maillog"), "--data", data, "--tz", "UTC"])
    assert ingest.returncode == 0, ingest.stderr
    assert ingest.stderr.splitlines()[-1].startswith(
        "ingest: "
    )  # the summary, then no finalization
    senders = _console(["top-senders", "--data", data, "--since", "all", "-n", "500", "-f", "json"])
    assert senders.returncode == 0 and "finalized" not in senders.stderr, senders.stderr
    rows = json.loads(senders.stdout)  # all of it: flushed before the exit
    assert len(rows) > 10 and senders.stdout.endswith("\n")
    failed = _console(["top-senders", "--data", str(tmp_path / "none")])
    assert failed.returncode == 1 and failed.stderr.startswith("error: ")
    assert "finalized" not in failed.stderr


def test_a_typer_command_ends_as_python_does():
    done = _console(["top-senders", "--help"])
    assert done.returncode == 0 and "Usage" in done.stdout
    assert done.stderr.endswith("finalized\n")
