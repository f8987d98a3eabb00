"""The `watch` command: ingest the logs every interval, evaluate the nightly report's
incident rules on a sliding window ending at the newest log line, and emit each incident
as a JSON line when it opens, escalates and closes (optionally running a command per
alert). Alert state lives in the dataset's `_state/watch.json`: a restart alerts nothing
twice."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from .actions_command import ALLOW, ALLOWLIST, THRESHOLD
from .dataset_commands import CONFIG, FORMAT, HOST, LOCAL_IPS, PASSWD
from .options import DATA, HOSTED_DOMAIN, REPORT_HOSTS, TZ, YEAR, note, warn

if TYPE_CHECKING:
    from ..watch.outputs import Output


def watch(
    paths: Annotated[
        list[str],
        typer.Argument(
            metavar="PATH...",
            help="Log files, globs or directories, as for `ingest` (rotated series "
            "followed, only new lines read).",
            show_default=False,
        ),
    ],
    data: DATA = None,
    tz: TZ = None,
    year: YEAR = None,
    format: FORMAT = None,
    host: HOST = None,
    hosts: REPORT_HOSTS = None,
    passwd: PASSWD = None,
    local_ip: LOCAL_IPS = None,
    hosted_domain: HOSTED_DOMAIN = None,
    config: CONFIG = None,
    threshold: THRESHOLD = None,
    allow: ALLOW = None,
    allowlist: ALLOWLIST = None,
    interval: Annotated[
        float,
        typer.Option("--interval", metavar="SECONDS", min=0.0, help="Seconds between iterations."),
    ] = 15.0,
    window: Annotated[
        str,
        typer.Option(
            "--window",
            metavar="DURATION",
            help="Length of the sliding window the incident rules read (30m, 1h, 2h).",
        ),
    ] = "1h",
    grace: Annotated[
        str,
        typer.Option(
            "--close-after",
            metavar="DURATION",
            help="An open incident not found for this long (log time) is closed.",
        ),
    ] = "10m",
    iterations: Annotated[
        int | None,
        typer.Option(
            "--iterations",
            metavar="N",
            min=1,
            help="Stop after N iterations (default: run until stopped).",
            show_default=False,
        ),
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="One iteration, then exit (= --iterations 1).")
    ] = False,
    output: Annotated[
        Literal["json", "text", "syslog"] | None,
        typer.Option(
            "--output",
            help="Where and how alerts go: json (one object per line on stdout), text "
            "(e-mail-ready text on stdout), syslog (one line per alert to the local "
            "syslog). Default: text on a terminal, json otherwise.",
            show_default=False,
        ),
    ] = None,
    max_alerts: Annotated[
        int,
        typer.Option(
            "--max-alerts",
            metavar="N",
            min=0,
            help="Alerts sent per iteration; beyond N, one summary alert stands for the "
            "rest (0: no limit).",
        ),
    ] = 20,
    max_per_hour: Annotated[
        int,
        typer.Option(
            "--max-alerts-per-hour",
            metavar="N",
            min=0,
            help="Alerts sent per hour (wall clock); beyond N, alerts are held and sent as "
            "one summary alert when the hour allows again (0: no limit).",
        ),
    ] = 100,
    syslog_socket: Annotated[
        str,
        typer.Option(
            "--syslog-socket", metavar="PATH", help="The syslog socket of --output syslog."
        ),
    ] = "/dev/log",
    syslog_server: Annotated[
        str | None,
        typer.Option(
            "--syslog-server",
            metavar="URL",
            help="Send --output syslog to a remote server instead of the socket: "
            "udp://HOST[:PORT] or tcp://HOST[:PORT] (port 514; RFC 5424, TCP frames "
            "octet-counted).",
            show_default=False,
        ),
    ] = None,
    syslog_facility: Annotated[
        str,
        typer.Option(
            "--syslog-facility", metavar="NAME", help="Syslog facility (daemon, mail, local0...)."
        ),
    ] = "daemon",
    exec_: Annotated[
        str | None,
        typer.Option(
            "--exec",
            metavar="CMD",
            help="Also run CMD per alert with its JSON on stdin (split like a shell "
            "would, run without one; its output goes to stderr).",
            show_default=False,
        ),
    ] = None,
    exec_timeout: Annotated[
        float,
        typer.Option("--exec-timeout", metavar="SECONDS", min=0.1, help="Kill CMD after this."),
    ] = 10.0,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="One line per iteration on stderr.")
    ] = False,
    apply: Annotated[
        bool,
        typer.Option(
            "--apply",
            help="Run the actions whose kinds the configuration's [actions] apply lists "
            "(never on an allowlisted IP, network, login or script; once per incident, "
            "across restarts), each logged. Without it actions are only proposed.",
        ),
    ] = False,
) -> None:
    """Follow the logs and alert on incidents as they happen: every interval, ingest the
    new lines (the same crash-safe incremental ingest as `ingest`), evaluate the nightly
    report's incident rules and thresholds on the window ending at the newest log line,
    and alert on each incident when it opens, escalates (severity up) and closes, with
    its explanation and proposed actions, as a JSON line, e-mail-ready text or a syslog
    line; a flood beyond --max-alerts per iteration is summarised (see docs/watch.md)."""
    from ..actions import allowlist as allowlist_file
    from ..actions.apply import Applier, log_path
    from ..config import load, read_passwd, thresholds_from_flags
    from ..errors import AnalyzerError
    from ..fleet.hosts import parse_hosts
    from ..watch.loop import Settings, Watcher, data_of, run
    from ..watch.outputs import Exec

    cfg = load(config)
    local_ips = tuple(local_ip or cfg.local_ips)
    passwd = passwd or cfg.passwd
    data_path = data_of(data or cfg.data)
    allowed = allowlist_file.load(allowlist, allow or [], local_ips, cfg.actions.allow, cfg.source)
    applier = None
    if apply:
        if not cfg.actions.apply:
            warn("--apply: the configuration's [actions] apply enables no kind; nothing is run")
        applier = Applier(cfg.actions, allowed, log_path(data_path, cfg.actions))
    settings = Settings(
        paths=list(paths),
        data=data_path,
        tz=tz or cfg.tz,
        year=year,
        format=format or cfg.format,
        host=host or cfg.host,
        passwd=passwd,
        local_ips=local_ips,
        hosted_domains=tuple(hosted_domain or cfg.hosted_domains),
        thresholds=thresholds_from_flags(cfg.thresholds, threshold or []),
        users=read_passwd(passwd) if passwd else {},
        allow=allowed,
        window=duration("--window", window),
        grace=duration("--close-after", grace),
        max_alerts=max_alerts or None,
        applier=applier,
        max_per_hour=max_per_hour or None,
        hosts=parse_hosts(hosts),
    )
    outputs: list[Output] = [alert_output(output, syslog_socket, syslog_facility, syslog_server)]
    if exec_:
        try:
            outputs.append(Exec(exec_, exec_timeout, on_error=warn))
        except ValueError as e:
            raise AnalyzerError(f"--exec {exec_!r}: {e}") from None
    watcher = Watcher(settings, outputs, on_warning=warn, on_action=action_note)

    def report(step) -> None:
        if verbose:
            newest = f"{step.newest:%Y-%m-%d %H:%M:%S} UTC" if step.newest else "none"
            flood = f" ({step.left_out} summarised)" if step.left_out else ""
            note(
                f"watch: {step.lines:,} new lines, newest log time {newest}, "
                f"{len(step.alerts)} alerts{flood}"
            )

    run(watcher, interval, 1 if once else iterations, on_step=report)


def action_note(outcome) -> None:
    """One line on stderr per action applied, refused or failed (validated values only)."""
    entry = outcome.to_json()
    value = entry["value"] if entry["value"] is not None else "(invalid value)"
    why = f": {entry['reason']}" if entry["reason"] else ""
    line = f"action {entry['result']}: {entry['what']} {value} (incident {entry['incident']}){why}"
    (note if entry["result"] == "applied" else warn)(line)


def alert_output(
    output: str | None, socket: str, facility: str, server: str | None = None
) -> Output:
    """The output of `--output` (None: text on a terminal, JSON lines otherwise)."""
    import sys

    from ..errors import AnalyzerError
    from ..watch.mail_text import Text
    from ..watch.outputs import JsonLines

    if output is None:
        output = "text" if sys.stdout.isatty() else "json"
    if output == "text":
        return Text()
    if output == "syslog":
        from ..watch.syslog_line import Syslog, server_address

        try:
            if server:
                server_address(server)
        except ValueError as e:
            raise AnalyzerError(f"--syslog-server: {e}") from None
        try:
            out = Syslog(socket, facility, on_error=warn, server=server)
        except ValueError as e:
            raise AnalyzerError(f"--syslog-facility: {e}") from None
        if not out.connected:
            where = server or socket
            warn(f"--output syslog: nothing listens on {where} yet; each alert tries again")
        return out
    return JsonLines()


def duration(flag: str, text: str) -> timedelta:
    """`30m`, `1h`, `2d`, `90s` -> a timedelta (positive)."""
    from ..errors import AnalyzerError

    m = re.fullmatch(r"\s*(\d+)\s*([smhd])\s*", text)
    if not m or int(m.group(1)) == 0:
        raise AnalyzerError(f"{flag}: {text!r} is not a duration such as 30m, 1h or 2d")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[m.group(2)]
    return timedelta(**{unit: int(m.group(1))})
