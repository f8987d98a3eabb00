"""What notebooks and the CLI call. Every function returns plain data or a pandas
DataFrame; nothing here prints or knows about the command line.

    >>> from analyzer import api
    >>> api.ingest(["/var/log/maillog"], data="/var/lib/analyzer")
    >>> api.table("messages", since="1d")
"""

from __future__ import annotations

import os
from typing import Iterable, Iterator

from .errors import AnalyzerError
from .reading import DEFAULT_DATA, Window, data_dir, snapshot, table, to_pandas, zone  # noqa: F401
from .status import coverage, status  # noqa: F401
from .status import iso as _iso


def ingest(paths: Iterable[str], data: str | os.PathLike | None = None, tz: str | None = None,
           year: int | None = None, local_ips: Iterable[str] = (), wait: float = 0.0,
           progress=None, format: str | None = None, host: str | None = None,
           passwd: str | os.PathLike | None = None, cursor_file: str | os.PathLike | None = None):
    """Read log files (or `-` for stdin) into the dataset; returns an `IngestSummary`.
    `format`, `host`, `passwd`: see `docs/formats.md` (format found per file when not
    given; host of lines that name none; a passwd file to merge logins and uids).
    `cursor_file`: `journalctl -o json` on stdin is read from after the last committed
    entry's `__CURSOR` (see `docs/sources.md`)."""
    from .ingest import ingest as run

    return run(paths, str(data_dir(data)), tz=tz, year=year, local_ips=local_ips, wait=wait,
               progress=progress, format=format, host=host,
               passwd=str(passwd) if passwd is not None else None,
               cursor_file=str(cursor_file) if cursor_file is not None else None)


def parse_lines(lines: Iterable[str], tz: str | None = None, year: int | None = None,
                reference=None, format: str | None = None, host: str | None = None) -> Iterator[dict]:
    """One event dict per line, as `analyzer parse` prints it: header, `event`, the
    canonical fields the line carries (None-valued fields left out), raw text when
    unparsed. `ts` is an ISO 8601 UTC string. `format` (see `docs/formats.md`) is found
    from the first lines when not given; every line says which pattern table read it
    (`format`) and how its header was read (`envelope`). `host`: for lines without one
    (Exim's own log, PHP's mail.log file form); default: this machine's short name."""
    from itertools import chain, islice

    from .envelope import Clock, parse_zone, sniff_format
    from .events import LineParser
    from .ingest import check_year

    check_year(year)

    lines = iter(lines)
    first = list(islice(lines, 20))
    native = False
    if format is None:
        format, native = sniff_format(first)
    else:
        native = format in ("exim", "phpmail")
    parser = LineParser(Clock(parse_zone(tz), reference=reference, year=year), format=format,
                        host=host, native=native)
    for line in chain(first, lines):
        line = line.rstrip("\r\n").replace("\x00", "")
        if not line:
            continue
        event = parser.parse(line)
        head = {"ts": _iso(event["ts"]) if event["ts"] is not None else None,
                "host": event["host"], "program": event["program"], "pid": event["pid"],
                "format": event["family"], "event": event["event"], "pattern": event["pattern"]}
        out = {k: v for k, v in head.items() if v is not None or k == "format"}
        if event["event"] != "unparsed":
            out["envelope"] = event.get("envelope") or "syslog"
        out.update((k, v) for k, v in event.items() if v is not None and k not in _HEAD)
        if event["event"] == "unparsed":
            out["line"] = line
        yield out


_HEAD = frozenset({"ts", "host", "program", "pid", "family", "event", "pattern", "envelope"})


def empty_window(what: str, data: str | os.PathLike | None = None, since=None, until=None,
                 tz: str | None = None) -> str:
    """What to say when a window holds no `what` (e.g. "messages"): the window and what
    the dataset covers, e.g. `no messages since 2030-01-01 00:00:00 UTC; the dataset
    covers 2026-11-26 to 2026-11-27`."""
    from .timewindow import window

    lo, hi = window(since, until, zone(tz))
    first, last = coverage(data)
    if last is None:
        return f"no {what}: the dataset is empty"
    held = f"covers {first:%Y-%m-%d} to {last:%Y-%m-%d}"
    if lo is None and hi is None:
        return f"no {what} in the dataset; it {held}"
    return f"no {what} {Window.describe(lo, hi)}; the dataset {held}"


# --- reports ------------------------------------------------------------------------------
# Each report loads the tables its window needs (only the partitions the window touches,
# only the columns it uses) and hands them to a pure function of `analyzer.reports`.
# Without `since`/`until` a report covers the whole dataset; the CLI defaults to `--since 1d`.

