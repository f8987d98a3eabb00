"""What notebooks and the CLI call. Every function returns plain data or a pandas
DataFrame (the `*_arrow` functions, the CLI's fast paths: a pyarrow Table); nothing here
prints or knows about the command line.

    >>> from analyzer import api
    >>> api.ingest(["/var/log/maillog"], data="/var/lib/analyzer")
    >>> api.table("messages", since="1d")
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from .dataset.reading import DEFAULT_DATA, Window, data_dir, snapshot, to_pandas, zone  # noqa: F401
from .dataset.reading import table as _table
from .dataset.status import coverage  # noqa: F401
from .dataset.status import status as _dataset_status


def status(data: str | os.PathLike | None = None) -> dict:
    """The dataset's status (`dataset.status.status`: tables, sources, open state, missing
    parts, the PHP join) and `core`, the parse core this installation runs (`rust` or
    `python`), `engine`, the correlator of Postfix syslog runs (`compiled` or `python`). Of a fleet's directory: `fleet` True and `hosts`, host -> {messages,
    sources, last_line, commit} (`docs/scale.md`)."""
    from .fleet.hosts import fleet_status
    from .fleet.layout import is_fleet
    from .parse.core import core_in_use, engine_in_use

    info = fleet_status(data_dir(data)) if is_fleet(data_dir(data)) else _dataset_status(data)
    info["core"] = core_in_use()
    info["engine"] = engine_in_use()
    return info


def compact(data: str | os.PathLike | None = None, older_than=None, wait: float = 0.0, step=None):
    """Merge the dataset's small parts, one per table and day (`dataset.compact.compact`:
    `older_than`, `step`); returns what it did (`Compacted`, `.line()` its summary)."""
    from .dataset.compact import compact as _compact
    from .errors import AnalyzerError
    from .fleet.layout import is_fleet

    if is_fleet(data_dir(data)):
        raise AnalyzerError(
            f"{data_dir(data)} is a fleet's directory: compact each host's dataset "
            "(--data DIR/hosts/HOST)"
        )
    return _compact(data_dir(data), older_than, wait, step=step)


def ingest(
    paths: Iterable[str],
    data: str | os.PathLike | None = None,
    tz: str | None = None,
    year: int | None = None,
    local_ips: Iterable[str] = (),
    wait: float = 0.0,
    progress=None,
    format: str | None = None,
    host: str | None = None,
    passwd: str | os.PathLike | None = None,
    cursor_file: str | os.PathLike | None = None,
    engine: str = "local",
    scheduler: str | None = None,
):
    """Read log files (or `-` for stdin) into the dataset; returns an `IngestSummary`.
    `format`, `host`, `passwd`: see `docs/formats.md` (format found per file when not
    given; host of lines that name none; a passwd file to merge logins and uids).
    `cursor_file`: `journalctl -o json` on stdin is read from after the last committed
    entry's `__CURSOR` (see `docs/sources.md`). `engine="dask"`: a fleet, one host per
    directory, each into `data`/hosts/<host>/ by a task on the Dask cluster at
    `scheduler` (default: a local one); see `docs/scale.md`."""
    if engine == "dask":
        from .fleet.dask_ingest import ingest_fleet

        return ingest_fleet(
            paths,
            data_dir(data),
            scheduler,
            tz=tz,
            year=year,
            local_ips=local_ips,
            wait=wait,
            format=format,
            host=host,
            passwd=str(passwd) if passwd is not None else None,
            cursor_file=cursor_file,
        )
    from .fleet.cluster import check_engine
    from .ingest.run import ingest as run

    check_engine(engine, scheduler)

    return run(
        paths,
        str(data_dir(data)),
        tz=tz,
        year=year,
        local_ips=local_ips,
        wait=wait,
        progress=progress,
        format=format,
        host=host,
        passwd=str(passwd) if passwd is not None else None,
        cursor_file=str(cursor_file) if cursor_file is not None else None,
    )


def parse_lines(
    lines: Iterable[str],
    tz: str | None = None,
    year: int | None = None,
    reference=None,
    format: str | None = None,
    host: str | None = None,
) -> Iterator[dict]:
    """One event dict per line, as `analyzer parse` prints it: header, `event`, the
    canonical fields the line carries (None-valued fields left out), raw text when
    unparsed. `ts` is an ISO 8601 UTC string. `format` (see `docs/formats.md`) is found
    from the first lines when not given; every line says which pattern table read it
    (`format`) and how its header was read (`envelope`). `host`: for lines without one
    (Exim's own log, PHP's mail.log file form); default: this machine's short name."""
    from .ingest.plan import check_year
    from .parse.lines import parse_lines as parse

    check_year(year)
    return parse(lines, tz, year, reference, format, host)


