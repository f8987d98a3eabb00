"""Commands without typer: `analyzer ingest` (cron runs it every few minutes, most often
with nothing new to read: `ingest.run._nothing_new`) and `analyzer top-senders` (the
report asked for at interactive speed), whose start typer and click were a good part of.
`app.main` offers the command line here first. A command line of the plain form (each
option of `SPECS` at most once, a value as the next word or `--opt=value`, flags alone)
runs the function the typer command calls with the same values, and ends as it would
(one line, the exit status of `app.describe`). Anything else (`--help`, `--debug`, an
option given twice or unknown, a value typer would convert or reject differently,
`--engine dask`) is left to the typer app. `tests/cli/test_quick.py` holds this parser
to typer's: the same options, the same values for every command line it takes."""

from __future__ import annotations

import importlib
import os
import re
import warnings
from typing import NamedTuple

from .app import _quiet_stdout, describe
from .messages import error, show_warning

TEXT = "text"
WHOLE = re.compile(r"[0-9]+")  # a whole number >= 0 (click's int takes more: typer's path)
DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")
FLAG = "flag"  # no value: True
REPEATED = "repeated"  # a list of every value given
DATA_ENV = "ANALYZER_DATA"  # --data's environment variable
LOCAL = ("local",)  # --engine: dask is typer's


class Spec(NamedTuple):
    """One command: the typer-free function its typer command calls (a module of
    `analyzer.cli`, the function), option -> (argument, kind: TEXT, WHOLE, DECIMAL, FLAG,
    REPEATED or a tuple of the words it takes), and the argument of its positional words
    (None: it takes none)."""

    module: str
    function: str
    options: dict[str, tuple[str, object]]
    positional: str | None = None


SPECS = {
    "ingest": Spec(
        "ingesting",
        "run_ingest",
        {
            "--data": ("data", TEXT),
            "--tz": ("tz", TEXT),
            "--year": ("year", WHOLE),
            "--local-ip": ("local_ips", REPEATED),
            "--wait": ("wait", DECIMAL),
            "--format": ("format", TEXT),
            "--host": ("host", TEXT),
            "--passwd": ("passwd", TEXT),
            "--cursor-file": ("cursor_file", TEXT),
            "--config": ("config", TEXT),
            "--engine": ("engine", LOCAL),
            "--scheduler": ("scheduler", TEXT),
        },
        positional="paths",
    ),
    "top-senders": Spec(
        "sender_runs",
        "top_senders",
        {
            "--by": (
                "by",
                (
                    "identity",
                    "sasl",
                    "uid",
                    "script",
                    "sender",
                    "sender-domain",
                    "client-ip",
                    "host",
                ),
            ),
            "--scope": ("scope", ("outgoing", "inbound", "all")),
            "--hosted-domain": ("hosted_domain", REPEATED),
            "--since": ("since", TEXT),
            "--until": ("until", TEXT),
            "--tz": ("tz", TEXT),
            "--limit": ("limit", WHOLE),
            "-n": ("limit", WHOLE),
            "--format": ("fmt", ("table", "json", "csv")),
            "-f": ("fmt", ("table", "json", "csv")),
            "--chart": ("chart", TEXT),
            "--data": ("data", TEXT),
            "--host": ("host", TEXT),
            "--hosts": ("host", TEXT),
            "--engine": ("engine", LOCAL),
            "--scheduler": ("scheduler", TEXT),
            "--redact": ("redact", FLAG),
        },
    ),
}


def parse(command: str, args: list[str]) -> dict | None:
    """The arguments (those given) of `command`'s function for `analyzer COMMAND ARGS`,
    or None when the command line is not of the plain form."""
    spec = SPECS[command]
    given: dict = {}
    words = iter(args)
    positional: list[str] = []
    for word in words:
        if word == "--":
            positional.extend(words)
            break
        if word == "-" or not word.startswith("-"):
            positional.append(word)
            continue
        name, eq, value = word.partition("=") if word.startswith("--") else (word, "", "")
        if name not in spec.options:
            return None
        argument, kind = spec.options[name]
        if kind == FLAG:
            if eq or argument in given:
                return None
            given[argument] = True
            continue
        if not eq:
            following = next(words, None)
            if following is None or (following.startswith("-") and following != "-"):
                return None  # no value (click would take an option-like word: not plain)
            value = following
        if kind == REPEATED:
            given.setdefault(argument, []).append(value)
            continue
        if argument in given:
            return None
        if isinstance(kind, tuple) and value not in kind:
            return None
        if isinstance(kind, re.Pattern):
            if not kind.fullmatch(value):
                return None
            given[argument] = int(value) if kind is WHOLE else float(value)
        else:
            given[argument] = value
    if spec.positional is None and positional:
        return None
    if spec.positional is not None:
        if not positional:
            return None
        given[spec.positional] = positional
    if "data" not in given:
        given["data"] = os.environ.get(DATA_ENV) or None
    return given


def run(command: str, args: list[str]) -> int | None:
    """Run `analyzer COMMAND ARGS` and give its exit status, or None: not taken here."""
    if command not in SPECS:
        return None
    given = parse(command, args)
    if given is None:
        return None
    spec = SPECS[command]
    function = getattr(importlib.import_module(f"{__package__}.{spec.module}"), spec.function)
    warnings.showwarning = show_warning  # as the typer app's root callback does
    try:
        function(**given)
    except (SystemExit, KeyboardInterrupt):
        raise
    except BrokenPipeError:
        _quiet_stdout()
        return 0
    except Exception as e:
        message, code = describe(e)
        error(message)
        return code
    return 0
