"""Errors end in one line naming the problem and a non-zero exit, never a traceback, the
same from the console script and from the typer app; log text reaches the terminal with
its control characters escaped; a file or directory without mail lines gets a warning."""

import ctypes
import json
import os
import pty
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime

import pytest
from conftest import SAMPLE_LOGS
from helpers import committed, ingest, snapshot
from typer.testing import CliRunner

from analyzer.cli.app import app
from analyzer.render import output
from analyzer.render.terminal import printable
from analyzer.samplegen.postfix import generate_postfix

runner = CliRunner()
LOG = SAMPLE_LOGS / "maillog"


def console_script(args, env=None, **kw):
    """`python -m analyzer` runs `analyzer.cli.app:console`, the console script's entry point."""
    return subprocess.run(
        [sys.executable, "-m", "analyzer", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        **kw,
    )


def typer_app(args, env=None):
    return runner.invoke(app, [str(a) for a in args], env=env or {})


def assert_one_line_error(code, stderr, words):
    assert code not in (0, None), stderr
    assert "Traceback" not in stderr
    assert stderr.startswith("error: ") and stderr.count("\n") == 1, stderr
    assert words in stderr, stderr


@pytest.fixture(scope="module")
def small_log(tmp_path_factory):
    base = tmp_path_factory.mktemp("small")
    log = base / "maillog"
    log.write_text("".join(LOG.read_text().splitlines(keepends=True)[:3000]))
    return log


@pytest.fixture
def dataset(tmp_path, small_log):
    data = tmp_path / "data"
    ingest([small_log], data, year=2026)
    return data


def _cases(tmp_path, small_log, dataset):
    config = tmp_path / "analyzer.toml"
    config.write_text('tz = "Europe/Berln"\n')
    a_file = tmp_path / "a_file"
    a_file.write_text("not a dataset\n")
    list_state = tmp_path / "list_state"
    shutil.copytree(dataset, list_state)
    (list_state / "_state" / "state.json").write_text("[]")
    log = str(small_log)
    return {
        "misspelt --tz": (
            ["ingest", log, "--data", tmp_path / "d", "--tz", "Europe/Berln"],
            {},
            "unknown time zone 'Europe/Berln'",
        ),
        "misspelt tz in the config file": (
            ["report", "--config", config, "--data", dataset],
            {},
            "analyzer.toml: tz: unknown time zone 'Europe/Berln'",
        ),
        "misspelt --tz of a report": (
            ["top-senders", "--data", dataset, "--tz", "Mars/Base"],
            {},
            "unknown time zone 'Mars/Base'",
        ),
        "--data is a file": (
            ["ingest", log, "--data", a_file, "--tz", "UTC"],
            {},
            "a_file: the dataset path is a file",
        ),
        "ANALYZER_WORKERS=abc": (
            ["ingest", log, "--data", tmp_path / "d", "--tz", "UTC"],
            {"ANALYZER_WORKERS": "abc"},
            "ANALYZER_WORKERS must be a whole number",
        ),
        "ANALYZER_COMMIT_LINES=abc": (
            ["ingest", log, "--data", tmp_path / "d", "--tz", "UTC"],
            {"ANALYZER_COMMIT_LINES": "abc"},
            "ANALYZER_COMMIT_LINES must be a whole number >= 1",
        ),
        "state.json holding []: status": (
            ["status", "--data", list_state],
            {},
            "state.json is not one this program wrote",
        ),
        "state.json holding []: ingest": (
            ["ingest", log, "--data", list_state, "--tz", "UTC"],
            {},
            "state.json is not one this program wrote",
        ),
        "state.json holding []: report": (
            ["top-senders", "--data", list_state, "--since", "all"],
            {},
            "state.json is not one this program wrote",
        ),
        "--since 999999d": (
            ["top-senders", "--data", dataset, "--since", "999999d"],
            {},
            "time '999999d' is out of range",
        ),
        "--until far ahead": (
            [
                "auth-failures",
                "--data",
                dataset,
                "--until",
                "9999-12-31T23:59",
                "--tz",
                "Etc/GMT+5",
            ],
            {},
            "is out of range",
        ),
    }


CASES = [
    "misspelt --tz",
    "misspelt tz in the config file",
    "misspelt --tz of a report",
    "--data is a file",
    "ANALYZER_WORKERS=abc",
    "ANALYZER_COMMIT_LINES=abc",
    "state.json holding []: status",
    "state.json holding []: ingest",
    "state.json holding []: report",
    "--since 999999d",
    "--until far ahead",
]


@pytest.mark.parametrize("case", CASES)
def test_one_line_error_from_the_console_script_and_the_app_alike(
    case, tmp_path, small_log, dataset
):
    args, env, words = _cases(tmp_path, small_log, dataset)[case]
    before = snapshot(dataset)
    script = console_script(args, env)
    assert_one_line_error(script.returncode, script.stderr, words)
    assert script.stdout == ""
    result = typer_app(args, env)
    assert isinstance(result.exception, SystemExit), result.exception
    assert (result.exit_code, result.stderr) == (script.returncode, script.stderr)
    after = snapshot(dataset)
    for name in before:  # an error leaves the dataset as it was
        assert before[name].equals(after[name]), name


def test_debug_shows_the_traceback(tmp_path, small_log):
    result = typer_app(
        ["--debug", "ingest", small_log, "--data", tmp_path / "d", "--tz", "Nowhere/X"]
    )
    assert type(result.exception).__name__ == "AnalyzerError"
    script = console_script(
        ["--debug", "ingest", small_log, "--data", tmp_path / "d", "--tz", "Nowhere/X"]
    )
    assert "Traceback" in script.stderr and script.returncode == 1


def test_workers_are_capped_at_the_core_count(monkeypatch):
    from analyzer.parse.workers import default_workers

    cores = len(os.sched_getaffinity(0))
    monkeypatch.setenv("ANALYZER_WORKERS", "64")
    assert default_workers() == min(64, cores)
    monkeypatch.setenv("ANALYZER_WORKERS", "0")
    assert default_workers() == 0
    monkeypatch.delenv("ANALYZER_WORKERS")
    assert default_workers() == cores


# --- permissions: root reads and writes anything, so drop what lets it -------------------------

_DAC_CAPS = (1, 2, 3)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER


def _as_an_ordinary_user():
    """preexec_fn: the child (and what it execs) obeys file permissions even as root."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in _DAC_CAPS:
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_unreadable_input_is_one_line(tmp_path, small_log):
    secret = tmp_path / "maillog"
    shutil.copy(small_log, secret)
    secret.chmod(0)
    proc = console_script(
        ["ingest", secret, "--data", tmp_path / "d", "--tz", "UTC"], preexec_fn=_as_an_ordinary_user
    )
    assert_one_line_error(proc.returncode, proc.stderr, f"{secret}: permission denied")
    assert committed(tmp_path / "d") == 0


def test_read_only_dataset_is_one_line_and_left_as_it_was(tmp_path, small_log, dataset):
    more = tmp_path / "more.log"
    more.write_text(LOG.read_text().splitlines(keepends=True)[5000] * 3)
    before = snapshot(dataset)
    mode = dataset.stat().st_mode
    dataset.chmod(0o555)
    try:
        proc = console_script(
            ["ingest", more, "--data", dataset, "--tz", "UTC"], preexec_fn=_as_an_ordinary_user
        )
    finally:
        dataset.chmod(mode)
    assert_one_line_error(proc.returncode, proc.stderr, "the dataset directory is not writable")
    after = snapshot(dataset)
    for name in before:
        assert before[name].equals(after[name]), name


# --- disk full: a small tmpfs in a private mount namespace ----------------------------------------


def test_disk_full_is_one_line_and_leaves_the_last_commit(tmp_path):
    """The ingest runs with its dataset on a 640 KiB tmpfs (a user + mount namespace, so no
    mount outlives the test); it fills up after a few commits. The error is one line, the
    run removes the parts it did not commit, and a re-run with room completes the dataset
    exactly."""
    if shutil.which("unshare") is None:
        pytest.fail("unshare (util-linux) is needed to make a small file system")
    log = tmp_path / "maillog"
    shutil.copy(LOG, log)
    small, kept = tmp_path / "small", tmp_path / "kept"
    small.mkdir()
    script = (
        'mount -t tmpfs -o size=640k tmpfs "$1" || exit 99; shift; "$@"; rc=$?; '
        f"cp -a {small}/. {kept}/; exit $rc"
    )
    kept.mkdir()
    proc = subprocess.run(
        [
            "unshare",
            "--user",
            "--map-root-user",
            "--mount",
            "sh",
            "-c",
            script,
            "sh",
            str(small),
            sys.executable,
            "-m",
            "analyzer",
            "ingest",
            str(log),
            "--data",
            str(small / "d"),
            "--tz",
            "UTC",
            "--year",
            "2026",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "ANALYZER_COMMIT_LINES": "5000"},
    )
    assert proc.returncode != 99, f"cannot mount a tmpfs here: {proc.stderr}"
    assert_one_line_error(proc.returncode, proc.stderr, "no space left on device while writing")
    data = kept / "d"
    done = committed(data)
    assert done > 0
    numbers = {int(p.name[5:13]) for p in data.glob("*/date=*/part-*")}
    assert max(numbers) <= done  # nothing left that the checkpoint does not name
    assert not list(data.glob("*/date=*/*.tmp"))
    ingest([log], data, year=2026)
    ingest([log], tmp_path / "clean", year=2026)
    clean, resumed = snapshot(tmp_path / "clean"), snapshot(data)
    for name in clean:
        assert clean[name].equals(resumed[name]), name


# --- Ctrl-C -------------------------------------------------------------------------------------


def _own_session_with_ctrl_c() -> None:
    """The child's own process group, with SIGINT's default action: a test suite run
    from a background job or under nohup hands its children SIGINT ignored, and Python
    then installs no KeyboardInterrupt handler (the ingest would rightly run to its end)."""
    os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_with_workers_is_one_line(tmp_path):
    """SIGINT to the whole process group (what a terminal's Ctrl-C does) while worker
    processes parse: one line, exit 130, nothing from the workers, and no part left that
    the checkpoint does not name."""
    lines, _ = generate_postfix(seed=7, days=0.7, messages_per_day=12000)
    log = tmp_path / "maillog"
    log.write_text("".join(line + "\n" for line in lines))
    assert log.stat().st_size > 8 << 20  # above PARALLEL_BYTES: the run uses workers
    data = tmp_path / "d"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "analyzer",
            "ingest",
            str(log),
            "--data",
            str(data),
            "--tz",
            "UTC",
            "--year",
            "2026",
        ],
        env={**os.environ, "ANALYZER_COMMIT_LINES": "5000", "ANALYZER_WORKERS": "2"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_own_session_with_ctrl_c,
    )
    try:
        while committed(data) < 2 and proc.poll() is None:
            time.sleep(0.005)
        assert proc.poll() is None, proc.stderr.read()
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert (proc.returncode, err) == (130, "interrupted\n")
    done = committed(data)
    assert max(int(p.name[5:13]) for p in data.glob("*/date=*/part-*")) <= done


# --- terminal escapes -----------------------------------------------------------------------------

EVIL = "x\x1b]0;PWNED\x1b\\"


def test_escape_sequences_in_log_text_are_shown_escaped(tmp_path):
    (tmp_path / "logs").mkdir()
    log = tmp_path / "logs" / "mail[bold]log"  # rich markup in a path: shown as text
    log.write_text(
        f"Nov 26 10:00:00 mx1 {EVIL}[123]: hello\x07 there\n"
        "Nov 26 10:00:01 mx1 postfix/smtpd[9]: connect from a[192.0.2.1]\n"
    )
    data = tmp_path / "d"
    result = typer_app(["ingest", log.parent, "--data", data, "--tz", "UTC", "--year", "2026"])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert printable(EVIL) in result.stderr  # x\x1b]0;PWNED\x1b\
    status = typer_app(["status", "--data", data], env={"COLUMNS": "300"})
    assert status.exit_code == 0
    assert "\x1b" not in status.stdout and printable(EVIL) in status.stdout
    assert "mail[bold]log" in status.stdout


def test_error_messages_are_escaped(tmp_path):
    evil_dir = tmp_path / "d\x1b[2J"
    evil_dir.write_text("a file")
    result = typer_app(["ingest", LOG, "--data", evil_dir, "--tz", "UTC"])
    assert result.exit_code == 1 and "\x1b" not in result.stderr and "d\\x1b[2J" in result.stderr


def test_csv_on_a_terminal_is_escaped_and_in_a_file_is_kept(minilog, tmp_path):
    minilog.sasl_message(
        datetime(2026, 11, 26, 10, 0),
        "ev\x1b]0;PWNED\x07il",
        "192.0.2.9",
        "a@example.net",
        [("b@example.org", "sent")],
    )
    data = minilog.ingest(tmp_path)
    args = [
        sys.executable,
        "-m",
        "analyzer",
        "top-senders",
        "--data",
        str(data),
        "--since",
        "all",
        "-f",
        "csv",
    ]
    main, child = pty.openpty()
    proc = subprocess.run(args, stdout=child, stderr=subprocess.PIPE)
    os.close(child)
    shown = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # EIO: the other end is closed
            break
        if not chunk:
            break
        shown += chunk
    os.close(main)
    assert proc.returncode == 0
    assert b"\x1b" not in shown and b"\x07" not in shown
    assert b"sasl:ev\\x1b]0;PWNED\\x07il" in shown
    saved = subprocess.run(args, capture_output=True)
    assert b"sasl:ev\x1b]0;PWNED\x07il" in saved.stdout  # a file keeps the data as it is


def test_json_escapes_every_control_character():
    text = output.dumps({"v": "a\x1b[2J\x07\x7f\x9b31mb ü"})
    assert all(ord(c) >= 0x20 and not 0x7F <= ord(c) < 0xA0 for c in text)
    assert json.loads(text) == {"v": "a\x1b[2J\x07\x7f\x9b31mb ü"}


# --- inputs without mail lines ----------------------------------------------------------------------


def test_binary_file_and_directories_without_mail_lines_get_a_warning(tmp_path, small_log):
    empty = tmp_path / "empty"
    empty.mkdir()
    binary = tmp_path / "bin"
    binary.mkdir()
    (binary / "prog").write_bytes(
        bytes(b for b in range(256) if b != 10) * 64 + b"\n\x7fELF\x00\x01\n"
    )
    other = tmp_path / "other"
    other.mkdir()
    (other / "auth.log").write_text(
        "Nov 26 10:00:00 mx1 sshd[5]: Accepted publickey for a\n"
        "Nov 26 10:00:01 mx1 CRON[6]: (root) CMD (true)\n"
    )
    (tmp_path / "mail").mkdir()
    shutil.copy(small_log, tmp_path / "mail" / "maillog")
    result = typer_app(
        [
            "ingest",
            empty,
            binary,
            other,
            tmp_path / "mail",
            "--data",
            tmp_path / "d",
            "--tz",
            "UTC",
            "--year",
            "2026",
        ]
    )
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        f"warning: {empty}: no files in this directory",
        f"warning: {binary / 'prog'}: none of 2 lines has a readable date: nothing stored, the "
        "checkpoint stays before them (a wrong --format or --year? not a mail log?)",
        f"warning: {other / 'auth.log'}: no mail lines among its 2 lines (only programs beside "
        "the MTA)",
    ]


def test_a_damaged_part_is_one_warning_and_the_rest_is_read(tmp_path, dataset):
    """A part damaged by hand is named in one warning (no traceback); the readable parts
    are still read and the command succeeds (status lists the part)."""
    part = sorted((dataset / "messages").glob("date=*/part-*.parquet"))[0]
    part.write_bytes(b"PAR1" + bytes(200) + b"PAR1")
    for args in (["status"], ["top-senders", "--since", "all", "--format", "json"]):
        proc = console_script([*args, "--data", dataset])
        assert proc.returncode == 0, proc.stderr
        assert "Traceback" not in proc.stderr
        assert proc.stderr.startswith("warning: ")
        assert "missing or unreadable" in proc.stderr.splitlines()[0]


@pytest.mark.parametrize("say, prefix", [("note", ""), ("warn", "warning: "), ("error", "error: ")])
def test_messages_to_a_pipe_are_the_bytes_rich_writes(monkeypatch, say, prefix):
    """Piped, a message is written as plain text, without rich; rich's console wrote the
    same bytes (long lines unwrapped, wide and combining characters, markup-like text)."""
    import io

    from rich.console import Console
    from rich.text import Text

    from analyzer.cli import options

    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "JUPYTER_COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delitem(vars(options), "err", raising=False)
    texts = ["", "  spaces  ", "x" * 300, "日本語 " * 40, "[bold]x[/] :smile:", "a\tb\nc\x1b[2J"]
    for text in texts:
        piped = io.StringIO()
        monkeypatch.setattr(sys, "stderr", piped)
        getattr(options, say)(text)
        drawn = io.StringIO()
        Console(file=drawn, soft_wrap=True).print(Text.assemble((prefix, "red"), printable(text)))
        assert piped.getvalue() == drawn.getvalue() == f"{prefix}{printable(text)}\n"
    assert "err" not in vars(options)  # no console was made