def empty_window(
    what: str, data: str | os.PathLike | None = None, since=None, until=None, tz: str | None = None
) -> str:
    """What to say when a window holds no `what` (e.g. "messages"): the window and what
    the dataset covers, e.g. `no messages since 2030-01-01 00:00:00 UTC; the dataset
    covers 2026-11-26 to 2026-11-27`."""
    from .fleet.hosts import empty_window_note

    return empty_window_note(what, data, since, until, tz)


def table(
    name: str,
    data=None,
    since=None,
    until=None,
    tz: str | None = None,
    columns: list[str] | None = None,
    include_open: bool = True,
    hosts: str | Iterable[str] | None = None,
):
    """`dataset.reading.table` (one table as a DataFrame, rows in [since, until)) of a
    dataset or a fleet's directory; `hosts` (`mx1,mx2` or a list): only their rows."""
    return _table(name, _open(data, hosts), since, until, tz, columns, include_open)


def unknown_hosts(data=None, hosts: str | Iterable[str] | None = None) -> str | None:
    """A one-line note when some of `hosts` are not in the dataset (its results for them
    are empty): which, and the hosts it has; None when every one is known."""
    from .fleet.hosts import unknown_hosts as note

    return note(data, hosts)


def _open(data, hosts):
    from .fleet.hosts import opened

    return opened(data, hosts)


def _engine(engine: str, scheduler: str | None):
    from .fleet.dask_reports import engine_of

    return engine_of(engine, scheduler)


def _window(data, since, until, tz, hosts, engine="local", scheduler=None):
    """A context: the report's window, read through `engine` (`fleet.dask_reports`)."""
    from .fleet.dask_reports import window_on

    return window_on(data, since, until, tz, hosts, engine, scheduler)


# --- reports ------------------------------------------------------------------------------
# Each report checks its arguments, opens its window (one snapshot, [since, until)) and
# hands it to its module of `analyzer.reports`, whose `*_in(win)` reads the tables it needs
# (only the partitions the window touches, only the columns it uses) for a pure function.
# Without `since`/`until` a report covers the whole dataset; the CLI defaults to `--since 1d`.
# `data` may be a fleet's directory (DATA/hosts/<host>/: read as one, `docs/scale.md`);
# `hosts` ("mx1,mx2" or a list): only those hosts' rows (`api.unknown_hosts` says which
# hosts the dataset lacks). `engine="dask"`: every read runs on the Dask cluster at
# `scheduler` (default: a LocalCluster here), with the same result (`docs/scale.md`).
# All of this holds for `report` too.


def top_senders(
    data: str | os.PathLike | None = None,
    since=None,
    until=None,
    tz: str | None = None,
    by: str = "identity",
    scope: str = "outgoing",
    hosted_domains: Iterable[str] = (),
    limit: int | None = None,
    hosts: str | Iterable[str] | None = None,
    engine: str = "local",
    scheduler: str | None = None,
):
    """Who sent the most messages in [since, until): one row per sender, most first.

    `by`: identity | sasl | uid | script | sender | sender-domain | client-ip.
    `scope`: outgoing (sasl + local submissions + SMTP relayed outside the hosted domains),
    inbound, or all. `hosted_domains` adds to the hosted domains inferred from the data.
    Columns: the key column(s), messages, share, recipients, recipient_domains, sent,
    deferred, bounced, bounce_rate, expired, client_ips, first_seen, last_seen,
    peak_hour_messages.
    """
    from .reports import common, senders

    common.check_choice("by", by, senders.BY)
    common.check_choice("scope", scope, senders.SCOPES)
    with _window(data, since, until, tz, hosts, engine, scheduler) as win:
        return common.head(senders.top_senders_in(win, by, scope, hosted_domains), limit)