def top_senders(data: str | os.PathLike | None = None, since=None, until=None,
                tz: str | None = None, by: str = "identity", scope: str = "outgoing",
                hosted_domains: Iterable[str] = (), limit: int | None = None):
    """Who sent the most messages in [since, until): one row per sender, most first.

    `by`: identity | sasl | uid | script | sender | sender-domain | client-ip.
    `scope`: outgoing (sasl + local submissions + SMTP relayed outside the hosted domains),
    inbound, or all. `hosted_domains` adds to the hosted domains inferred from the data.
    Columns: the key column(s), messages, share, recipients, recipient_domains, sent,
    deferred, bounced, bounce_rate, expired, client_ips, first_seen, last_seen,
    peak_hour_messages.
    """
    from .reports import common, senders

    _choice("by", by, senders.BY)
    _choice("scope", scope, senders.SCOPES)
    win = Window(data, since, until, tz)
    msgs = win.read("messages", senders.message_columns(by))
    dels = win.deliveries_of(msgs, senders.delivery_columns(msgs))
    hosted = common.hosted_domains(dels, msgs["sasl_username"], hosted_domains)
    return _head(senders.top_senders(msgs, dels, by, scope, hosted), limit)


def sender_timeline(data: str | os.PathLike | None = None, since=None, until=None,
                    tz: str | None = None, by: str = "identity", scope: str = "outgoing",
                    keys: list | None = None, bucket: str | None = None,
                    hosted_domains: Iterable[str] = ()):
    """Messages per time bucket for each sender (columns `bucket`, `key`, `messages`):
    the volume-over-time view of `top_senders`. `keys`: the senders to keep (e.g. the
    first rows of `top_senders`; `(uid, script)` pairs for `by="script"`), None = all.
    `bucket`: a pandas offset (`10min`, `1h`, `1D`); default: chosen from the window."""
    from .reports import common, senders

    _choice("by", by, senders.BY)
    _choice("scope", scope, senders.SCOPES)
    win = Window(data, since, until, tz)
    msgs = win.read("messages", senders.message_columns(by))
    dels = win.deliveries_of(msgs, senders.delivery_columns(msgs))
    hosted = common.hosted_domains(dels, msgs["sasl_username"], hosted_domains)
    bucket = _bucket(bucket or common.auto_bucket(msgs["first_seen"].min(),
                                                  msgs["first_seen"].max()))
    return senders.timeline(msgs, dels, by, scope, hosted, keys, bucket)



def _choice(name: str, value, allowed) -> None:
    if value not in allowed:
        raise AnalyzerError(f"{name} must be one of {', '.join(map(str, allowed))}, not {value!r}")


def _bucket(bucket: str) -> str:
    """Check a pandas offset alias (`1h`, `15min`, `1D`, `W`)."""
    import pandas as pd

    try:
        offset = pd.tseries.frequencies.to_offset(bucket)
    except (ValueError, TypeError):
        raise AnalyzerError(f"cannot read bucket {bucket!r}: use a pandas offset such as "
                            "15min, 1h, 6h, 1D") from None
    if getattr(offset, "n", 1) <= 0:
        raise AnalyzerError(f"bucket {bucket!r} must be positive")
    return bucket


def _head(frame, limit: int | None):
    if limit is not None and limit > 0:
        frame = frame.head(limit)
    return frame.reset_index(drop=True)


