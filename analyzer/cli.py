"""The `analyzer` command: each command reads its options, makes one `api` call, and
renders the result. Heavy imports (pandas, pyarrow, plotly) happen inside the commands,
so `--help` and small commands start fast."""

from __future__ import annotations

import sys
import warnings
from typing import Annotated

import typer
import typer.core

from . import __version__
from .commands import dataset, report, reports
from .errors import AnalyzerError
from .options import DEBUG, err


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
        _cls.display_type_rich = _metavar_only

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
)

_debug = False


def _show_version(value: bool) -> None:
    if value:
        print(f"analyzer {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: DEBUG = False,
    version: Annotated[bool, typer.Option(
        "--version", callback=_show_version, is_eager=True,
        help="Print the version and exit.")] = False,
) -> None:
    global _debug
    _debug = debug
    warnings.showwarning = _show_warning


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings of the library (parts of the dataset gone missing) are one line on stderr."""
    from rich.markup import escape

    err.print(f"[yellow]warning:[/] {escape(str(message))}", highlight=False)


app.command()(dataset.ingest)
app.command()(dataset.parse)
app.command()(dataset.status)
app.command("top-senders")(reports.top_senders)
app.command("relay-spikes")(reports.relay_spikes)
app.command("suspicious-scripts")(reports.suspicious_scripts)
app.command("auth-failures")(reports.auth_failures)
app.command("trace")(reports.trace)
app.command("report")(report.report)


def main() -> None:
    try:
        app()
    except AnalyzerError as e:
        if _debug:
            raise
        err.print(f"[red]error:[/] {e}", highlight=False)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted", highlight=False)
        sys.exit(130)
    except BrokenPipeError:  # `analyzer ... | head`
        sys.stderr.close()
        sys.exit(0)
