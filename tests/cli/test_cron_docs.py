"""The crontab line and the systemd ExecStart in docs/cron.md are the commands that run:
this test takes them from the markdown, checks they are the files in examples/, and runs
them against yesterday's generated logs with the documented paths moved to a temporary
directory (the crontab command under /bin/sh with cron's bare environment, ExecStart
split as systemd splits it, without a shell)."""

import re
import shlex
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from analyzer.samplegen import generate_postfix

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "cron.md").read_text(encoding="utf-8")
ANALYZER = Path(sys.executable).with_name("analyzer")


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", DOC, re.S)


def crontab_command() -> tuple[list[str], str]:
    (block,) = blocks("crontab")
    jobs = [
        line
        for line in block.splitlines()
        if line.strip() and not line.startswith("#") and not re.match(r"^\w+=", line)
    ]
    assert len(jobs) == 1, jobs
    fields = jobs[0].split(None, 6)
    return fields[:6], fields[6]  # m h dom mon dow user, command


def exec_start() -> str:
    service = next(b for b in blocks("ini") if "[Service]" in b)
    (line,) = [ln for ln in service.splitlines() if ln.startswith("ExecStart=")]
    return line[len("ExecStart=") :]


def test_the_docs_show_the_example_files():
    (cron,) = blocks("crontab")
    assert cron == (ROOT / "examples" / "cron.d" / "analyzer").read_text()
    ini = blocks("ini")
    assert ini[0] == (ROOT / "examples" / "systemd" / "analyzer-report.service").read_text()
    assert ini[1] == (ROOT / "examples" / "systemd" / "analyzer-report.timer").read_text()


def test_the_schedule_and_the_two_commands_agree():
    schedule, command = crontab_command()
    assert schedule == ["10", "0", "*", "*", "*", "analyzer"]
    assert "OnCalendar=*-*-* 00:10:00" in blocks("ini")[1]
    # the same job; cron's copy is --quiet so that cron mails only when there is news
    assert command == exec_start() + " --quiet"
    assert "%" not in command  # cron would turn it into a newline, systemd into a specifier


@pytest.fixture
def server(tmp_path):
    """The documented paths under tmp_path: yesterday's logs as a rotated pair, a config."""
    root = tmp_path / "srv"
    log = root / "var" / "log"
    log.mkdir(parents=True)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    lines, truth = generate_postfix(
        seed=11, start=today - timedelta(days=1), days=1.0, messages_per_day=300
    )
    half = len(lines) // 2  # the first half was rotated away at noon
    (log / "maillog.1").write_text("\n".join(lines[:half]) + "\n")
    (log / "maillog").write_text("\n".join(lines[half:]) + "\n")
    etc = root / "etc" / "analyzer"
    etc.mkdir(parents=True)
    (etc / "config.toml").write_text(
        f'data = "{root}/var/lib/analyzer/data"\ntz = "UTC"\nlocal_ips = ["10.0.0.1"]\n'
    )
    return root, len(lines), today.date() - timedelta(days=1)


def relocate(command: str, root: Path) -> str:
    assert ANALYZER.is_file(), f"{ANALYZER}: the analyzer entry point of this environment"
    for documented, here in [
        ("/opt/analyzer/.venv/bin/analyzer", str(ANALYZER)),
        ("/etc/analyzer/", f"{root}/etc/analyzer/"),
        ("/var/log/", f"{root}/var/log/"),
        ("/var/lib/analyzer/", f"{root}/var/lib/analyzer/"),
    ]:
        assert documented in command, documented
        command = command.replace(documented, here)
    return command


def cron_env(root: Path) -> dict:
    return {"PATH": "/usr/bin:/bin", "HOME": str(root), "SHELL": "/bin/sh", "LOGNAME": "analyzer"}


def check_run(run, root: Path, day, quiet: bool):
    assert run.returncode in (0, 2), run.stderr
    page = root / "var" / "lib" / "analyzer" / "reports" / f"report-{day:%Y-%m-%d}.html"
    assert page.is_file(), sorted(p.name for p in page.parent.glob("*"))
    assert "Mail abuse report" in page.read_text()
    assert "Traceback" not in run.stderr
    if run.stdout or not quiet:
        assert run.stdout.startswith("Mail report mx1: ")
        assert f"report: {page}" in run.stdout
    assert (run.returncode == 2) == (" CRIT " in run.stdout)
    if quiet:
        assert run.stderr == ""  # nothing mailed on a quiet night but real problems


def test_the_crontab_line_runs(server):
    root, lines, day = server
    _, command = crontab_command()
    run = subprocess.run(
        ["/bin/sh", "-c", relocate(command, root)],
        env=cron_env(root),
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    check_run(run, root, day, quiet=True)

    # the service runs next (e.g. started by hand): both series already read, same report
    argv = shlex.split(relocate(exec_start(), root))
    again = subprocess.run(
        argv,
        env=cron_env(root),
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    check_run(again, root, day, quiet=False)
    assert "ingest: 0 new lines" in again.stderr
    if run.stdout:
        assert run.stdout.split("\n")[:2] == again.stdout.split("\n")[:2]


def test_the_systemd_exec_start_runs(server):
    root, lines, day = server
    argv = shlex.split(relocate(exec_start(), root))
    assert argv[0] == str(ANALYZER) and argv[1] == "report"
    run = subprocess.run(
        argv,
        env=cron_env(root),
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    check_run(run, root, day, quiet=False)
    assert f"ingest: {lines:,} new lines" in run.stderr
