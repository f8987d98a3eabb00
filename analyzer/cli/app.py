"""The `analyzer` command: each command reads its options, makes one `api` call, and
renders the result. Heavy imports (pandas, pyarrow, plotly) happen inside the commands,
and a command's module is imported only when that command runs (`COMMANDS`; the typer
app, `typer_app`, imports it), so a report starts without the other commands' imports.
`main` first offers the command line to `quick` (`ingest` and `top-senders` of the plain
form run without typer: cron's ingest with nothing new to read ends in a fraction of the
time); the console script, `console`, ends those without Python's teardown. This module
imports neither typer nor rich, and gives the typer app's names (`app`, `LazyCommands`)
when they are asked for.

Errors: every command runs inside `typer_app._one_line_errors` (and `quick` ends
the same way), so the console script and the typer app that tests drive end the same
way: one line on stderr naming the problem, and an exit status (1, or the error's own: 75
for a held lock, 130 for Ctrl-C); `--debug` shows the traceback instead."""

from __future__ import annotations

import os
import sys
from typing import NoReturn

from ..errors import AnalyzerError
from .messages import note

# command -> (module of analyzer.cli, function), in the order --help lists them
COMMANDS = {
    "ingest": ("dataset_commands", "ingest"),
    "parse": ("dataset_commands", "parse"),
    "status": ("dataset_commands", "status"),
    "top-senders": ("sender_commands", "top_senders"),
    "relay-spikes": ("abuse_commands", "relay_spikes"),
    "suspicious-scripts": ("sender_commands", "suspicious_scripts"),
    "auth-failures": ("abuse_commands", "auth_failures"),
    "trace": ("trace_command", "trace"),
    "report": ("nightly_command", "report"),
    "actions": ("actions_command", "actions"),
    "watch": ("watch_commands", "watch"),
    "compact": ("dataset_commands", "compact"),
}


def __getattr__(name: str):
    """The typer app's names (`app`, `LazyCommands`, ...), imported when asked for (not
    the import system's questions, `__path__` and the like)."""
    if not name.startswith("__"):
        from . import typer_app

        if hasattr(typer_app, name):
            return getattr(typer_app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def describe(e: BaseException) -> tuple[str, int]:
    """An exception as the one line the user sees, and the exit status."""
    if isinstance(e, AnalyzerError):
        return str(e), e.exit_code
    if isinstance(e, KeyboardInterrupt):
        return "interrupted", 130
    if isinstance(e, OSError):  # unreadable input, a file vanished mid-read, ...
        where = f"{e.filename}: " if e.filename else ""
        return f"{where}{(e.strerror or str(e)).lower()}", 1
    return (
        f"internal error ({type(e).__name__}: {e}); please report it with the output "
        "of the same command run with --debug"
    ), 70  # EX_SOFTWARE


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main(fast_exit: bool = False) -> None:
    """The command line; errors outside a command (Ctrl-C while starting) end as they
    do inside one. `fast_exit`: see `console`."""
    try:
        if len(sys.argv) > 1:
            from .quick import run

            code = run(sys.argv[1], sys.argv[2:])
            if code is not None:
                if fast_exit:
                    _exit_now(code)
                sys.exit(code)
        from .typer_app import app

        app()
    except BrokenPipeError:
        _quiet_stdout()
        sys.exit(0)
    except KeyboardInterrupt:
        note("interrupted")
        sys.exit(130)


def console() -> None:
    """The console script (and `python -m analyzer`): `main`, where a quick command
    (`quick`: ingest, top-senders) ends without the interpreter's finalization, which
    tears down every module pyarrow, numpy and the core loaded (~60-100 ms, more than a
    cron ingest with nothing new spends reading its checkpoint)."""
    main(fast_exit=True)


def _exit_now(code: int) -> NoReturn:
    """Exit once the output is out: a quick command's work is done and durable by now
    (a run survives even kill -9 at any point), its threads ended, its files closed."""
    sys.stdout.flush()  # a closed pipe raises here: `main` ends as for any broken pipe
    sys.stderr.flush()
    os._exit(code)
