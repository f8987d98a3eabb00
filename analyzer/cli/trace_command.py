"""`trace`: every row about one message, envelope sender, identity or client IP, in time
order; the last 7 days first, the whole dataset when nothing is found there. Computed in
Arrow without pandas (`reports.arrow.trace`) unless `--engine dask` is asked for."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from .. import api
from ..errors import NoData
from .options import (
    DATA,
    ENGINE,
    FORMAT,
    HOSTS,
    LIMIT,
    REDACT,
    SCHEDULER,
    UNTIL,
    WINDOW_TZ,
    note,
)
from .report_output import host_note, redactor_for, report_call, show, window_text


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
    host: HOSTS = None,
    engine: ENGINE = "local",
    scheduler: SCHEDULER = None,
    redact: REDACT = False,
) -> None:
    """Follow one message (QUEUE_ID), envelope sender, identity or client IP: every row
    of messages, deliveries, rejects (and AUTH failures) in time order, with the table
    each row came from. JSON and CSV carry every column."""
    args: dict[str, Any] = dict(sender=sender, identity=identity, client_ip=client_ip, data=data)
    args.update(tz=tz, hosts=host)
    # the Arrow twin on the local engine (no pandas: `report_call`), else pandas on `engine`
    report = report_call(api.trace_arrow, api.trace, engine, scheduler, chart=None)
    frame = report(queue_id, since=since or "7d", until=until, **args)
    what = queue_id or sender or identity or client_ip
    if host_note(data, host) and len(frame) == 0:
        return  # a host the dataset does not have: nothing to find, and no error
    if len(frame) == 0 and since is None:  # an old message: look through everything
        since = "all"
        frame = report(queue_id, since=None, until=until, **args)
        if len(frame):
            note(f"{what}: nothing in the last 7 days; shown from the whole dataset")
    if len(frame) == 0:
        raise NoData(api.empty_window(f"rows about {what}", data, since or "7d", until, tz))
    if limit:
        frame = frame[:limit]  # the first rows, of a DataFrame as of a pyarrow Table
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
    redactor = redactor_for(
        redact, data, since or "7d", until, tz, host, engine=engine, scheduler=scheduler
    )
    title = f"Trace of {what}, {window_text(since or '7d', until, tz)}"
    show(frame, fmt, title, columns=columns, redactor=redactor)
