"""Relay-denied spikes: buckets of time with far more relay-denied rejects than their own
recent past, each explained (local app or internet probes, which clients, which senders,
whose account).

The rule (documented in `docs/reports.md`): for each bucket, the baseline is the median of
the previous `window` buckets and the spread is 1.4826 x their median absolute deviation,
floored at sqrt(max(baseline, 1)) (Poisson noise: a flat series with MAD 0 must not flag
every +1). With fewer than `min_history` earlier buckets (the series just began) the
median and MAD of the whole series stand in. A bucket is a spike when
count > baseline + z x spread and count >= min_count.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..dataset.reading import to_pandas
from ..dataset.snapshot import Reduction
from .common import address_key, domain_key, hosted_domains, is_original, top_values_by
from .spikes_spec import (  # noqa: F401  (the callers know them as spikes')
    COLUMNS,
    MIN_COUNT,
    MIN_HISTORY,
    REJECT_COLUMNS,
    SENDER_COLUMNS,
    TOP,
    TOPS,
    WINDOW,
    Z,
    baseline,
    checked_params,
    relay_in,
    source_of,
)


def bucket_counts(rejects: pd.DataFrame, bucket: str) -> pd.Series:
    """Relay-denied rejects per bucket, indexed by bucket start, over the whole span of
    `rejects` (every class counts for the span, so quiet buckets are zeros, not gaps)."""
    relay = (rejects["reason_class"] == "relay_denied").fillna(False).astype("int64")
    series = pd.Series(relay.to_numpy(), index=pd.DatetimeIndex(rejects["ts"]))
    return series.sort_index().resample(bucket, closed="left", label="left").sum()


def bucket_grid(span: pd.Series, bucket: str) -> pd.DatetimeIndex:
    """The buckets `bucket_counts` has for rejects whose times span `span` (the first
    and the last time)."""
    none = pd.Series([None] * len(span), dtype="str")
    return bucket_counts(pd.DataFrame({"ts": span, "reason_class": none}), bucket).index


def relay_counter(grid: pd.DatetimeIndex) -> Reduction:
    """Relay-denied rejects per bucket of `grid` (`bucket_counts`, computed part by part)."""
    return Reduction(partial(_count_relay, starts=_micros(grid)), _sum_arrays)


def time_span(arrow: pa.Table) -> pd.Series:
    """The first and the last `ts` of some rows (none of none): a `TIME_SPAN` chunk."""
    return _first_last(to_pandas(arrow.select(["ts"]))["ts"])


def _first_last(ts: pd.Series) -> pd.Series:
    ts = ts.dropna()
    return ts.iloc[[ts.argmin(), ts.argmax()]].reset_index(drop=True) if len(ts) else ts


def _spans(spans: list[pd.Series]) -> pd.Series:
    return _first_last(pd.concat(spans, ignore_index=True))


TIME_SPAN = Reduction(time_span, _spans)


def _count_relay(arrow: pa.Table, starts: np.ndarray) -> np.ndarray:
    relay = pc.fill_null(pc.equal(arrow["reason_class"], "relay_denied"), False)
    times = pc.cast(arrow.filter(relay)["ts"], pa.int64()).to_numpy(zero_copy_only=False)
    pos = np.searchsorted(starts, times, side="right") - 1
    return np.bincount(pos, minlength=len(starts)).astype("int64")


def _sum_arrays(arrays: list[np.ndarray]) -> np.ndarray:
    return np.sum(arrays, axis=0, dtype="int64")


def _micros(times) -> np.ndarray:
    """Times (UTC) as microseconds since the epoch, as Arrow casts a `ts` column."""
    return pd.DatetimeIndex(times).as_unit("us").asi8


def shown_buckets(
    counts: pd.Series, bucket: str, params: dict, since, until, all_buckets: bool
) -> pd.DataFrame:
    """`robust_baseline` of `counts` with `end`, only the buckets that overlap [since,
    until) and, unless `all_buckets`, are spikes."""
    offset = pd.tseries.frequencies.to_offset(bucket)
    stats = robust_baseline(counts, **params)
    stats["end"] = stats["start"] + offset
    if since is not None:
        stats = stats[stats["end"] > pd.Timestamp(since)]
    if until is not None:
        stats = stats[stats["start"] < pd.Timestamp(until)]
    if not all_buckets:
        stats = stats[stats["spike"]]
    return stats.reset_index(drop=True)


def robust_baseline(
    counts: pd.Series,
    window: int = WINDOW,
    min_history: int = MIN_HISTORY,
    z: float = Z,
    min_count: int = MIN_COUNT,
) -> pd.DataFrame:
    """`count`, `baseline`, `threshold`, `spike` per bucket (see the module docstring)."""
    values = counts.to_numpy(dtype="float64")
    stats = baseline(values, window, min_history, z, min_count)
    return pd.DataFrame({"start": counts.index, "count": values.astype("int64"), **stats})


def relay_spikes(
    rejects: pd.DataFrame,
    bucket: str = "1h",
    *,
    since=None,
    until=None,
    window: int = WINDOW,
    min_history: int = MIN_HISTORY,
    z: float = Z,
    min_count: int = MIN_COUNT,
    local_ips: Iterable[str] = (),
    hosted: frozenset[str] = frozenset(),
    accounts: pd.DataFrame | None = None,
    all_buckets: bool = False,
    counts: pd.Series | None = None,
) -> pd.DataFrame:
    """Spikes (or, with `all_buckets`, every bucket) of relay-denied rejects that overlap
    [since, until), explained.

    `rejects`: rows of the `rejects` table (REJECT_COLUMNS), including the `window`
    buckets before `since` so the first buckets have a trailing baseline.
    `local_ips`: addresses of this server besides loopback (`rejects.local_client` already
    covers those given at ingest). `hosted`: hosted domains. `accounts`: identities with
    the domain they send from (columns `domain`, `identity`, `messages`), to name the
    likely responsible account of a local spike. `counts`: `bucket_counts` of all the
    rejects, when `rejects` holds only the relay-denied rows of the shown buckets.
    """
    counts = bucket_counts(rejects, bucket) if counts is None else counts
    if counts.empty:
        return _empty()
    params = dict(window=window, min_history=min_history, z=z, min_count=min_count)
    stats = shown_buckets(counts, bucket, params, since, until, all_buckets)
    if stats.empty:
        return _empty()

    relay = rejects[(rejects["reason_class"] == "relay_denied").fillna(False)]
    starts = stats["start"].to_numpy()
    pos = np.searchsorted(starts, relay["ts"].to_numpy(), side="right") - 1
    inside = pos >= 0
    inside &= stats["end"].to_numpy()[np.clip(pos, 0, None)] > relay["ts"].to_numpy()
    relay = relay[inside].assign(_b=pos[inside])
    own = frozenset(local_ips)
    local = relay["local_client"].fillna(False).astype(bool) | relay["client_ip"].isin(own)
    relay = relay.assign(
        _local=local.to_numpy(),
        _sender=address_key(relay["sender"]),
        _sender_domain=domain_key(relay["sender"]),
        _helo=relay["helo"].astype("str").str.lower(),
    )

    local_count = relay.groupby("_b")["_local"].sum()
    stats["local_count"] = local_count.reindex(stats.index).fillna(0).astype("int64")
    stats["internet_count"] = stats["count"] - stats["local_count"]
    stats["source"] = source_of(stats["count"].to_numpy(), stats["local_count"].to_numpy())
    for col, src in TOPS.items():
        tops = top_values_by(relay, "_b", src, TOP)
        stats[col] = [tops.get(i, []) for i in stats.index]

    resp = [
        _responsible(relay[(relay["_b"] == i) & relay["_local"]], hosted, accounts)
        if stats.at[i, "source"] in ("local", "mixed")
        else (None, None, [])
        for i in stats.index
    ]
    stats["responsible"] = pd.Series([r[0] for r in resp], dtype="str")
    stats["responsible_domain"] = pd.Series([r[1] for r in resp], dtype="str")
    stats["responsible_accounts"] = [r[2] for r in resp]
    return stats[COLUMNS]


def _responsible(
    local: pd.DataFrame, hosted: frozenset[str], accounts: pd.DataFrame | None
) -> tuple[str | None, str | None, list[str]]:
    """Whose app it likely is: the most frequent envelope sender of the local rejects, its
    domain when hosted (else the HELO name when that is a hosted domain), and the
    identities that send from that domain, busiest first."""
    if local.empty:
        return None, None, []
    senders = local["_sender"].dropna()
    senders = senders[senders != "<>"]
    sender = senders.value_counts().index[0] if len(senders) else None
    domain = None
    candidates = list(local["_sender_domain"].dropna().value_counts().index) + list(
        local["_helo"].dropna().value_counts().index
    )
    for cand in candidates:
        if cand in hosted:
            domain = cand
            break
    names: list[str] = []
    if domain and accounts is not None and len(accounts):
        mine = accounts[accounts["domain"] == domain].sort_values(
            ["messages", "identity"], ascending=[False, True], kind="stable"
        )
        names = list(mine["identity"].head(TOP))
    return sender, domain, names


def sending_accounts(messages: pd.DataFrame) -> pd.DataFrame:
    """Identities with the domains they send from (their envelope senders' domains and,
    for SASL logins that are addresses, the login's domain): `domain`, `identity`,
    `messages`."""
    if messages.empty:
        return pd.DataFrame(
            {
                "domain": pd.Series([], dtype="str"),
                "identity": pd.Series([], dtype="str"),
                "messages": pd.Series([], dtype="int64"),
            }
        )
    messages = messages[is_original(messages)]  # a filter's re-injection: the same message
    ids = messages["identity"]
    by_sender = pd.DataFrame(
        {"domain": domain_key(messages["sender"]), "identity": ids, "_q": range(len(messages))}
    )
    by_login = pd.DataFrame(
        {
            "domain": domain_key(messages["sasl_username"].fillna("")),
            "identity": ids,
            "_q": range(len(messages)),
        }
    )
    both = pd.concat([by_sender, by_login]).dropna(subset=["domain", "identity"])
    both = both[both["domain"] != "<>"].drop_duplicates()
    out = both.groupby(["domain", "identity"]).size().rename("messages").reset_index()
    return out.astype({"messages": "int64"})


def _senders(arrow: pa.Table) -> tuple[pd.DataFrame, frozenset[str]]:
    """Of some messages: `sending_accounts`, and the domains of their logins."""
    messages = to_pandas(arrow)
    return sending_accounts(messages), hosted_domains(sasl_usernames=messages["sasl_username"])


def _merge_senders(parts: list[tuple]) -> tuple[pd.DataFrame, frozenset[str]]:
    frames = [frame for frame, _ in parts if len(frame)]
    logins = frozenset().union(*(domains for _, domains in parts))
    if len(frames) < 2:
        return (frames[0] if frames else parts[0][0]), logins
    every = pd.concat(frames, ignore_index=True)
    out = every.groupby(["domain", "identity"])["messages"].sum().reset_index()
    return out.astype({"messages": "int64"}), logins


# who sends from which domain, and the domains hosted here, summed up where the rows are
SENDERS = Reduction(_senders, _merge_senders)
LOCAL = Reduction(
    lambda arrow: hosted_domains(to_pandas(arrow)), lambda parts: frozenset().union(*parts)
)


def _empty() -> pd.DataFrame:
    ts = "datetime64[us, UTC]"
    dtypes = {
        "start": ts,
        "end": ts,
        "count": "int64",
        "baseline": "float64",
        "threshold": "float64",
        "spike": "bool",
        "local_count": "int64",
        "internet_count": "int64",
        "source": "str",
        "responsible": "str",
        "responsible_domain": "str",
    }
    return pd.DataFrame({c: pd.Series([], dtype=dtypes.get(c, object)) for c in COLUMNS})


# --- read from a window (`analyzer.dataset.reading.Window`) ----------------------------------------


def relay_spikes_in(
    win,
    bucket: str,
    params: dict,
    local_ips: Iterable[str] = (),
    hosted_domains: Iterable[str] = (),
    all_buckets: bool = False,
) -> pd.DataFrame:
    """`relay_spikes` of the window: its rejects and the `window` buckets before it (the
    baseline), and for local relay-denied rejects inside spikes the messages and
    deliveries within a day of them (who sends from which domain)."""
    from .common import hosted_domains as hosted_domains_of

    offset = pd.tseries.frequencies.to_offset(bucket)
    history_lo = (
        (pd.Timestamp(win.lo) - offset * params["window"]).to_pydatetime() if win.lo else None
    )
    # the buckets' counts are summed where the rows are (on a cluster: its workers);
    # only the relay-denied rows of the buckets shown are read, to explain them
    span = win.reduce("rejects", ["ts"], TIME_SPAN, since=history_lo)
    grid = bucket_grid(span, bucket)
    counted = win.reduce("rejects", ["ts", "reason_class"], relay_counter(grid), since=history_lo)
    counts = pd.Series(counted, index=grid, dtype="int64")
    shown = shown_buckets(counts, bucket, params, win.lo, win.hi, all_buckets)
    inside = partial(relay_in, starts=_micros(shown["start"]), ends=_micros(shown["end"]))
    rejects = win.read("rejects", REJECT_COLUMNS, since=history_lo, where=inside)
    own = frozenset(local_ips)
    relay_local = _local_relay_denied(rejects, win.lo, own)
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
        accounts, logins = win.reduce("messages", SENDER_COLUMNS, SENDERS, **around)
        local = win.reduce("deliveries", ["program", "status", "recipient_domain"], LOCAL, **around)
        hosted = hosted_domains_of(explicit=hosted_domains) | local | logins
    return relay_spikes(
        rejects,
        bucket,
        counts=counts,
        since=win.lo,
        until=win.hi,
        local_ips=own,
        hosted=hosted,
        accounts=accounts,
        all_buckets=all_buckets,
        **params,
    )


def _local_relay_denied(rejects: pd.DataFrame, since, own: frozenset[str]) -> pd.DataFrame:
    """The relay-denied rejects since `since` of local clients (or of `own` addresses)."""
    in_window = rejects if since is None else rejects[rejects["ts"] >= pd.Timestamp(since)]
    return in_window[
        (in_window["reason_class"] == "relay_denied").fillna(False)
        & (in_window["local_client"].fillna(False).astype(bool) | in_window["client_ip"].isin(own))
    ]


def largest(spikes: pd.DataFrame, limit: int | None) -> pd.DataFrame:
    """The `limit` largest spikes (all when None or 0), still in time order."""
    out = spikes
    if limit is not None and limit > 0 and len(out) > limit:
        keep = out.sort_values(["count", "start"], ascending=[False, True], kind="stable").index[
            :limit
        ]
        out = out.loc[sorted(keep)]
    return out.reset_index(drop=True)
