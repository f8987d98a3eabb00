"""The reports on SMTP abuse: `relay-spikes` (relay-denied rejects, a web app sending
without AUTH or a scan from outside) and `auth-failures` (AUTH brute force). As the
sender reports: one `api` call, the DataFrame rendered, the chart with `--chart`.
Both compute in Arrow, without pandas, unless a chart or the Dask engine is asked for
(`relay-spikes` also takes the pandas path for a calendar bucket such as `W` or `MS`)."""

from __future__ import annotations

import functools
from typing import Annotated, Literal

import typer

from .. import api
from .options import (
    CHART,
    DATA,
    ENGINE,
    FORMAT,
    HOSTED_DOMAIN,
    HOSTS,
    LIMIT,
    LOCAL_IP,
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

BY_AUTH = Literal["client-ip", "username"]


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
    host: HOSTS = None,
    engine: ENGINE = "local",
    scheduler: SCHEDULER = None,
    redact: REDACT = False,
) -> None:
    """Relay-denied spikes: buckets with far more "Relay access denied" (and Sendmail /
    Exim equivalents) than the trailing baseline, each explained: local app or internet,
    top clients, senders, sender domains and HELO names, and for a local spike the
    likely responsible sender, hosted domain and accounts. Chart: the series with the
    baseline band and the spikes marked."""
    from ..reports.spikes_spec import fixed_step

    redactor = redactor_for(
        redact,
        data,
        since,
        until,
        tz,
        host,
        local_ip or (),
        hosted_domain or (),
        engine=engine,
        scheduler=scheduler,
    )
    # Arrow takes buckets of fixed size; a calendar one (W, MS) the pandas path
    fixed = fixed_step(bucket) is not None
    spikes = functools.partial(
        report_call(api.relay_spikes_arrow, api.relay_spikes, engine, scheduler, chart, fixed),
        data,
        since,
        until,
        tz,
        bucket=bucket,
        local_ips=local_ip or (),
        hosted_domains=hosted_domain or (),
        window=window,
        z=z,
        min_count=min_count,
        hosts=host,
    )
    frame = spikes(all_buckets=all_buckets, limit=limit)
    host_note(data, host)
    title = f"Relay-denied spikes per {bucket}, {window_text(since, until, tz)}"
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
    else:
        columns = [
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
    show(
        frame,
        fmt,
        title,
        columns=columns,
        empty="no relay-denied spikes in the window",
        window=("rejects", data, since, until, tz),
        redactor=redactor,
    )
    if chart:
        from ..render import charts

        series = frame if all_buckets else spikes(all_buckets=True)
        save_chart(charts.relay_spikes(masked(redactor, series), title), chart)


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
    host: HOSTS = None,
    engine: ENGINE = "local",
    scheduler: SCHEDULER = None,
    redact: REDACT = False,
) -> None:
    """SMTP AUTH failures by client IP (or username): failures, distinct usernames,
    first and last, and whether the IP later logged in successfully — as which account
    (a brute force that worked). Chart: failures over time of the top IPs."""
    report = report_call(api.auth_failures_arrow, api.auth_failures, engine, scheduler, chart)
    frame = report(data, since, until, tz, by=by, limit=limit, hosts=host)
    host_note(data, host)
    title = f"SMTP AUTH failures by {by}, {window_text(since, until, tz)}"
    redactor = redactor_for(
        redact, data, since, until, tz, host, engine=engine, scheduler=scheduler
    )
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
    show(
        frame,
        fmt,
        title,
        columns=columns,
        empty="no AUTH failures in the window",
        window=("auth_failures", data, since, until, tz),
        redactor=redactor,
    )
    if chart:
        from ..render import charts

        key = "client_ip" if by == "client-ip" else "sasl_username"
        timeline = api.auth_failure_timeline(
            data,
            since,
            until,
            tz,
            by=by,
            keys=list(frame[key].head(10)),
            hosts=host,
            engine=engine,
            scheduler=scheduler,
        )
        save_chart(charts.auth_failures(masked(redactor, timeline), title), chart)
