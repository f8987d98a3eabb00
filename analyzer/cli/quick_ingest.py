"""`analyzer ingest` without typer: cron runs it every few minutes, most often with
nothing new to read (`ingest.run._nothing_new`), and then typer and click were most of
the run. `app.main` offers the command line here first; a command line of the plain form
(paths and the options below, each once, values as separate words or `--opt=value`)
runs `ingesting.run_ingest` as the typer command would, and ends as it would (one line,
the exit status of `app.describe`); anything else (`--help`, `--debug`, an option given
twice, a value typer would convert or reject differently, `--engine dask`) is left to
the typer app. `tests/cli/test_quick_ingest.py` holds this parser to typer's: the same
options, and the same values for every command line it takes."""

from __future__ import annotations

import os
import re
import warnings

from .app import _quiet_stdout, describe
from .messages import error, show_warning

# option -> the run_ingest argument it sets; the ones of `dataset_commands.ingest`
TEXT = {
    "--data": "data",
    "--tz": "tz",
    "--format": "format",
    "--host": "host",
    "--passwd": "passwd",
    "--cursor-file": "cursor_file",
    "--config": "config",
    "--engine": "engine",
    "--scheduler": "scheduler",
}
NUMBER = {
    "--year": ("year", re.compile(r"[0-9]+"), int),
    "--wait": ("wait", re.compile(r"[0-9]+(\.[0-9]+)?"), float),
}
REPEATED = {"--local-ip": "local_ips"}
DATA_ENV = "ANALYZER_DATA"  # --data's environment variable


def parse(args: list[str]) -> dict | None:
    """The run_ingest arguments of `analyzer ingest ARGS`, or None when the command line
    is not of the plain form."""
    given: dict = {"paths": []}
    words = iter(args)
    for word in words:
        if word == "--":
            given["paths"].extend(words)
            break
        if word == "-" or not word.startswith("-"):
            given["paths"].append(word)
            continue
        name, eq, value = word.partition("=")
        if not eq:
            following = next(words, None)
            if following is None or (following.startswith("-") and following != "-"):
                return None  # no value (click would take an option-like word: not plain)
            value = following
        if name in TEXT and TEXT[name] not in given:
            given[TEXT[name]] = value
        elif name in NUMBER and NUMBER[name][0] not in given:
            key, form, kind = NUMBER[name]
            if not form.fullmatch(value):
                return None
            given[key] = kind(value)
        elif name in REPEATED:
            given.setdefault(REPEATED[name], []).append(value)
        else:
            return None
    if not given["paths"] or given.get("engine", "local") != "local":
        return None
    if "data" not in given:
        given["data"] = os.environ.get(DATA_ENV) or None
    return given


def run(args: list[str]) -> int | None:
    """Run `analyzer ingest ARGS` and give its exit status, or None: not taken here."""
    given = parse(args)
    if given is None:
        return None
    from .ingesting import run_ingest

    warnings.showwarning = show_warning  # as the typer app's root callback does
    try:
        run_ingest(**given)
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
