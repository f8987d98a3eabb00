"""Relay-denied spikes computed on Arrow tables and numpy: the same rows as
`reports.spikes.relay_spikes_in` (the reference, tested equal in
`tests/reports/test_arrow_spikes.py`) without importing pandas, for the CLI's
`relay-spikes` with a bucket of fixed size (`spikes_spec.fixed_step`: seconds, minutes,
hours, days; a calendar offset such as `W` or `MS` takes the pandas path). The baseline
is `spikes_spec.baseline`, shared with the reference; every other rule (the span of the
buckets, who is local, the top lists, the responsible account) follows `reports.spikes`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..spec import address_key, domain_key
from ..spikes_spec import (
    COLUMNS,
    DELIVERY_COLUMNS,
    REJECT_COLUMNS,
    SENDER_COLUMNS,
    TOP,
    TOPS,
    baseline,
    fixed_step,
    grid_starts,
    relay_in,
    source_of,
)
from .common import (
    TIMESTAMP,
    TOP_TYPE,
    array,
    hosted_domains,
    micros,
    micros_of,
    numeric,
    per_distinct,
    time_of,
    timestamps,
    top_values,
    truthy,
    valid,
)

DAY = timedelta(days=1)


def bucket_counts(rejects: pa.Table, step: int) -> tuple[np.ndarray, np.ndarray]:
    """(the bucket starts in µs, the relay-denied rejects in each) over the span of the
    times of all `rejects` (`reports.spikes.bucket_counts`: quiet buckets are zeros)."""
    timed = valid(rejects["ts"])
    if not timed.any():
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    times = micros(rejects["ts"])[timed]
    starts = grid_starts(int(times.min()), int(times.max()), step)
    relay = truthy(pc.equal(array(rejects["reason_class"]), "relay_denied"))[timed]
    pos = np.searchsorted(starts, times[relay], side="right") - 1
    return starts, np.bincount(pos, minlength=len(starts)).astype(np.int64)


def shown_buckets(
    starts: np.ndarray, counts: np.ndarray, step: int, params: dict, since, until, all_buckets
) -> dict[str, np.ndarray]:
    """`start`, `end`, `count` and the baseline's columns of the buckets that overlap
    [since, until) and, unless `all_buckets`, are spikes (`reports.spikes.shown_buckets`)."""
    stats = {"start": starts, "end": starts + step, "count": counts}
    stats.update(baseline(counts, **params))
    keep = np.ones(len(starts), bool) if all_buckets else stats["spike"].copy()
    if since is not None:
        keep &= stats["end"] > micros_of(since)
    if until is not None:
        keep &= stats["start"] < micros_of(until)
    return {name: values[keep] for name, values in stats.items()}


def relay_spikes(
    rejects: pa.Table,
    bucket: str = "1h",
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    params: dict,
    local_ips: Iterable[str] = (),
    hosted: frozenset[str] = frozenset(),
    accounts: pa.Table | None = None,
    all_buckets: bool = False,
    counts: tuple[np.ndarray, np.ndarray] | None = None,
) -> pa.Table:
    """`reports.spikes.relay_spikes` of an Arrow table of rejects (REJECT_COLUMNS), as an
    Arrow table; `params`: `spikes_spec.checked_params`; `accounts`: `sending_accounts`;
    `counts`: `bucket_counts` of all the rejects, when `rejects` holds fewer rows."""
    step = _step(bucket)
    starts, counted = bucket_counts(rejects, step) if counts is None else counts
    stats = shown_buckets(starts, counted, step, params, since, until, all_buckets)
    n = len(stats["start"])
    if n == 0:
        return empty()

    relay = rejects.filter(relay_in(rejects, stats["start"], stats["end"]))
    group = np.searchsorted(stats["start"], micros(relay["ts"]), side="right") - 1
    own = pa.array(sorted(set(local_ips)), pa.string())
    local = truthy(relay["local_client"]) | truthy(pc.is_in(array(relay["client_ip"]), own))
    local_count = np.bincount(group[local], minlength=n).astype(np.int64)
    source = source_of(stats["count"], local_count)
    values = {
        "client_ip": array(relay["client_ip"]).to_pylist(),
        "_sender": per_distinct(relay["sender"], address_key).to_pylist(),
        "_sender_domain": per_distinct(relay["sender"], domain_key).to_pylist(),
        # Arrow's lower case, as pandas' `.str.lower()` of its Arrow strings (not Python's)
        "_helo": pc.utf8_lower(array(relay["helo"])).to_pylist(),
    }
    columns: dict[str, pa.Array] = {
        "start": timestamps(stats["start"], np.ones(n, bool)),
        "end": timestamps(stats["end"], np.ones(n, bool)),
        "count": numeric(stats["count"]),
        "baseline": numeric(stats["baseline"]),
        "threshold": numeric(stats["threshold"]),
        "spike": pa.array(stats["spike"].tolist(), pa.bool_()),
        "local_count": numeric(local_count),
        "internet_count": numeric(stats["count"] - local_count),
        "source": pa.array(source.tolist(), pa.string()),
    }
    for name, src in TOPS.items():
        columns[name] = pa.array(top_values(group, values[src], n, TOP), TOP_TYPE)

    # the local rejects of each bucket, in row order (ties go to the first seen)
    mine: list[list[int]] = [[] for _ in range(n)]
    for row in np.flatnonzero(local).tolist():
        mine[int(group[row])].append(row)
    names = _accounts_by_domain(accounts)
    resp = [
        _responsible(rows, values, hosted, names)
        if source[b] in ("local", "mixed")
        else (None, None, [])
        for b, rows in enumerate(mine)
    ]
    columns["responsible"] = pa.array([r[0] for r in resp], pa.string())
    columns["responsible_domain"] = pa.array([r[1] for r in resp], pa.string())
    columns["responsible_accounts"] = pa.array([r[2] for r in resp], pa.list_(pa.string()))
    return pa.table(columns).select(COLUMNS)


def _responsible(rows: list[int], values: dict, hosted, names: dict):
    """Whose app it likely is (`reports.spikes._responsible`): the most frequent envelope
    sender of the bucket's local rejects `rows` (not `<>`), its domain when hosted (else
    the HELO name when that is a hosted domain), that domain's busiest identities."""
    if not rows:
        return None, None, []
    senders = _by_frequency(values["_sender"][r] for r in rows)
    senders = [s for s in senders if s != "<>"]
    candidates = _by_frequency(values["_sender_domain"][r] for r in rows)
    candidates += _by_frequency(values["_helo"][r] for r in rows)
    domain = next((d for d in candidates if d in hosted), None)
    return (senders[0] if senders else None), domain, names.get(domain, []) if domain else []


