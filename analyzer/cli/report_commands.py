"""The report commands: `top-senders`, `relay-spikes`, `suspicious-scripts`,
`auth-failures`, `trace`. Each reads its options, makes one `api` call, renders the
DataFrame through `analyzer.render.output` and, with `--chart`, writes the plotly chart.
pandas and plotly are imported inside the commands (plotly only for `--chart`), so
`--help` stays fast."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from .. import api
from ..errors import NoData
from .options import (
    CHART,
    DATA,
    FORMAT,
    HOSTED_DOMAIN,
    LIMIT,
    LOCAL_IP,
    SINCE,
    UNTIL,
    WINDOW_TZ,
    console,
    note,
)

BY_SENDER = Literal["identity", "sasl", "uid", "script", "sender", "sender-domain", "client-ip"]
SCOPE = Literal["outgoing", "inbound", "all"]
BY_AUTH = Literal["client-ip", "username"]


def top_senders(
    by: Annotated[
        BY_SENDER,
        typer.Option(
            "--by",
            metavar="KEY",
            help="What one row is: identity (the accountable principal), sasl (login), uid, "
            "script (uid + script), sender (envelope address), sender-domain, "
            "client-ip.",
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
) -> None:
    """Who sent the most mail: messages, recipients, recipient domains, delivery
    outcomes, bounce rate, distinct client IPs (many IPs on one login: a stolen
    password), busiest hour and share of all mail in the scope. Chart: stacked volume
    over time of the top senders."""
    frame = api.top_senders(
        data, since, until, tz, by=by, scope=scope, hosted_domains=hosted_domain or (), limit=limit
    )
    title = f"Top senders by {by} ({scope}), {_window_text(since, until, tz)}"
    _show(
        frame,
        fmt,
        title,
        empty=f"no {scope} messages with a {by} key in the window",
        window=("messages", data, since, until, tz),
    )
    if chart:
        from ..render import charts
        from ..reports.senders import BY

        keys = [
            tuple(k) if len(BY[by]) > 1 else k[0]
            for k in frame[BY[by]].head(10).itertuples(index=False, name=None)
        ]
        timeline = api.sender_timeline(
            data,
            since,
            until,
            tz,
            by=by,
            scope=scope,
            keys=keys,
            hosted_domains=hosted_domain or (),
        )
        _chart(charts.top_senders(timeline, title), chart)


def relay_spikes(
    bucket: Annotated[
        str,
        typer.Option(
            "--bucket", metavar="OFFSET", help="Bucket size, any pandas offset: 15min, 1h, 6h, 1D."
        ),
    ] = "1h",
    all_buckets: Annotated[
        bool,
        typer.Option(
            "--all", help="List every bucket, not only spikes (the `spike` column tells)."
        ),
    ] = False,
    window: Annotated[
        int,
        typer.Option(
            "--window",
            min=1,
            metavar="BUCKETS",
            help="Trailing buckets in the baseline (median and MAD).",
        ),
    ] = 24,
    z: Annotated[
        float,
        typer.Option(
            "--z", min=0.0, help="A spike exceeds the baseline by this many robust spreads."
        ),
    ] = 5.0,
    min_count: Annotated[
        int,
        typer.Option(
            "--min-count", min=1, metavar="N", help="A spike has at least this many rejects."
        ),
    ] = 10,
    local_ip: LOCAL_IP = None,
    hosted_domain: HOSTED_DOMAIN = None,
    since: SINCE = "1d",
    until: UNTIL = None,
    tz: WINDOW_TZ = None,
    limit: LIMIT = 0,
    fmt: FORMAT = "table",
    chart: CHART = None,
    data: DATA = None,
) -> None:
    """Relay-denied spikes: buckets with far more "Relay access denied" (and Sendmail /
    Exim equivalents) than the trailing baseline, each explained: local app or internet,
    top clients, senders, sender domains and HELO names, and for a local spike the
    likely responsible sender, hosted domain and accounts. Chart: the series with the
    baseline band and the spikes marked."""
    params = dict(
        bucket=bucket,
        local_ips=local_ip or (),
        hosted_domains=hosted_domain or (),
        window=window,
        z=z,
        min_count=min_count,
    )
    frame = api.relay_spikes(data, since, until, tz, all_buckets=all_buckets, limit=limit, **params)
    title = f"Relay-denied spikes per {bucket}, {_window_text(since, until, tz)}"
    columns = (
        None
        if all_buckets
        else [
            "start",
            "count",
            "baseline",
            "local_count",
            "source",
            "top_clients",
            "top_senders",
            "responsible",
            "responsible_domain",
            "responsible_accounts",
        ]
    )
    if all_buckets:
        columns = [
            "start",
            "count",
            "baseline",
            "threshold",
            "spike",
            "local_count",
            "source",
            "top_clients",
            "responsible",
        ]
    _show(
        frame,
        fmt,
        title,
        columns=columns,
        empty="no relay-denied spikes in the window",
        window=("rejects", data, since, until, tz),
    )
    if chart:
        from ..render import charts

        series = (
            frame
            if all_buckets
            else api.relay_spikes(data, since, until, tz, all_buckets=True, **params)
        )
        _chart(charts.relay_spikes(series, title), chart)


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
) -> None:
    """Local submissions (PHP mail(), sendmail, cron) grouped by uid and script, scored
    by the signs of a spam script: volume against its own history, a new script, a burst
    in one hour, bounce rate, recipient fan-out, and a path in uploads/, tmp/, cache/,
    eval()'d code, hidden or random-looking names. Chart: score vs volume."""
    frame = api.suspicious_scripts(data, since, until, tz, history=history, limit=limit)
    title = f"Suspicious scripts, {_window_text(since, until, tz)}"
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
    _show(
        frame,
        fmt,
        title,
        columns=columns,
        empty="no local submissions in the window",
        window=("messages", data, since, until, tz),
    )
    if chart:
        from ..render import charts

        _chart(charts.suspicious_scripts(frame, title), chart)