def top_senders_arrow(
    data: str | os.PathLike | None = None,
    since=None,
    until=None,
    tz: str | None = None,
    by: str = "identity",
    scope: str = "outgoing",
    hosted_domains: Iterable[str] = (),
    limit: int | None = None,
    hosts: str | Iterable[str] | None = None,
):
    """`top_senders` as a pyarrow Table, computed without pandas (`reports.arrow`): the
    same rows and columns, for callers that start fast (the CLI). Local engine only."""
    from .fleet.hosts import window_of
    from .reports.arrow import senders
    from .reports.spec import BY, SCOPES, check_choice

    check_choice("by", by, BY)
    check_choice("scope", scope, SCOPES)
    out = senders.top_senders_in(
        window_of(data, since, until, tz, hosts), by, scope, hosted_domains
    )
    return _first_rows(out, limit)


def has_rows(
    name: str, data=None, since=None, until=None, tz: str | None = None, hosts=None
) -> bool:
    """Whether table `name` has rows in [since, until) (of `hosts`), read without pandas."""
    from .dataset.reading import arrow_table

    return arrow_table(name, _open(data, hosts), since, until, tz, ["host"]).num_rows > 0


def sender_timeline(
    data: str | os.PathLike | None = None,
    since=None,
    until=None,
    tz: str | None = None,
    by: str = "identity",
    scope: str = "outgoing",
    keys: list | None = None,
    bucket: str | None = None,
    hosted_domains: Iterable[str] = (),
    hosts: str | Iterable[str] | None = None,
    engine: str = "local",
    scheduler: str | None = None,
):
    """Messages per time bucket for each sender (columns `bucket`, `key`, `messages`):
    the volume-over-time view of `top_senders`. `keys`: the senders to keep (e.g. the
    first rows of `top_senders`; `(uid, script)` pairs for `by="script"`), None = all.
    `bucket`: a pandas offset (`10min`, `1h`, `1D`); default: chosen from the window."""
    from .reports import common, senders

    common.check_choice("by", by, senders.BY)
    common.check_choice("scope", scope, senders.SCOPES)
    with _window(data, since, until, tz, hosts, engine, scheduler) as win:
        return senders.timeline_in(win, by, scope, keys, bucket, hosted_domains)


def relay_spikes(
    data: str | os.PathLike | None = None,
    since=None,
    until=None,
    tz: str | None = None,
    bucket: str = "1h",
    local_ips: Iterable[str] = (),
    hosted_domains: Iterable[str] = (),
    all_buckets: bool = False,
    window: int | None = None,
    min_history: int | None = None,
    z: float | None = None,
    min_count: int | None = None,
    limit: int | None = None,
    hosts: str | Iterable[str] | None = None,
    engine: str = "local",
    scheduler: str | None = None,
):
    """Relay-denied spikes in [since, until), in time order: buckets (`bucket`, any pandas
    offset) with far more relay-denied rejects than the `window` buckets before them
    (median + z x robust spread; see `docs/reports.md`), each explained: local vs internet
    clients, top clients / senders / sender domains / HELO names as [{value, count}], and
    for local spikes the likely responsible sender, hosted domain and accounts.
    `all_buckets`: every bucket, spike or not (the `spike` column tells). `limit`: keep the
    N largest spikes (still in time order).
    """
    from .reports import common, spikes

    bucket = common.check_bucket(bucket)
    params = spikes.checked_params(window, min_history, z, min_count)
    with _window(data, since, until, tz, hosts, engine, scheduler) as win:
        out = spikes.relay_spikes_in(win, bucket, params, local_ips, hosted_domains, all_buckets)
    return spikes.largest(out, limit)


