"""Commands that fill and describe the dataset: `ingest`, `parse`, `status`, `compact`."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from .. import api
from ..render.terminal import printable
from . import options
from .ingesting import run_ingest
from .options import DATA, TZ, YEAR, note, warn

FORMAT = Annotated[
    str | None,
    typer.Option(
        "--format",
        metavar="FORMAT",
        help="What the input holds: postfix, exim, sendmail, phpmail or journal (default: "
        "told per file from its first lines; see docs/formats.md). Config: format.",
        show_default=False,
    ),
]
HOST = Annotated[
    str | None,
    typer.Option(
        "--host",
        metavar="HOST",
        help="Host of lines that name none (Exim's own log, PHP's mail.log file form). "
        "Default: this machine's short host name. Config: host.",
        show_default=False,
    ),
]
PASSWD = Annotated[
    str | None,
    typer.Option(
        "--passwd",
        metavar="FILE",
        help="A passwd file: a login and a uid of the same account become one identity "
        "(uid:N), and PHP scripts under a home directory get its uid. Config: passwd.",
        show_default=False,
    ),
]
WAIT = Annotated[
    float,
    typer.Option(
        metavar="SECONDS",
        help="Seconds to wait when another ingest holds the dataset lock (0: exit at once "
        "with status 75).",
    ),
]
CONFIG = Annotated[
    str | None,
    typer.Option(
        "--config",
        metavar="FILE",
        help="Configuration file (TOML). Default: $ANALYZER_CONFIG, ./analyzer.toml, "
        "~/.config/analyzer/config.toml, /etc/analyzer/config.toml (the first that "
        "exists).",
    ),
]
LOCAL_IPS = Annotated[
    list[str] | None,
    typer.Option(
        "--local-ip",
        metavar="IP",
        help="An address of this server: its clients count as local (like loopback) in "
        "`rejects.local_client`. Repeatable. Config: local_ips.",
    ),
]
ENGINE = Annotated[
    str,
    typer.Option(
        "--engine",
        metavar="ENGINE",
        help="local, or dask: a fleet, one host per directory (a directory of host "
        "directories, or the hosts' directories), each into DATA/hosts/HOST/ by a task on "
        "a Dask cluster (docs/scale.md).",
    ),
]
SCHEDULER = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        metavar="ADDRESS",
        help="With --engine dask: the Dask scheduler (tcp://HOST:8786); default: a local "
        "cluster on this machine.",
        show_default=False,
    ),
]


def ingest(
    paths: Annotated[
        list[str],
        typer.Argument(
            metavar="PATH...",
            help="Log files, globs, directories (their files) or - for stdin; each may be an "
            "fsspec URL (file://, s3://, ...; docs/scale.md). .gz, .bz2 and .xz are read "
            "transparently; rotated series (maillog.2.gz, maillog.1, maillog) are read "
            "oldest first.",
            show_default=False,
        ),
    ],
    data: DATA = None,
    tz: TZ = None,
    year: YEAR = None,
    local_ip: LOCAL_IPS = None,
    wait: WAIT = 0.0,
    format: FORMAT = None,
    host: HOST = None,
    passwd: PASSWD = None,
    cursor_file: Annotated[
        str | None,
        typer.Option(
            "--cursor-file",
            metavar="FILE",
            help="For journalctl -o json on stdin (-): skip the entries up to the last one "
            "ingested (by __CURSOR), so overlapping exports are read once; the cursor is "
            "also written to FILE (for journalctl --after-cursor).",
            show_default=False,
        ),
    ] = None,
    config: CONFIG = None,
    engine: ENGINE = "local",
    scheduler: SCHEDULER = None,
) -> None:
    """Read log lines into the dataset. Incremental: a re-run reads only new lines and
    follows rotation; safe to kill at any moment and re-run. Settings not given as flags
    come from the configuration file (data, tz, local_ips, passwd, host, format), as for
    `report --ingest`."""
    run_ingest(
        paths,
        data=data,
        tz=tz,
        year=year,
        local_ips=local_ip,
        wait=wait,
        format=format,
        host=host,
        passwd=passwd,
        cursor_file=cursor_file,
        config=config,
        engine=engine,
        scheduler=scheduler,
    )


def parse(
    path: Annotated[
        str, typer.Argument(metavar="[PATH]", help="A log file, or - for stdin.")
    ] = "-",
    tz: TZ = None,
    year: YEAR = None,
    format: FORMAT = None,
    host: HOST = None,
) -> None:
    """Print one JSON object per input line: its header, `event`, `pattern`, the
    `format` that read it and how its header was read (`envelope`), and the canonical
    fields it carries. Unparsed lines come with their raw text: this is the tool for
    "why did my line not parse"."""
    from ..errors import AnalyzerError
    from ..parse.header import FORMATS
    from ..read.batches import read_batches
    from ..read.sources import describe

    if format is not None and format not in FORMATS:
        raise AnalyzerError(f"--format must be one of {', '.join(FORMATS)}, not {format!r}")

    src = describe(path)
    reference = None
    if not src.is_stdin:
        from datetime import datetime

        from ..clock import parse_zone

        reference = datetime.fromtimestamp(src.mtime, parse_zone(tz)).date()
    lines = (line for batch in read_batches(src, partial_tail=True) for line in batch.lines())
    from ..render.output import dumps

    out = sys.stdout
    for event in api.parse_lines(
        lines, tz=tz, year=year, reference=reference, format=format, host=host
    ):
        out.write(dumps(event) + "\n")
    for warning in src.warnings:
        warn(warning)


def status(
    data: DATA = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False,
) -> None:
    """Show the dataset: tables with row counts and time range, sources with their
    checkpoints, open messages, unparsed lines, programs beside the MTA, and committed
    parts that are missing or unreadable (with the rows they held). Of a fleet's
    directory (DATA/hosts/HOST/): each host's messages, sources and last line."""
    info = api.status(data)
    if as_json:
        print(json.dumps(info, indent=2))
        return
    from rich.table import Table
    from rich.text import Text

    def cells(*values):  # paths and program names come from outside: never markup
        return [Text(printable(v)) for v in values]

    if info.get("fleet"):  # a fleet's directory: one row per host's sub-dataset
        f = Table(title=Text(printable(f"fleet {info['data']} ({len(info['hosts'])} hosts)")))
        for col in ("host", "messages", "sources", "last line (UTC)"):
            f.add_column(col, justify="right" if col in ("messages", "sources") else "left")
        for name, h in info["hosts"].items():
            f.add_row(*cells(name, f"{h['messages']:,}", str(h["sources"]), h["last_line"] or ""))
        options.console.print(f)
        options.console.print(cores_line(info), highlight=False)
        return
    t = Table(title=Text(printable(f"dataset {info['data']} (commit {info['commit']})")))
    for col in ("table", "rows", "first (UTC)", "last (UTC)"):
        t.add_column(col, justify="right" if col == "rows" else "left")
    for name, tbl in info["tables"].items():
        t.add_row(*cells(name, f"{tbl['rows']:,}", tbl["first"] or "", tbl["last"] or ""))
    options.console.print(t)
    if info["missing_parts"]:
        from ..dataset.store import PartsMissing

        warn(str(PartsMissing(info["data"], info["missing_parts"])))
        for part in info["missing_parts"]:
            rows = f"{part['rows']:,} rows" if part["rows"] is not None else "rows unknown"
            note(f"  {part['path']}: {part['reason']}, {rows}")
    for directory, n in info["orphaned"].items():
        note(f"{n:,} part files set aside in {directory} (no checkpoint knew them; never read)")
    options.console.print(
        f"parts: {info['parts']:,} (analyzer compact merges small ones)", highlight=False
    )
    options.console.print(
        f"open messages (carried to the next run): {info['open_messages']:,}; "
        f"open SMTP sessions: {info['open_sessions']:,}; "
        f"unparsed lines: {info['unparsed']:,}; " + cores_line(info),
        highlight=False,
    )
    s = Table(title="sources")
    for col in ("path", "read (bytes)", "size", "last line (UTC)"):
        s.add_column(col)
    for src in info["sources"]:
        s.add_row(
            *cells(src["path"], f"{src['offset']:,}", f"{src['size']:,}", src["last_line"] or "")
        )
    options.console.print(s)
    if info["beside_mta"]:
        options.console.print(
            Text(
                printable(
                    "lines of programs beside the MTA: "
                    + ", ".join(
                        f"{p} {n:,}"
                        for p, n in sorted(info["beside_mta"].items(), key=lambda kv: -kv[1])
                    )
                )
            )
        )
    php = info["php_mail"]
    lines = [php["summary"]] if php["summary"] else []
    if php["earlier"]:
        lines.append(
            f"PHP mail.log: {php['earlier']:,} entries written before joins were "
            "counted (their reasons are not known)"
        )
    for line in lines:
        options.console.print(Text(printable(line)))
    if php["warning"]:
        warn(php["warning"])


