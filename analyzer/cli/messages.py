"""The two consoles and the messages: data goes to stdout (`console`), messages to stderr
(`err`: `note`, `warn`, `error`, which show log text and paths with control characters
escaped and never as rich markup). Nothing here imports typer or, until a message needs a
terminal, rich: a piped message is plain text, and importing rich is a tenth of a start
that prints a plain table, JSON or a cron run's summary."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from ..render.terminal import printable, surely_plain

if TYPE_CHECKING:
    from rich.console import Console

    console: Console
    err: Console


def __getattr__(name: str):
    if name not in ("console", "err"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from rich.console import Console

    made = Console() if name == "console" else Console(stderr=True, soft_wrap=True)
    globals()[name] = made  # messages are never hard-wrapped: they get grepped
    return made


def rich_stdout() -> bool:
    """Whether a table on stdout may be drawn by rich (else it is plain text, and rich
    is not imported): the console is made already, or stdout may be a terminal."""
    return "console" in globals() or not surely_plain(sys.stdout)


def note(text: str) -> None:
    _say("", "", text)


def warn(text: str) -> None:
    _say("warning: ", "yellow", text)


def error(text: str) -> None:
    _say("error: ", "red", text)


def _say(prefix: str, style: str, text: str) -> None:
    """One message line on stderr: plain text when stderr is surely no terminal (a pipe,
    cron's mail: rich would write the same bytes), else through the rich console, the
    prefix in its colour."""
    if "err" not in globals() and surely_plain(sys.stderr):
        sys.stderr.write(f"{prefix}{printable(text)}\n")
        return
    from rich.text import Text

    err = globals().get("err") or __getattr__("err")
    err.print(Text.assemble((prefix, style), printable(text)))


def show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings of the library (parts of the dataset gone missing) are one line on stderr
    (`warnings.showwarning` while a command runs)."""
    warn(str(message))