def _by_frequency(values) -> list:
    """The distinct non-missing values, most frequent first, a tie in the order they first
    appear (pandas' `value_counts`: a stable sort of the counts in that order)."""
    counts: dict = {}
    for v in values:
        if v is not None:
            counts[v] = counts.get(v, 0) + 1
    return sorted(counts, key=lambda v: -counts[v])


def _accounts_by_domain(accounts: pa.Table | None) -> dict[str, list[str]]:
    """domain -> its `TOP` identities with the most messages (then by name)."""
    per: dict[str, list] = {}
    if accounts is None:
        return {}
    for domain, identity, messages in zip(
        *(array(accounts[c]).to_pylist() for c in ("domain", "identity", "messages"))
    ):
        per.setdefault(domain, []).append((-messages, identity))
    return {d: [identity for _, identity in sorted(ids)[:TOP]] for d, ids in per.items()}


def sending_accounts(messages: pa.Table) -> pa.Table:
    """`reports.spikes.sending_accounts` of Arrow `messages` (SENDER_COLUMNS): `domain`,
    `identity`, `messages` (the messages of the identity sent from the domain: by its
    envelope sender's domain or, for a SASL login that is an address, the login's)."""
    original = messages.filter(pc.is_null(array(messages["filter_of"])))
    ids = array(original["identity"])
    number = pa.array(np.arange(original.num_rows, dtype=np.int64))
    logins = pc.fill_null(array(original["sasl_username"]), "")
    pairs = pa.table(
        {
            "domain": pa.concat_arrays(
                [per_distinct(original["sender"], domain_key), per_distinct(logins, domain_key)]
            ),
            "identity": pa.concat_arrays([ids, ids]),
            "q": pa.concat_arrays([number, number]),
        }
    )
    keep = pc.and_(
        pc.and_(pc.is_valid(pairs["domain"]), pc.is_valid(pairs["identity"])),
        pc.not_equal(pairs["domain"], "<>"),
    )
    distinct = pairs.filter(pc.fill_null(keep, False)).group_by(["domain", "identity", "q"])
    per = distinct.aggregate([]).group_by(["domain", "identity"]).aggregate([("q", "count")])
    return pa.table(
        {
            "domain": per["domain"],
            "identity": per["identity"],
            "messages": per["q_count"].cast(pa.int64()),
        }
    )


