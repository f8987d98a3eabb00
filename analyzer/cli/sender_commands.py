"""The reports on who sends: `top-senders` and `suspicious-scripts`. Each reads its
options, makes one `api` call, renders the result (`report_output.show`; both compute in Arrow, without pandas,
unless a chart or the Dask engine is asked for) and, with
`--chart`, writes the plotly chart. pandas and plotly are imported inside the commands
(plotly only for `--chart`), so `--help` stays fast."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from .. import api
from . import sender_runs
from .options import (
    CHART,
    DATA,
    ENGINE,
    FORMAT,
    HOSTED_DOMAIN,
    HOSTS,
    LIMIT,
    REDACT,
    SCHEDULER,
    SINCE,
    UNTIL,
    WINDOW_TZ,
)
from .report_output import (
    host_note,
    masked,
    redactor_for,
    report_call,
    save_chart,
    show,
    window_text,
)

BY_SENDER = Literal[
    "identity", "sasl", "uid", "script", "sender", "sender-domain", "client-ip", "host"
]
SCOPE = Literal["outgoing", "inbound", "all"]


def top_senders(
    by: Annotated[
        BY_SENDER,
        typer.Option(
            "--by",
            metavar="KEY",
            help="What one row is: identity (the accountable principal), sasl (login), uid, "
            "script (uid + script), sender (envelope address), sender-domain, "
            "client-ip, host (one row per host of a fleet).",
        ),
    ] = "identity",
    scope: Annotated[
        SCOPE,
        typer.Option(
            "--scope",
            metavar="SCOPE",
            help="outgoing: SASL and local submissions plus SMTP mail relayed outside the "
            "hosted domains; inbound: SMTP mail for hosted domains; all: every "
            "message.",
        ),
    ] = "outgoing",
    hosted_domain: HOSTED_DOMAIN = None,
    since: SINCE = "1d",
    until: UNTIL = None,
    tz: WINDOW_TZ = None,
    limit: LIMIT = 20,
    fmt: FORMAT = "table",
    chart: CHART = None,
    data: DATA = None,
    host: HOSTS = None,
    engine: ENGINE = "local",
    scheduler: SCHEDULER = None,
    redact: REDACT = False,
) -> None:
    """Who sent the most mail: messages, recipients, recipient domains, delivery
    outcomes, bounce rate, distinct client IPs (many IPs on one login: a stolen
    password), busiest hour and share of all mail in the scope. Chart: stacked volume
    over time of the top senders."""
    sender_runs.top_senders(
        by=by,
        scope=scope,
        hosted_domain=hosted_domain,
        since=since,
        until=until,
        tz=tz,
        limit=limit,
        fmt=fmt,
        chart=chart,
        data=data,
        host=host,
        engine=engine,
        scheduler=scheduler,
        redact=redact,
    )


def suspicious_scripts(
    history: Annotated[
        str,
        typer.Option(
            "--history",
            metavar="SPAN",
            help="How far before the window the identity's own history reaches (for volume "
            "and novelty), e.g. 30d; 0: none.",
        ),
    ] = "30d",
    since: SINCE = "1d",
    until: UNTIL = None,
    tz: WINDOW_TZ = None,
    limit: LIMIT = 20,
    fmt: FORMAT = "table",
    chart: CHART = None,
    data: DATA = None,
    host: HOSTS = None,
    engine: ENGINE = "local",
    scheduler: SCHEDULER = None,
    redact: REDACT = False,
) -> None:
    """Local submissions (PHP mail(), sendmail, cron) grouped by host, uid and script,
    scored by the signs of a spam script: volume against its own history, a new script, a burst
    in one hour, bounce rate, recipient fan-out, and a path in uploads/, tmp/, cache/,
    eval()'d code, hidden or random-looking names. Chart: score vs volume."""
    redactor = redactor_for(
        redact, data, since, until, tz, host, engine=engine, scheduler=scheduler
    )
    report = report_call(
        api.suspicious_scripts_arrow, api.suspicious_scripts, engine, scheduler, chart
    )
    frame = report(
        data,
        since,
        until,
        tz,
        history=history,
        limit=limit,
        hosts=host,
    )
    host_note(data, host)
    title = f"Suspicious scripts, {window_text(since, until, tz)}"
    columns = [
        "uid",
        "script",
        "messages",
        "recipients",
        "recipient_domains",
        "peak_hour_messages",
        "bounce_rate",
        "first_seen",
        "score",
        "reasons",
    ]
    show(
        frame,
        fmt,
        title,
        columns=columns,
        empty="no local submissions in the window",
        window=("messages", data, since, until, tz),
        redactor=redactor,
    )
    if chart:
        from ..render import charts

        save_chart(charts.suspicious_scripts(masked(redactor, frame), title), chart)
