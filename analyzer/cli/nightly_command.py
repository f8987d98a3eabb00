"""The `report` command: the nightly job. Optionally ingests first, builds every report for
the window, writes the HTML page, prints the text summary (what cron mails) and exits 2
when an incident at or above `--fail-on` was found, so wrappers can alert."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from .dataset_commands import FORMAT, HOST
from .ingesting import ingest_configured
from .options import (
    DATA,
    HOSTED_DOMAIN,
    LOCAL_IP,
    REDACT,
    REPORT_HOSTS,
    SCHEDULER,
    YEAR,
    note,
    warn,
)
from .report_output import host_note

EXIT_INCIDENTS = 2  # 1 stays "error" (AnalyzerError), 75 "dataset locked by another ingest"


def report(
    html: Annotated[
        str | None,
        typer.Option(
            "--html",
            metavar="FILE",
            help="Write the HTML report here (self-contained, opens offline). `{date}` is "
            "replaced by the window's first day (YYYY-MM-DD, in --tz), e.g. "
            "/var/lib/analyzer/reports/report-{date}.html. Missing directories are "
            "created; the file is replaced atomically. Config: report.html.",
        ),
    ] = None,
    ingest: Annotated[
        list[str] | None,
        typer.Option(
            "--ingest",
            metavar="PATH",
            help="Ingest these logs first (files, globs, directories; rotated series "
            "followed, only new lines read). Repeatable. Config: report.ingest.",
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="WHEN",
            show_default="1d",
            help="Start of the window: 1d, 12h, an ISO date or time (naive ones in --tz). "
            "Config: report.since.",
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until",
            metavar="WHEN",
            show_default="now",
            help="End of the window (exclusive). Config: report.until.",
        ),
    ] = None,
    tz: Annotated[
        str | None,
        typer.Option(
            "--tz",
            metavar="ZONE",
            help="Zone of naive log timestamps (for --ingest) and of naive --since/"
            "--until, e.g. Europe/Berlin; default: the system zone. Config: tz.",
        ),
    ] = None,
    year: YEAR = None,
    data: DATA = None,
    config: Annotated[
        str | None,
        typer.Option(
            "--config",
            metavar="FILE",
            help="Configuration file (TOML). Default: $ANALYZER_CONFIG, ./analyzer.toml, "
            "~/.config/analyzer/config.toml, /etc/analyzer/config.toml (the first that "
            "exists).",
        ),
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="Print nothing unless an incident is found (for cron, which "
            "mails any output). Errors and warnings still go to stderr.",
        ),
    ] = False,
    fail_on: Annotated[
        Literal["warn", "crit", "never"] | None,
        typer.Option(
            "--fail-on",
            show_default="crit",
            help="Exit with status 2 when an incident of this severity or above is found "
            "(never: always 0). Config: report.fail_on.",
        ),
    ] = None,
    local_ip: LOCAL_IP = None,
    hosted_domain: HOSTED_DOMAIN = None,
    passwd: Annotated[
        str | None,
        typer.Option(
            "--passwd",
            metavar="FILE",
            help="passwd(5) file (e.g. /etc/passwd): user names for UIDs, and for --ingest "
            "as for `ingest --passwd`. Config: passwd.",
        ),
    ] = None,
    format: FORMAT = None,
    host: HOST = None,
    hosts: REPORT_HOSTS = None,
    engine: Annotated[
        Literal["local", "dask"],
        typer.Option(
            "--engine",
            metavar="ENGINE",
            help="local, or dask: every report's reads and filters run on a Dask cluster, "
            "with the same result; with --ingest, the ingest of `ingest --engine dask` too "
            "(a fleet, docs/scale.md).",
        ),
    ] = "local",
    scheduler: SCHEDULER = None,
    threshold: Annotated[
        list[str] | None,
        typer.Option(
            "--threshold",
            metavar="SECTION.NAME=VALUE",
            help="Override one incident threshold, e.g. senders.client_ips_crit=20 or "
            "auth.failures_warn=100 (docs/report.md lists them). Repeatable.",
        ),
    ] = None,
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            metavar="SECONDS",
            help="With --ingest: seconds to wait for another ingest holding the dataset.",
        ),
    ] = 300.0,
    json_path: Annotated[
        str | None,
        typer.Option(
            "--json",
            metavar="FILE",
            help="Also write the report as one JSON document (window, totals, incidents "
            "with their hosts, the per-host fleet section, every section's rows); `{date}` "
            "as for --html; `-`: print it on stdout instead of the text summary.",
        ),
    ] = None,
    redact: REDACT = False,
) -> None:
    """The nightly report: optionally ingest new log lines, then write one HTML page
    (headline numbers against the trailing week, incidents with severity, a section per
    report with its chart and table) and print a short text summary, incidents first.
    Exit status: 0 no incident at or above --fail-on, 2 incidents found, 1 error."""
    from .. import api
    from ..config import load, read_passwd, thresholds_from_flags
    from ..nightly import text as summary_text

    cfg = load(config)
    data = data or cfg.data
    tz = tz or cfg.tz
    since = since if since is not None else cfg.since
    until = until if until is not None else cfg.until
    level: str = fail_on or cfg.fail_on
    html = html or cfg.html
    paths = list(ingest) if ingest else list(cfg.ingest)
    local_ips = list(local_ip) if local_ip else list(cfg.local_ips)
    hosted = list(hosted_domain) if hosted_domain else list(cfg.hosted_domains)
    passwd = passwd or cfg.passwd
    thresholds = thresholds_from_flags(cfg.thresholds, threshold or [])

    if paths:  # exactly as `analyzer ingest` with the same flags and configuration
        summary = ingest_configured(
            paths,
            cfg,
            data=data,
            tz=tz,
            year=year,
            local_ips=local_ips,
            wait=wait,
            format=format,
            host=host,
            passwd=passwd,
            engine=engine,
            scheduler=scheduler,
        )
        for warning in summary.warnings:
            warn(warning)
        if not quiet:
            note(
                f"ingest: {summary.lines:,} new lines, {summary.messages:,} messages, "
                f"{summary.unparsed:,} unparsed in {summary.seconds:.1f} s"
            )
    users = read_passwd(passwd) if passwd else {}
    result = api.report(
        data,
        since,
        until,
        tz,
        thresholds=thresholds,
        local_ips=local_ips,
        hosted_domains=hosted,
        users=users,
        hosts=hosts,
        engine=engine,
        scheduler=scheduler,
    )
    if hosts:
        host_note(data, hosts)

    if redact:  # every form below renders the redacted copy
        from ..render.redact import redact_report

        result = redact_report(result)
    written = None
    if html:
        from ..nightly import html as report_html

        written = _write(_dated(html, result, tz), report_html.render(result))
    if json_path:
        from ..nightly.document import to_json

        if json_path == "-":
            print(to_json(result), end="", flush=True)
        else:
            _write(_dated(json_path, result, tz), to_json(result))
    alerting = result.at_least(level)
    if json_path != "-" and (not quiet or result.incidents):
        print(summary_text.render(result, written, level), end="", flush=True)
    if alerting:
        raise typer.Exit(EXIT_INCIDENTS)


def _dated(template: str, result, tz) -> str:
    """`{date}` -> the first day of the window in the report's zone."""
    if "{date}" not in template:
        return template
    from ..clock import parse_zone

    first = result.since or result.until
    return template.replace("{date}", first.astimezone(parse_zone(tz)).strftime("%Y-%m-%d"))


def _write(path: str, text: str) -> str:
    """Write atomically (temp file in the same directory, then rename): a web server or
    a reader never sees half a report."""
    import os
    import tempfile

    from ..errors import AnalyzerError

    target = os.path.abspath(os.path.expanduser(path))
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".tmp", dir=os.path.dirname(target))
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as e:
        raise AnalyzerError(f"cannot write report {target!r}: {e.strerror or e}") from None
    return target