def relay_spikes(data: str | os.PathLike | None = None, since=None, until=None,
                 tz: str | None = None, bucket: str = "1h", local_ips: Iterable[str] = (),
                 hosted_domains: Iterable[str] = (), all_buckets: bool = False,
                 window: int | None = None, min_history: int | None = None,
                 z: float | None = None, min_count: int | None = None,
                 limit: int | None = None):
    """Relay-denied spikes in [since, until), in time order: buckets (`bucket`, any pandas
    offset) with far more relay-denied rejects than the `window` buckets before them
    (median + z x robust spread; see `docs/reports.md`), each explained: local vs internet
    clients, top clients / senders / sender domains / HELO names as [{value, count}], and
    for local spikes the likely responsible sender, hosted domain and accounts.
    `all_buckets`: every bucket, spike or not (the `spike` column tells). `limit`: keep the
    N largest spikes (still in time order).
    """
    import pandas as pd

    from .reports import common, spikes

    bucket = _bucket(bucket)
    params = {"window": spikes.WINDOW if window is None else int(window),
              "min_history": spikes.MIN_HISTORY if min_history is None else int(min_history),
              "z": spikes.Z if z is None else float(z),
              "min_count": spikes.MIN_COUNT if min_count is None else int(min_count)}
    if params["window"] < 1 or params["min_history"] < 1:
        raise AnalyzerError("the baseline window and min_history must be at least 1 bucket")
    win = Window(data, since, until, tz)
    offset = pd.tseries.frequencies.to_offset(bucket)
    history_lo = (pd.Timestamp(win.lo) - offset * params["window"]).to_pydatetime() \
        if win.lo else None
    rejects = win.read("rejects", spikes.REJECT_COLUMNS, since=history_lo)
    in_window = rejects if win.lo is None else rejects[rejects["ts"] >= pd.Timestamp(win.lo)]
    own = frozenset(local_ips)
    relay_local = in_window[(in_window["reason_class"] == "relay_denied").fillna(False)
                            & (in_window["local_client"].fillna(False).astype(bool)
                               | in_window["client_ip"].isin(own))]
    if not all_buckets and len(relay_local):  # only local rejects inside spikes matter
        stats = spikes.robust_baseline(spikes.bucket_counts(rejects, bucket), **params)
        flagged = stats[stats["spike"]]
        inside = pd.Series(False, index=relay_local.index)
        for start in flagged["start"]:
            inside |= (relay_local["ts"] >= start) & (relay_local["ts"] < start + offset)
        relay_local = relay_local[inside]
    hosted, accounts = frozenset(hosted_domains), None
    if not relay_local.empty:
        # naming the responsible account needs who sends from which domain: the messages
        # and deliveries within a day of the local spikes (and inside the window)
        day = pd.Timedelta(days=1)
        lo = relay_local["ts"].min() - day
        hi = relay_local["ts"].max() + day
        lo = max(lo, pd.Timestamp(win.lo)) if win.lo else lo
        hi = min(hi, pd.Timestamp(win.hi)) if win.hi else hi
        around = dict(since=lo.to_pydatetime(), until=hi.to_pydatetime())
        msgs = win.read("messages", ["identity", "sender", "sasl_username", "filter_of"], **around)
        dels = win.read("deliveries", ["program", "status", "recipient_domain"], **around)
        hosted = common.hosted_domains(dels, msgs["sasl_username"], hosted_domains)
        accounts = spikes.sending_accounts(msgs)
    out = spikes.relay_spikes(rejects, bucket, since=win.lo, until=win.hi, local_ips=own,
                              hosted=hosted, accounts=accounts, all_buckets=all_buckets,
                              **params)
    if limit is not None and limit > 0 and len(out) > limit:
        keep = out.sort_values(["count", "start"], ascending=[False, True],
                               kind="stable").index[:limit]
        out = out.loc[sorted(keep)]
    return out.reset_index(drop=True)


def suspicious_scripts(data: str | os.PathLike | None = None, since=None, until=None,
                       tz: str | None = None, history: str | None = "30d",
                       limit: int | None = None):
    """Local submissions in [since, until) grouped by (identity, script) — uid and script,
    or uid alone when no script is known — scored by the signs of a spam script: volume
    against its own `history` before the window (a duration such as `30d`; None or `0`:
    no history), a burst in one hour, a new script, the bounce rate, recipient fan-out
    and what its path gives away. Highest score first; `reasons` lists the signs.
    """
    import pandas as pd

    from .reports import scripts

    win = Window(data, since, until, tz)
    window = win.read("messages", scripts.MESSAGE_COLUMNS)
    window = window[(window["origin"] == "local").fillna(False)]
    if window.empty:
        return scripts.suspicious_scripts(window, window, None)  # no local mail: no rows
    dels = win.deliveries_of(window, scripts.DELIVERY_COLUMNS)
    end = pd.Timestamp(win.hi) if win.hi else window["first_seen"].max()
    start = pd.Timestamp(win.lo) if win.lo else window["first_seen"].min()
    window_days = max((end - start) / pd.Timedelta(days=1), 1 / 24)

    hist, history_days = None, 0.0
    span = _duration(history) if history not in (None, "", "0", 0) else None
    if span is not None and win.lo is not None:
        history_lo = win.lo - span
        import pyarrow.compute as pc

        reach = {}

        def local_only(arrow):
            reach["first"] = pc.min(arrow["first_seen"]).as_py()  # how far the data goes back
            return pc.equal(arrow["origin"], "local")

        hist = win.read("messages", ["first_seen", "identity", "origin", "script", "filter_of"],
                        since=history_lo, until=win.lo, where=local_only)
        if reach.get("first") is not None:
            covered_from = max(pd.Timestamp(history_lo), pd.Timestamp(reach["first"]))
            history_days = (pd.Timestamp(win.lo) - covered_from) / pd.Timedelta(days=1)
    out = scripts.suspicious_scripts(window, dels, hist, window_days, history_days)
    return _head(out, limit)


