"""`cli.params`: every option of every command converts a value as typer's own (pydantic)
conversion does, or leaves it to typer; and a report runs without importing pydantic."""

from __future__ import annotations

import subprocess
import sys
from typing import Literal, get_args, get_origin

import pytest
import typer

from analyzer.cli import params
from analyzer.cli.app import COMMANDS, app

typer_coercion = pytest.importorskip("typer._coercion")

SAMPLES = [
    "",
    "0",
    "1",
    "-1",
    "+7",
    "20",
    "007",
    "1.5",
    "-0.5",
    ".5",
    "1e3",
    "5.",
    "abc",
    "1_000",
    " 12",
    "nan",
    "inf",
    "1d",
    "identity",
    "Identity",
    "client-ip",
    "json",
    "table",
    "dask",
    "outgoing",
    "<>",
    "sasl:bob@example.com",
    "x\x1b[31m",
    0,
    3,
    2.5,
    True,
    False,
    ("a", "b"),
    ["mx1"],
    (),
]


def parameters():
    group = typer.main.get_group(app)
    ctx = typer.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        for param in command.params:
            if hasattr(param, "type_descriptor"):
                yield name, param
    for param in group.params:
        if hasattr(param, "type_descriptor"):
            yield "analyzer", param


def literal_words(annotation) -> list:
    return list(get_args(annotation)) if get_origin(annotation) is Literal else []


def typer_own(desc, value, param, ctx):
    try:
        return ("ok", typer_coercion.build_runtime_param(desc).coerce(value, param=param, ctx=ctx))
    except Exception as e:  # typer's BadParameter / UsageError: what the user sees
        return ("error", type(e).__name__, str(e))


@pytest.mark.parametrize("command,param", list(parameters()), ids=lambda v: getattr(v, "name", v))
def test_every_value_converts_as_typer_converts_it(command, param):
    desc = param.type_descriptor
    ctx = typer.Context(typer.main.get_command(app))
    handled = 0
    words = [w for a in (desc.annotation, *get_args(desc.annotation)) for w in literal_words(a)]
    samples = SAMPLES + [param.default, *words]
    for value in samples:
        ours = params.converted(desc.annotation, desc.parameter_info, value)
        if ours is params._UNSURE:
            continue
        handled += 1
        theirs = typer_own(desc, value, param, ctx)
        assert theirs == ("ok", ours), (command, param.name, value)
        assert type(theirs[1]) is type(ours)
        # and through the installed parameter: the same value or the same error
        assert param.get_runtime_param().coerce(value, param=param, ctx=ctx) == ours
    for value in samples:
        theirs = typer_own(desc, value, param, ctx)
        try:
            got = ("ok", param.get_runtime_param().coerce(value, param=param, ctx=ctx))
        except Exception as e:
            got = ("error", type(e).__name__, str(e))
        assert repr(got) == repr(theirs), (command, param.name, value)  # nan == nan
    assert handled or desc.file_annotation is not None or command in ("analyzer",), param.name


def test_the_commands_are_the_ones_registered():
    group = typer.main.get_group(app)
    assert group.list_commands(typer.Context(group)) == list(COMMANDS)


def test_a_report_starts_without_pydantic_or_other_commands(sample):
    code = (
        "import sys\nsys.argv = ['analyzer', 'top-senders', '--data', "
        f"{str(sample.data)!r}, '--since', 'all', '--limit', '3', '-f', 'json']\n"
        "from analyzer.cli.app import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "loaded = {m.split('.')[0] for m in sys.modules} | set(sys.modules)\n"
        "print(sorted(loaded & {'pydantic', 'analyzer.cli.watch_commands', "
        "'analyzer.cli.nightly_command', 'analyzer.cli.dataset_commands'}), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.lstrip().startswith("["), proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "[]", proc.stderr