def compact(
    data: DATA = None,
    older_than: Annotated[
        str | None,
        typer.Option(
            "--older-than",
            metavar="WHEN",
            help="Only the days (UTC) that ended before WHEN: 1d, 6h, an ISO date or time. "
            "Default: every day, today's too.",
            show_default=False,
        ),
    ] = None,
    wait: WAIT = 0.0,
) -> None:
    """Merge the small parts of the dataset: each table's day becomes one part, so reports
    read fewer files and the checkpoint shrinks (`watch` commits every few seconds and
    compacts by itself). Rows and their order stay as they are; only parts the checkpoint
    lists as written by analyzer are merged. Safe to run beside reports (a report that
    started before reads its parts to the end: they are deleted by a later compaction)
    and to interrupt (the next run cleans up). Progress goes to stderr, a summary line to
    stdout: parts before and after, bytes."""

    def progress(event: str, details: dict) -> None:
        if event == "merging":
            note(f"merging {details['parts']:,} parts of {details['table']} {details['day']}")

    done = api.compact(data, older_than=older_than, wait=wait, step=progress)
    for skipped in done.skipped:
        warn(skipped)
    print(done.line())


def cores_line(info: dict) -> str:
    """The parse core and the correlator, as `--version` says them."""
    from ..parse.core import describe

    return describe(info["core"], info["engine"])