def _duration(text):
    """`30d`, `12h`, `2w` -> timedelta."""
    from datetime import timedelta

    from .timewindow import _RELATIVE, _UNITS

    if isinstance(text, timedelta):
        return text
    m = _RELATIVE.match(str(text))
    if not m:
        raise AnalyzerError(f"cannot read duration {text!r}: use 12h, 30d, 2w")
    return timedelta(**{_UNITS[m[2].lower()]: float(m[1])})


def auth_failures(data: str | os.PathLike | None = None, since=None, until=None,
                  tz: str | None = None, by: str = "client-ip", limit: int | None = None):
    """SMTP AUTH failures in [since, until) by client IP (`by="username"`: by the username
    tried), most failures first, with `succeeded_later`: that IP (username) logged in
    successfully after its first failure (SASL messages and sessions in the window), as
    which accounts (from which IPs), and how many messages those logins sent."""
    from .reports import auth

    _choice("by", by, auth.BY)
    win = Window(data, since, until, tz)
    fails = win.read("auth_failures", auth.FAILURE_COLUMNS)
    msgs = win.read("messages", ["first_seen", "client_ip", "sasl_username", "filter_of"])
    conns = win.read("connections", ["ts", "client_ip", "sasl_username", "auth_ok", "messages"])
    rates = win.read("client_rates", auth.RATE_COLUMNS) if by == "client-ip" else None
    return _head(auth.auth_failures(fails, auth.successes(msgs, conns), by, rates), limit)


def auth_failure_timeline(data: str | os.PathLike | None = None, since=None, until=None,
                          tz: str | None = None, by: str = "client-ip",
                          keys: list | None = None, bucket: str | None = None):
    """AUTH failures per time bucket for each client IP (username): columns `bucket`,
    `key`, `failures`. `keys`: the IPs (usernames) to keep, None = all."""
    from .reports import auth, common

    _choice("by", by, auth.BY)
    win = Window(data, since, until, tz)
    fails = win.read("auth_failures", auth.FAILURE_COLUMNS)
    bucket = _bucket(bucket or common.auto_bucket(fails["ts"].min(), fails["ts"].max()))
    return auth.timeline(fails, by, keys, bucket)


def trace(queue_id: str | None = None, sender: str | None = None, identity: str | None = None,
          data: str | os.PathLike | None = None, since=None, until=None,
          tz: str | None = None, client_ip: str | None = None):
    """Every row of one message (`queue_id`), envelope `sender`, `identity` or `client_ip`
    across messages, deliveries, rejects, notices (and auth_failures for an IP or a `sasl:`
    identity) in [since, until), in time order, with a `table` column naming the source."""
    from .reports import trace as report

    given = [v for v in (queue_id, sender, identity, client_ip) if v is not None]
    if len(given) != 1:
        raise AnalyzerError("trace needs exactly one of a queue id, --sender, --identity "
                            "or --client-ip")
    if identity is not None and ":" not in identity:
        raise AnalyzerError(f"identity {identity!r} is not kind:value "
                            "(sasl:<user>, uid:<n>, user:<login>, ip:<address>)")
    import pyarrow as pa
    import pyarrow.compute as pc

    win = Window(data, since, until, tz)
    # Cut each table down in Arrow to the rows that can match (a superset of what
    # `reports.trace` selects) before converting to pandas: a week of every column is big.
    kind, _, value = (identity or "").partition(":")

    def equal(column, wanted):
        return lambda t: pc.fill_null(pc.equal(t[column], wanted), False)

    if queue_id is not None:
        chain = _filter_chain(win, queue_id)

        def m_where(t):
            return pc.fill_null(pc.is_in(t["queue_id"], value_set=chain), False)
    elif sender is not None:
        want = "" if sender.strip() in ("", "<>") else sender.strip().strip("<>").lower()

        def m_where(t):
            return pc.fill_null(pc.equal(pc.utf8_lower(t["sender"]), want), False)
    elif identity is not None:
        m_where = equal("identity", identity)
    else:
        m_where = equal("client_ip", client_ip)
    msgs = win.read("messages", None, where=m_where)
    queue_ids = pa.array(sorted(set(msgs["queue_id"].dropna().unique().tolist())
                                | (set(chain.to_pylist()) if queue_id else set())), pa.string())

    def same_queue(t):
        return pc.fill_null(pc.is_in(t["queue_id"], value_set=queue_ids), False)

    def d_where(t):
        keep = same_queue(t)
        return pc.or_(keep, equal("identity", identity)(t)) if identity is not None else keep

    def r_where(t):
        keep = same_queue(t)
        if sender is not None:
            keep = pc.or_(keep, m_where(t))
        if kind == "sasl" or client_ip is not None or kind == "ip":
            ip = client_ip if client_ip is not None else value
            keep = pc.or_(keep, equal("sasl_username" if kind == "sasl" else "client_ip", ip)(t))
        return keep

    rejects = win.read("rejects", None, where=r_where)
    dels_until = win.hi  # a message of the window is delivered until its last line
    if dels_until is not None and len(msgs) and msgs["last_seen"].notna().any():
        from datetime import timedelta

        last = msgs["last_seen"].max().to_pydatetime() + timedelta(microseconds=1)
        dels_until = max(dels_until, last)
    dels = win.read("deliveries", None, until=dels_until, where=d_where)
    auth = None
    if client_ip is not None or kind in ("ip", "sasl"):
        column = "sasl_username" if kind == "sasl" else "client_ip"
        auth = win.read("auth_failures", None,
                        where=equal(column, client_ip if client_ip is not None else value))

    def n_where(t):  # the diagnostics of the messages, and cleanup's notes on the client
        keep = same_queue(t)
        return pc.or_(keep, equal("client_ip", client_ip)(t)) if client_ip is not None else keep

    notices = win.read("notices", None, until=dels_until, where=n_where)
    return report.trace(msgs, dels, rejects, auth, queue_id=queue_id, sender=sender,
                        identity=identity, client_ip=client_ip, notices=notices)


