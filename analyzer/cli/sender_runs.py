"""What `analyzer top-senders` does once its options are read, without typer: the typer
command (`sender_commands.top_senders`) and the start without typer (`quick`) both end
here."""

from __future__ import annotations

from .. import api
from .report_output import (
    host_note,
    masked,
    redactor_for,
    report_call,
    save_chart,
    show,
    window_text,
)


def top_senders(
    by: str = "identity",
    scope: str = "outgoing",
    hosted_domain: list[str] | None = None,
    since: str = "1d",
    until: str | None = None,
    tz: str | None = None,
    limit: int = 20,
    fmt: str = "table",
    chart: str | None = None,
    data: str | None = None,
    host: str | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    redact: bool = False,
) -> None:
    """`analyzer top-senders` with these option values."""
    title = f"Top senders by {by} ({scope}), {window_text(since, until, tz)}"
    redactor = redactor_for(
        redact,
        data,
        since,
        until,
        tz,
        host,
        (),
        hosted_domain or (),
        engine=engine,
        scheduler=scheduler,
    )
    report = report_call(api.top_senders_arrow, api.top_senders, engine, scheduler, chart)
    frame = report(
        data,
        since,
        until,
        tz,
        by=by,
        scope=scope,
        hosted_domains=hosted_domain or (),
        limit=limit,
        hosts=host,
    )
    host_note(data, host)
    show(
        frame,
        fmt,
        title,
        empty=f"no {scope} messages with a {by} key in the window",
        window=("messages", data, since, until, tz),
        redactor=redactor,
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
            hosts=host,
            engine=engine,
            scheduler=scheduler,
        )
        save_chart(charts.top_senders(masked(redactor, timeline), masked(redactor, title)), chart)