def largest(spikes: pa.Table, limit: int | None) -> pa.Table:
    """The `limit` largest spikes (all when None or 0), still in time order."""
    if limit is None or limit <= 0 or spikes.num_rows <= limit:
        return spikes
    count = array(spikes["count"]).to_pylist()
    start = micros(spikes["start"]).tolist()
    keep = sorted(range(spikes.num_rows), key=lambda i: (-count[i], start[i]))[:limit]
    return spikes.take(numeric(np.array(sorted(keep), np.int64)))


def empty() -> pa.Table:
    """No rows, with the columns and types of a result."""
    types = {
        "start": TIMESTAMP,
        "end": TIMESTAMP,
        "count": pa.int64(),
        "baseline": pa.float64(),
        "threshold": pa.float64(),
        "spike": pa.bool_(),
        "local_count": pa.int64(),
        "internet_count": pa.int64(),
        "responsible_accounts": pa.list_(pa.string()),
    }
    types.update({name: TOP_TYPE for name in TOPS})
    return pa.schema([pa.field(c, types.get(c, pa.string())) for c in COLUMNS]).empty_table()


def _step(bucket: str) -> int:
    step = fixed_step(bucket)
    if step is None:
        raise ValueError(f"the Arrow path takes buckets of s, min, h or D, not {bucket!r}")
    return step


# --- read from a window (`analyzer.dataset.reading.Window`) ---------------------------------


def relay_spikes_in(
    win,
    bucket: str,
    params: dict,
    local_ips: Iterable[str] = (),
    hosted_domains_: Iterable[str] = (),
    all_buckets: bool = False,
) -> pa.Table:
    """`relay_spikes` of the window as `reports.spikes.relay_spikes_in` reads it: its
    rejects and the `window` buckets before it (the baseline), and for local relay-denied
    rejects inside the buckets shown the messages and deliveries within a day of them (who
    sends from which domain). The rejects are read once, all their columns."""
    step = _step(bucket)
    history_lo = win.lo - timedelta(microseconds=step * params["window"]) if win.lo else None
    rejects = win.arrow("rejects", REJECT_COLUMNS, since=history_lo)
    counts = bucket_counts(rejects, step)
    shown = shown_buckets(*counts, step, params, win.lo, win.hi, all_buckets)
    inside = rejects.filter(relay_in(rejects, shown["start"], shown["end"]))
    own = frozenset(local_ips)
    local = truthy(inside["local_client"]) | truthy(
        pc.is_in(array(inside["client_ip"]), pa.array(sorted(own), pa.string()))
    )
    times = micros(inside["ts"])
    if win.lo is not None:
        local &= times >= micros_of(win.lo)
    hosted, accounts = frozenset(hosted_domains_), None
    if local.any():
        # naming the responsible account needs who sends from which domain: the messages
        # and deliveries within a day of the local spikes (and inside the window)
        lo, hi = time_of(int(times[local].min())) - DAY, time_of(int(times[local].max())) + DAY
        lo = max(lo, win.lo) if win.lo else lo
        hi = min(hi, win.hi) if win.hi else hi
        msgs = win.arrow("messages", SENDER_COLUMNS, since=lo, until=hi)
        dels = win.arrow("deliveries", DELIVERY_COLUMNS, since=lo, until=hi)
        accounts = sending_accounts(msgs)
        hosted = hosted_domains(dels, msgs["sasl_username"], hosted_domains_)
    return relay_spikes(
        inside,
        bucket,
        counts=counts,
        since=win.lo,
        until=win.hi,
        params=params,
        local_ips=own,
        hosted=hosted,
        accounts=accounts,
        all_buckets=all_buckets,
    )
