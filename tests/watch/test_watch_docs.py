"""The watch's deployment docs cannot rot: the systemd unit in examples/ is the one
docs/deploy.md shows, its ExecStart (split as systemd splits it) runs `analyzer watch`
with the documented paths moved to a temporary directory, and docs/watch.md describes
every field of an alert."""

import re
import shlex
from datetime import datetime, timedelta
from pathlib import Path

from conftest import MiniLog
from test_watch import FIELDS
from typer.testing import CliRunner

from analyzer.cli.app import app

ROOT = Path(__file__).resolve().parents[2]
UNIT = (ROOT / "examples" / "systemd" / "analyzer-watch.service").read_text()
DEPLOY = (ROOT / "docs" / "deploy.md").read_text()
WATCH = (ROOT / "docs" / "watch.md").read_text()


def exec_start() -> str:
    (line,) = [x for x in UNIT.splitlines() if x.startswith("ExecStart=")]
    return line.removeprefix("ExecStart=")


def test_deploy_md_shows_the_unit_of_examples():
    block = next(b for b in re.findall(r"```ini\n(.*?)```", DEPLOY, re.S) if "[Service]" in b)
    for line in block.strip().splitlines():
        assert line in UNIT.splitlines(), f"docs/deploy.md: {line!r} is not in the unit"


def test_the_units_command_runs(tmp_path):
    argv = shlex.split(exec_start())
    assert argv[0] == "/opt/analyzer/.venv/bin/analyzer" and argv[1] == "watch"
    log = MiniLog()
    for i in range(60):
        log.auth_failure(datetime(2026, 11, 26, 3) + timedelta(seconds=20 * i), "192.0.2.9")
    (tmp_path / "maillog").write_text("\n".join(log.lines) + "\n")
    config = tmp_path / "config.toml"
    config.write_text(f'data = "{tmp_path / "data"}"\ntz = "UTC"\n')
    args = [
        str(config) if a == "/etc/analyzer/config.toml" else a.replace("/var/log", str(tmp_path))
        for a in argv[1:]
    ]
    res = CliRunner().invoke(app, [*args, "--once", "--year", "2026"])
    assert res.exit_code == 0, res.output
    assert '"kind": "auth_bruteforce", "state": "open", "subject": "192.0.2.9"' in res.stdout


def test_every_alert_field_is_documented():
    missing = [f for f in sorted(FIELDS) if f"`{f}`" not in WATCH]
    assert not missing, f"docs/watch.md does not describe {missing}"
