"""Options every command shares, declared once, and the two consoles: data goes to
stdout (`console`), messages to stderr (`err`)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.console import Console

console = Console()
err = Console(stderr=True, soft_wrap=True)  # messages are never hard-wrapped: they get grepped

DATA = Annotated[Optional[str], typer.Option(
    "--data", envvar="ANALYZER_DATA", show_default="~/.local/share/analyzer",
    help="Dataset directory (env ANALYZER_DATA).")]
TZ = Annotated[Optional[str], typer.Option(
    "--tz", help="Zone of timestamps that carry none (BSD syslog), e.g. Europe/Berlin; "
                 "default: the system zone. Everything is stored in UTC.")]
YEAR = Annotated[Optional[int], typer.Option(
    "--year", help="Year of the first BSD syslog line (advances at a December -> January "
                   "rollover); default: inferred from the file's modification time.")]
DEBUG = Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")]