def relay_spikes_arrow(
    data: str | os.PathLike | None = None,
    since=None,
    until=None,
    tz: str | None = None,
    bucket: str = "1h",
    local_ips: Iterable[str] = (),
    hosted_domains: Iterable[str] = (),
    all_buckets: bool = False,
    window: int | None = None,
    min_history: int | None = None,
    z: float | None = None,
    min_count: int | None = None,
    limit: int | None = None,
    hosts: str | Iterable[str] | None = None,
):
    """`relay_spikes` as a pyarrow Table, computed without pandas (`reports.arrow`): the
    same rows and columns, for callers that start fast (the CLI). Local engine only, and
    a `bucket` of fixed size only (`90s`, `15min`, `1h`, `2D`: `spikes_spec.fixed_step`)."""
    from .errors import AnalyzerError
    from .fleet.hosts import window_of
    from .reports.arrow import spikes
    from .reports.spikes_spec import checked_params, fixed_step

    if fixed_step(bucket) is None:
        raise AnalyzerError(f"bucket {bucket!r}: the Arrow path takes s, min, h or D (15min, 1h)")
    params = checked_params(window, min_history, z, min_count)
    win = window_of(data, since, until, tz, hosts)
    out = spikes.relay_spikes_in(win, bucket, params, local_ips, hosted_domains, all_buckets)
    return spikes.largest(out, limit)


def suspicious_scripts(
    data: str | os.PathLike | None = None,
    since=None,
    until=None,
    tz: str | None = None,
    history: str | None = "30d",
    limit: int | None = None,
    hosts: str | Iterable[str] | None = None,
    engine: str = "local",
    scheduler: str | None = None,
):
    """Local submissions in [since, until) grouped by (identity, script) — uid and script,
    or uid alone when no script is known — scored by the signs of a spam script: volume
    against its own `history` before the window (a duration such as `30d`; None or `0`:
    no history), a burst in one hour, a new script, the bounce rate, recipient fan-out
    and what its path gives away. Highest score first; `reasons` lists the signs.
    """
    from .reports import common, scripts

    with _window(data, since, until, tz, hosts, engine, scheduler) as win:
        return common.head(scripts.suspicious_scripts_in(win, history), limit)


def suspicious_scripts_arrow(
    data: str | os.PathLike | None = None,
    since=None,
    until=None,
    tz: str | None = None,
    history: str | None = "30d",
    limit: int | None = None,
    hosts: str | Iterable[str] | None = None,
):
    """`suspicious_scripts` as a pyarrow Table, computed without pandas (`reports.arrow`):
    the same rows and columns, for callers that start fast (the CLI). Local engine only."""
    from .fleet.hosts import window_of
    from .reports.arrow import scripts

    out = scripts.suspicious_scripts_in(window_of(data, since, until, tz, hosts), history)
    return _first_rows(out, limit)


def auth_failures(
    data: str | os.PathLike | None = None,
    since=None,
    until=None,
    tz: str | None = None,
    by: str = "client-ip",
    limit: int | None = None,
    hosts: str | Iterable[str] | None = None,
    engine: str = "local",
    scheduler: str | None = None,
):
    """SMTP AUTH failures in [since, until) by client IP (`by="username"`: by the username
    tried), most failures first, with `succeeded_later`: that IP (username) logged in
    successfully after its first failure (SASL messages and sessions in the window), as
    which accounts (from which IPs), and how many messages those logins sent."""
    from .reports import auth, common

    common.check_choice("by", by, auth.BY)
    with _window(data, since, until, tz, hosts, engine, scheduler) as win:
        return common.head(auth.auth_failures_in(win, by), limit)


def auth_failures_arrow(
    data: str | os.PathLike | None = None,
    since=None,
    until=None,
    tz: str | None = None,
    by: str = "client-ip",
    limit: int | None = None,
    hosts: str | Iterable[str] | None = None,
):
    """`auth_failures` as a pyarrow Table, computed without pandas (`reports.arrow`): the
    same rows and columns, for callers that start fast (the CLI). Local engine only."""
    from .fleet.hosts import window_of
    from .reports.arrow import auth
    from .reports.spec import check_choice

    check_choice("by", by, auth.BY)
    return _first_rows(auth.auth_failures_in(window_of(data, since, until, tz, hosts), by), limit)


def _first_rows(table, limit: int | None):
    """The first `limit` rows of a pyarrow Table (all when None or 0): `common.head`."""
    return table.slice(0, limit) if limit is not None and limit > 0 else table


