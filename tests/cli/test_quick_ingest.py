"""`analyzer ingest` without typer (`cli.quick_ingest`): for every command line it takes,
the values it runs with are those the typer command gives `run_ingest`; any other it
leaves to typer."""

import inspect
import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from analyzer.cli import dataset_commands, quick_ingest
from analyzer.cli.app import app
from analyzer.cli.ingesting import run_ingest

TAKEN = [
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
]
LEFT = [
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
]


def _typer_values(monkeypatch, args) -> dict:
    seen: dict = {}
    monkeypatch.setattr(
        dataset_commands, "run_ingest", lambda paths, **kw: seen.update(kw, paths=paths)
    )
    result = CliRunner().invoke(app, ["ingest", *args])
    assert result.exit_code == 0, result.output
    return seen


def _quick_values(args) -> dict:
    defaults = {
        name: p.default
        for name, p in inspect.signature(run_ingest).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    given = quick_ingest.parse(args)
    assert given is not None
    return {**defaults, **given}


@pytest.mark.parametrize("env", [None, "/srv/data"])
@pytest.mark.parametrize("args", TAKEN)
def test_a_plain_command_line_runs_as_typer_would(monkeypatch, args, env):
    if env is None:
        monkeypatch.delenv(quick_ingest.DATA_ENV, raising=False)
    else:
        monkeypatch.setenv(quick_ingest.DATA_ENV, env)
    quick = _quick_values(args)
    assert quick == _typer_values(monkeypatch, args)
    assert all(
        type(v) is type(t)
        for v, t in zip(quick.values(), _typer_values(monkeypatch, args).values())
    )


@pytest.mark.parametrize("args", LEFT)
def test_any_other_is_left_to_typer(args):
    assert quick_ingest.parse(args) is None


def test_it_knows_every_option_of_the_command():
    """An option added to `ingest` must be added here (or every run goes through typer
    with it; a new option quick_ingest does not know is left to typer, safe but slow)."""
    import typer.main

    command = typer.main.get_command(app).get_command(None, "ingest")
    options = {o for p in command.params for o in p.opts if o.startswith("--")} - {"--help"}
    known = set(quick_ingest.TEXT) | set(quick_ingest.NUMBER) | set(quick_ingest.REPEATED)
    assert options == known


def test_the_console_script_runs_ingest_without_typer(tmp_path):
    log = tmp_path / "maillog"
    log.write_text("")
    probe = (
        "import json, sys\n"
        "from analyzer.cli.app import main\n"
        f"sys.argv = ['analyzer', 'ingest', {str(log)!r}, '--data', {str(tmp_path / 'd')!r}]\n"
        "try:\n    main()\n"
        "finally:\n    print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=os.environ
    )
    assert done.returncode == 0, done.stderr
    modules = json.loads(done.stdout)
    assert not [m for m in modules if m.split(".")[0] in ("typer", "click", "rich")]
    empty, summary = done.stderr.splitlines()
    assert empty == f"{log}: empty" and summary.startswith("ingest: 0 lines read, 0 MTA events")
