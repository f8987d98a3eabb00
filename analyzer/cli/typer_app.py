"""The typer app of `analyzer`: a command's module is imported only when that command
runs (`LazyCommands`, from `app.COMMANDS`; `--help` lists them all), so a report starts
without the other commands' imports; every command runs inside `_one_line_errors`.
`analyzer.cli.app` gives these names too (its `main` imports this module when the
command line is not one `quick` takes)."""

from __future__ import annotations

import functools
import warnings
from typing import Annotated

import typer
import typer.core

from .. import __version__
from . import params
from .app import COMMANDS, _quiet_stdout, describe
from .messages import show_warning
from .options import DEBUG, error, note

params.install()  # option values without pydantic (a tenth of a second of every start)


class LazyCommands(typer.core.TyperGroup):
    """The command group that imports a command's module and builds its click command
    the first time it is asked for (running it, or `--help` listing every command)."""

    def list_commands(self, ctx) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx, cmd_name: str):
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.commands[cmd_name] = _build(cmd_name)
        return super().get_command(ctx, cmd_name)


def _build(name: str):
    import importlib

    from typer.models import CommandInfo

    module, function = COMMANDS[name]
    callback = getattr(importlib.import_module(f"{__package__}.{module}"), function)
    return typer.main.get_command_from_info(
        CommandInfo(name=name, callback=_one_line_errors(callback)),
        pretty_exceptions_short=app.pretty_exceptions_short,
        rich_markup_mode=app.rich_markup_mode,
    )


def _metavar_only(param, ctx) -> str | None:
    """What --help shows in the type column: the option's metavar (FILE, ZONE, N) or its
    choices, never typer's Python type (`<list[str]>`, `<bool>`, `<str>`): every help
    text says what its value is."""
    if isinstance(param, typer.core.TyperArgument):
        return None  # its name column already says what it is
    if param.metavar is not None:
        return param.metavar
    if param.type_descriptor.is_choice and not param.is_flag:
        return typer.core._TyperParameter.display_type(param, ctx)
    return None


# typer >= 0.2x prints Python types beside the metavar; older ones have no such hook (and
# show click's type names), so the override is applied only where the hook exists
for _cls in (getattr(typer.core, "_TyperParameter", None), typer.core.TyperOption):
    if _cls is not None and hasattr(_cls, "display_type_rich"):
        _cls.display_type_rich = _metavar_only  # type: ignore[method-assign]  # typer patched on purpose

app = typer.Typer(
    name="analyzer",
    help="Mail-log abuse analyzer: ingest MTA logs into a Parquet dataset where every "
    "message is charged to its accountable identity (SASL user, local uid + script, "
    "client IP), then ask who sent what.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
    cls=LazyCommands,
)

_debug = False


def _show_version(value: bool) -> None:
    if value:
        from ..parse.core import core_in_use, describe, engine_in_use

        print(f"analyzer {__version__} ({describe(core_in_use(), engine_in_use())})")
        raise typer.Exit()


@app.callback()
def _root(
    debug: DEBUG = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    global _debug
    _debug = debug
    warnings.showwarning = show_warning


def _one_line_errors(command):
    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except BrokenPipeError:  # `analyzer ... | head`: the reader has all it wanted
            _quiet_stdout()
            raise typer.Exit(0) from None
        except BaseException as e:
            if _debug:
                raise
            message, code = describe(e)
            if isinstance(e, KeyboardInterrupt):
                note(message)
            else:
                error(message)
            raise typer.Exit(code) from None

    return run