def auth_failure_timeline(
    data: str | os.PathLike | None = None,
    since=None,
    until=None,
    tz: str | None = None,
    by: str = "client-ip",
    keys: list | None = None,
    bucket: str | None = None,
    hosts: str | Iterable[str] | None = None,
    engine: str = "local",
    scheduler: str | None = None,
):
    """AUTH failures per time bucket for each client IP (username): columns `bucket`,
    `key`, `failures`. `keys`: the IPs (usernames) to keep, None = all."""
    from .reports import auth, common

    common.check_choice("by", by, auth.BY)
    with _window(data, since, until, tz, hosts, engine, scheduler) as win:
        return auth.timeline_in(win, by, keys, bucket)


def trace(
    queue_id: str | None = None,
    sender: str | None = None,
    identity: str | None = None,
    data: str | os.PathLike | None = None,
    since=None,
    until=None,
    tz: str | None = None,
    client_ip: str | None = None,
    hosts: str | Iterable[str] | None = None,
    engine: str = "local",
    scheduler: str | None = None,
):
    """Every row of one message (`queue_id`), envelope `sender`, `identity` or `client_ip`
    across messages, deliveries, rejects, notices (and auth_failures for an IP or a `sasl:`
    identity) in [since, until), in time order, with a `table` column naming the source."""
    from .reports import trace as report

    report.check_target(queue_id, sender, identity, client_ip)
    with _window(data, since, until, tz, hosts, engine, scheduler) as win:
        return report.trace_in(
            win, queue_id=queue_id, sender=sender, identity=identity, client_ip=client_ip
        )


def trace_arrow(
    queue_id: str | None = None,
    sender: str | None = None,
    identity: str | None = None,
    data: str | os.PathLike | None = None,
    since=None,
    until=None,
    tz: str | None = None,
    client_ip: str | None = None,
    hosts: str | Iterable[str] | None = None,
):
    """`trace` as a pyarrow Table, computed without pandas (`reports.arrow`): the same
    rows and columns, for callers that start fast (the CLI). Local engine only."""
    from .fleet.hosts import window_of
    from .reports.arrow import trace as report
    from .reports.trace_spec import check_target

    check_target(queue_id, sender, identity, client_ip)
    win = window_of(data, since, until, tz, hosts)
    return report.trace_in(
        win, queue_id=queue_id, sender=sender, identity=identity, client_ip=client_ip
    )


# --- the nightly report -------------------------------------------------------------------


def report(
    data: str | os.PathLike | None = None,
    since="1d",
    until=None,
    tz: str | None = None,
    thresholds=None,
    local_ips: Iterable[str] = (),
    hosted_domains: Iterable[str] = (),
    users: dict[int, str] | None = None,
    hosts: str | Iterable[str] | None = None,
    engine: str = "local",
    scheduler: str | None = None,
):
    """Every report for [since, until) in one `nightly.Report`: top senders (with each
    identity's trailing-week usual volume), relay-denied buckets and spikes, suspicious
    scripts, AUTH failures, the window's totals against the trailing week, and the
    incidents found by `thresholds` (`config.Thresholds`; see docs/report.md).
    `users`: uid -> user name (`config.read_passwd`). Sections with no rows in the window
    are empty DataFrames."""
    from .nightly.model import build

    opened = _open(data, hosts)
    with _engine(engine, scheduler) as on:
        return build(
            on(opened),
            since,
            until,
            tz,
            thresholds=thresholds,
            local_ips=local_ips,
            hosted_domains=hosted_domains,
            users=users,
        )


def chart(report: str, result, title: str | None = None):
    """The plotly figure of a report result (imports plotly):

    - `top-senders`: a `sender_timeline` (stacked volume over time);
    - `relay-spikes`: `relay_spikes(..., all_buckets=True)` (series, baseline band, spikes);
    - `suspicious-scripts`: a `suspicious_scripts` result (score vs volume);
    - `auth-failures`: an `auth_failure_timeline` (failures over time);
    - `counts`: a [{value, count}] list or a value -> count Series (horizontal bars).

    Every log-derived label is HTML-escaped. Save with `write_chart(fig, "file.html")`.
    """
    from .render.charts import chart as make

    return make(report, result, title)


def write_chart(fig, path: str | os.PathLike) -> None:
    """Write a figure as one self-contained HTML file (plotly.js embedded, works offline)."""
    from .render.charts import write_chart as write

    write(fig, path)