def auth_failures(
    by: Annotated[
        BY_AUTH,
        typer.Option("--by", metavar="KEY", help="One row per client-ip or per username tried."),
    ] = "client-ip",
    since: SINCE = "1d",
    until: UNTIL = None,
    tz: WINDOW_TZ = None,
    limit: LIMIT = 20,
    fmt: FORMAT = "table",
    chart: CHART = None,
    data: DATA = None,
) -> None:
    """SMTP AUTH failures by client IP (or username): failures, distinct usernames,
    first and last, and whether the IP later logged in successfully — as which account
    (a brute force that worked). Chart: failures over time of the top IPs."""
    frame = api.auth_failures(data, since, until, tz, by=by, limit=limit)
    title = f"SMTP AUTH failures by {by}, {_window_text(since, until, tz)}"
    columns = None
    if by == "client-ip":
        columns = [
            "client_ip",
            "failures",
            "usernames",
            "first_seen",
            "last_seen",
            "max_connection_rate",
            "succeeded_later",
            "succeeded_as",
            "first_success",
            "messages_after",
        ]
    _show(
        frame,
        fmt,
        title,
        columns=columns,
        empty="no AUTH failures in the window",
        window=("auth_failures", data, since, until, tz),
    )
    if chart:
        from ..render import charts

        key = "client_ip" if by == "client-ip" else "sasl_username"
        timeline = api.auth_failure_timeline(
            data, since, until, tz, by=by, keys=list(frame[key].head(10))
        )
        _chart(charts.auth_failures(timeline, title), chart)


def trace(
    queue_id: Annotated[
        str | None,
        typer.Argument(
            metavar="[QUEUE_ID]", help="Queue id of the message to follow.", show_default=False
        ),
    ] = None,
    sender: Annotated[
        str | None,
        typer.Option(
            "--sender",
            metavar="ADDR",
            help="Every message and reject of this envelope sender (<> for the null sender).",
        ),
    ] = None,
    identity: Annotated[
        str | None,
        typer.Option(
            "--identity",
            metavar="KEY",
            help="Everything charged to this identity: sasl:<user>, uid:<n>, user:<login>, "
            "ip:<address>.",
        ),
    ] = None,
    client_ip: Annotated[
        str | None,
        typer.Option(
            "--client-ip",
            metavar="IP",
            help="Everything this client IP did, whoever it logged in as.",
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="WHEN",
            show_default="7d, then all",
            help="Start of the window, in the forms of the other reports; by default the last "
            "7 days, and the whole dataset when nothing is found there.",
        ),
    ] = None,
    until: UNTIL = None,
    tz: WINDOW_TZ = None,
    limit: LIMIT = 0,
    fmt: FORMAT = "table",
    data: DATA = None,
) -> None:
    """Follow one message (QUEUE_ID), envelope sender, identity or client IP: every row
    of messages, deliveries, rejects (and AUTH failures) in time order, with the table
    each row came from. JSON and CSV carry every column."""
    args = dict(sender=sender, identity=identity, client_ip=client_ip, data=data, tz=tz)
    frame = api.trace(queue_id, since=since or "7d", until=until, **args)
    what = queue_id or sender or identity or client_ip
    if frame.empty and since is None:  # an old message: look through everything
        since = "all"
        frame = api.trace(queue_id, since=None, until=until, **args)
        if len(frame):
            note(f"{what}: nothing in the last 7 days; shown from the whole dataset")
    if frame.empty:
        raise NoData(api.empty_window(f"rows about {what}", data, since or "7d", until, tz))
    if limit:
        frame = frame.head(limit)
    columns = [
        "ts",
        "table",
        "event",
        "queue_id",
        "identity",
        "sender",
        "recipient",
        "client_ip",
        "dsn",
        "detail",
    ]
    _show(frame, fmt, f"Trace of {what}, {_window_text(since or '7d', until, tz)}", columns=columns)


# --- shared ----------------------------------------------------------------------------------


def _show(
    frame,
    fmt: str,
    title: str,
    columns: list[str] | None = None,
    empty: str = "no rows",
    window: tuple | None = None,
) -> None:
    """Render `frame`. Empty: when the window holds no rows of the table the report reads
    (`window`: table, data, since, until, tz), an error naming what the dataset covers (a
    wrong window, exit 1); else the report's own `empty` text (a quiet window, exit 0)."""
    from ..render.output import render

    if frame.empty:
        if window is not None:
            name, data, since, until, tz = window
            if api.table(name, data=data, since=since, until=until, tz=tz, columns=["host"]).empty:
                raise NoData(api.empty_window(name.replace("_", " "), data, since, until, tz))
        note(empty)
        if fmt == "table":
            return
    render(
        frame,
        fmt,
        console=console,
        title=title,
        columns=columns,
        caption="times in UTC" if fmt == "table" else None,
    )


def _chart(fig, path: str) -> None:
    from ..render.charts import write_chart

    write_chart(fig, path)
    note(f"chart written to {path}")


def _window_text(since, until, tz) -> str:
    """The window as the title shows it (UTC)."""
    from ..clock import parse_zone
    from ..dataset.timewindow import window

    lo, hi = window(since, until, parse_zone(tz))
    start = lo.strftime("%Y-%m-%d %H:%M") if lo else "the beginning"
    end = hi.strftime("%Y-%m-%d %H:%M") if hi else "now"
    return f"{start} to {end} UTC"