def _filter_chain(win: "Window", queue_id: str):
    """The queue ids linked to `queue_id` through content filters (`filter_of`), read hop by
    hop: an original, its re-injection by amavis, a second filter's, ..."""
    import pyarrow as pa
    import pyarrow.compute as pc

    chain = {queue_id}
    for _ in range(8):  # a real chain has one or two hops
        ids = pa.array(sorted(chain), pa.string())

        def linked(t):
            return pc.fill_null(pc.or_(pc.is_in(t["queue_id"], value_set=ids),
                                       pc.is_in(t["filter_of"], value_set=ids)), False)

        rows = win.read("messages", ["queue_id", "filter_of"], where=linked)
        grown = chain | set(rows["queue_id"].dropna()) | set(rows["filter_of"].dropna())
        if grown == chain:
            break
        chain = grown
    return pa.array(sorted(chain), pa.string())


# --- the nightly report -------------------------------------------------------------------

def report(data: str | os.PathLike | None = None, since="1d", until=None,
           tz: str | None = None, thresholds=None, local_ips: Iterable[str] = (),
           hosted_domains: Iterable[str] = (), users: dict[int, str] | None = None):
    """Every report for [since, until) in one `nightly.Report`: top senders (with each
    identity's trailing-week usual volume), relay-denied buckets and spikes, suspicious
    scripts, AUTH failures, the window's totals against the trailing week, and the
    incidents found by `thresholds` (`config.Thresholds`; see docs/report.md).
    `users`: uid -> user name (`config.read_passwd`). Sections with no rows in the window
    are empty DataFrames."""
    from .nightly import build

    return build(data, since, until, tz, thresholds=thresholds, local_ips=local_ips,
                 hosted_domains=hosted_domains, users=users)


def chart(report: str, result, title: str | None = None):
    """The plotly figure of a report result (imports plotly):

    - `top-senders`: a `sender_timeline` (stacked volume over time);
    - `relay-spikes`: `relay_spikes(..., all_buckets=True)` (series, baseline band, spikes);
    - `suspicious-scripts`: a `suspicious_scripts` result (score vs volume);
    - `auth-failures`: an `auth_failure_timeline` (failures over time);
    - `counts`: a [{value, count}] list or a value -> count Series (horizontal bars).

    Every log-derived label is HTML-escaped. Save with `write_chart(fig, "file.html")`.
    """
    from . import charts

    makers = {"top-senders": charts.top_senders, "relay-spikes": charts.relay_spikes,
              "suspicious-scripts": charts.suspicious_scripts,
              "auth-failures": charts.auth_failures, "counts": charts.counts_bar}
    if report not in makers:
        raise AnalyzerError(f"no chart for {report!r}: one of {', '.join(makers)}")
    if title is None:
        return makers[report](result) if report != "counts" else makers[report](result, report)
    return makers[report](result, title)


def write_chart(fig, path: str | os.PathLike) -> None:
    """Write a figure as one self-contained HTML file (plotly.js embedded, works offline)."""
    from .charts import write_chart as write

    write(fig, path)
