"""Options every command shares, declared once. The consoles and the messages are
`messages`' (`options.console`, `options.err`, `note`, `warn`, `error` are theirs)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

import typer

from . import messages
from .messages import error, note, rich_stdout, warn  # noqa: F401 -- the commands' import

if TYPE_CHECKING:
    from rich.console import Console

    console: Console
    err: Console


def __getattr__(name: str):
    if name not in ("console", "err"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(messages, name)


DATA = Annotated[
    str | None,
    typer.Option(
        "--data",
        envvar="ANALYZER_DATA",
        metavar="DIR",
        show_default="~/.local/share/analyzer",
        help="Dataset directory (env ANALYZER_DATA).",
    ),
]
TZ = Annotated[
    str | None,
    typer.Option(
        "--tz",
        metavar="ZONE",
        help="Zone of timestamps that carry none (BSD syslog), e.g. Europe/Berlin; "
        "default: the system zone. Everything is stored in UTC.",
    ),
]
YEAR = Annotated[
    int | None,
    typer.Option(
        "--year",
        metavar="YEAR",
        help="Year of the first BSD syslog line of each rotated series (advances at every "
        "December -> January rollover, across the series' files), from 1990 to next "
        "year; default: from the newest file's modification time, walking back through "
        "the older files.",
    ),
]
DEBUG = Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")]

# --- options of the reports -------------------------------------------------------------
# Every report reads the window [--since, --until) and renders through `analyzer.render.output`.
SINCE = Annotated[
    str,
    typer.Option(
        "--since",
        metavar="WHEN",
        help="Start of the window: 30m, 6h, 1d, 2w (before now), today or yesterday (midnight "
        "in --tz), an ISO date or time (2026-11-26, 2026-11-26T09:00; naive ones in --tz), "
        "or 'all'.",
    ),
]
UNTIL = Annotated[
    str | None,
    typer.Option(
        "--until",
        metavar="WHEN",
        show_default="now",
        help="End of the window (exclusive), in the forms of --since.",
    ),
]
WINDOW_TZ = Annotated[
    str | None,
    typer.Option(
        "--tz",
        metavar="ZONE",
        help="Zone of naive --since/--until times, e.g. Europe/Berlin; default: the system "
        "zone. Output times are always UTC.",
    ),
]
LIMIT = Annotated[
    int, typer.Option("--limit", "-n", min=0, metavar="N", help="Show at most N rows (0: all).")
]
FORMAT = Annotated[
    Literal["table", "json", "csv"],
    typer.Option(
        "--format",
        "-f",
        metavar="FORMAT",
        help="table (rich table), json (an array of row objects, ISO 8601 UTC times) or csv "
        "(formula-like cells neutralised with a leading apostrophe).",
    ),
]
CHART = Annotated[
    str | None,
    typer.Option(
        "--chart",
        metavar="FILE.html",
        help="Also write the report's plotly chart to this HTML file (self-contained: "
        "plotly.js embedded, opens offline).",
    ),
]
HOSTED_DOMAIN = Annotated[
    list[str] | None,
    typer.Option(
        "--hosted-domain",
        metavar="DOMAIN",
        help="A domain this server hosts (adds to those inferred from local deliveries and "
        "SASL logins). Repeatable.",
    ),
]
LOCAL_IP = Annotated[
    list[str] | None,
    typer.Option(
        "--local-ip",
        metavar="IP",
        help="An address of this server besides loopback: its clients count as local. Repeatable.",
    ),
]
_HOSTS_HELP = (
    "Only the rows of these hosts (comma-separated, e.g. mx1,mx2; of a fleet, only their "
    "sub-datasets are read). A host the dataset does not have: an empty result and a note "
    "naming the hosts it has."
)
HOSTS = Annotated[
    str | None, typer.Option("--host", "--hosts", metavar="HOST,...", help=_HOSTS_HELP)
]
# `report --host` names the host of lines that carry none (as for `ingest`): only --hosts
REPORT_HOSTS = Annotated[str | None, typer.Option("--hosts", metavar="HOST,...", help=_HOSTS_HELP)]
ENGINE = Annotated[
    Literal["local", "dask"],
    typer.Option(
        "--engine",
        metavar="ENGINE",
        help="local (in this process), or dask: the report's reads and filters run on a "
        "Dask cluster (dask.dataframe), with the same result (docs/scale.md).",
    ),
]
SCHEDULER = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        metavar="ADDRESS",
        show_default=False,
        help="With --engine dask: the Dask scheduler (tcp://HOST:8786); default: a local "
        "cluster on this machine for the command's duration.",
    ),
]
# --- redaction (reports that leave the abuse desk) --------------------------------------
REDACT = Annotated[
    bool,
    typer.Option(
        "--redact",
        help="Mask the people who are not the subject of an incident (the nightly report's "
        "rules on the same window): addresses as j***@example.com (domain kept, logins "
        "that are addresses too), client IPs without their last octet (IPv6: last 80 "
        "bits). Every output format; the subjects stay readable.",
    ),
]
