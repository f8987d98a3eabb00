"""Helpers the reports share: address keys, the message<->delivery link, hosted domains,
top-N lists, hourly peaks."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..errors import AnalyzerError
from .spec import (  # noqa: F401  (check_choice: the reports call it as common's)
    DELIVERY_KEY,
    MESSAGE_KEY,
    check_choice,
    hosted_from,
    is_local_agent,
)
from .spec import address_key as _address_key
from .spec import domain_key as _domain_key


def address_key(addresses: pd.Series) -> pd.Series:
    """Lower-cased addresses for grouping; the null sender (empty string) becomes `<>`."""
    return _per_distinct(addresses, _address_key)


def domain_key(addresses: pd.Series) -> pd.Series:
    """Lower-cased domain part of addresses; `<>` for the null sender, missing when the
    address has no `@` (a bare login)."""
    return _per_distinct(addresses, _domain_key)


def _per_distinct(values: pd.Series, fn) -> pd.Series:
    """`fn` applied to each distinct non-missing value once (addresses repeat a lot, and
    Python string methods beat a per-row fallback of pandas string methods)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.array([fn(str(u)) for u in uniques] + [None], dtype=object)
    out = mapped[codes]  # code -1 (missing) picks the trailing None
    return pd.Series(out, index=values.index, dtype="str")


def link(
    messages: pd.DataFrame, deliveries: pd.DataFrame, columns: Iterable[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Number the messages (`_m`) and tag each delivery with its message's number;
    deliveries of messages outside the frame are dropped (`columns`: the delivery columns
    to keep, default all)."""
    msgs = messages.reset_index(drop=True)
    msgs = msgs.assign(_m=range(len(msgs)))
    keys = _as_delivery_key(msgs, ["_m"])
    if columns is not None:
        keep = set(columns)
        deliveries = deliveries[[c for c in deliveries.columns if c in keep]]
    return msgs, deliveries.merge(keys, on=DELIVERY_KEY, how="inner")


def deliveries_of(messages: pd.DataFrame, deliveries: pd.DataFrame) -> pd.DataFrame:
    """The rows of `deliveries` that belong to `messages`, as they are (index and columns
    kept), in the order of `deliveries`."""
    idx = deliveries.reset_index().merge(_as_delivery_key(messages), on=DELIVERY_KEY)
    return deliveries.loc[idx["index"]]


def _as_delivery_key(messages: pd.DataFrame, extra: list[str] | None = None) -> pd.DataFrame:
    """The key of each message named as its deliveries name it (plus `extra` columns)."""
    return messages[MESSAGE_KEY + (extra or [])].rename(
        columns={"first_seen": "message_first_seen"}
    )


def recipients(msgs: pd.DataFrame, dels: pd.DataFrame) -> pd.Series:
    """Recipients of each linked message (`link`): nrcpt from the queue manager, else the
    distinct recipients its deliveries show (a message cut off before its qmgr line)."""
    nrcpt = msgs["nrcpt"]
    if nrcpt.isna().any():
        seen = dels.groupby("_m")["recipient"].nunique()
        nrcpt = nrcpt.astype("Float64").fillna(msgs["_m"].map(seen).astype("Float64"))
    return nrcpt.fillna(0).astype("int64")


def recipient_domains(
    msgs: pd.DataFrame, dels: pd.DataFrame, keys: list[str], index: pd.Index
) -> pd.Series:
    """Distinct recipient domains of the linked deliveries per group of `keys` of `msgs`,
    aligned to `index` (0 for a group without deliveries)."""
    dels = dels.drop(columns=[k for k in keys if k in dels.columns])  # by host: the message's
    dels = dels.merge(msgs[["_m"] + keys], on="_m", how="inner")
    per = dels.groupby(keys, dropna=False, sort=False)["recipient_domain"].nunique()
    return per.reindex(index).fillna(0).astype("int64")


def tally(
    msgs: pd.DataFrame,
    dels: pd.DataFrame,
    keys: list[str],
    counters: list[str],
    per_original: dict[str, tuple[str, str]] | None = None,
) -> pd.DataFrame:
    """The figures top-senders and suspicious-scripts share, one row per group of `keys`
    of the linked messages (`link`, with `_orig`: 1 for an original, 0 for a content
    filter's re-injection, which is the same message again): messages and recipients of
    the originals, the sums of `counters` over every row (a re-injection's deliveries and
    bounces still count), first_seen / last_seen, recipient_domains, peak_hour_messages,
    bounce_rate, and `per_original` {column: (source column, groupby method)} over the
    originals. A group whose original is outside the window is dropped; an empty frame
    comes back as soon as it is known to be empty."""
    msgs = msgs.assign(_rcpts=recipients(msgs, dels) * msgs["_orig"])
    originals = msgs[msgs["_orig"] == 1]

    grouped = msgs.groupby(keys, dropna=False, sort=False)
    out = grouped.agg(
        messages=("_orig", "sum"),
        recipients=("_rcpts", "sum"),
        **{c: (c, "sum") for c in counters},
    )
    out = out[out["messages"] > 0]  # re-injections whose original is outside the window
    if out.empty:
        return out
    first = originals.groupby(keys, dropna=False, sort=False)
    for name, (column, method) in (per_original or {}).items():
        out[name] = getattr(first[column], method)().reindex(out.index)
    out["first_seen"] = first["first_seen"].min().reindex(out.index)
    out["last_seen"] = first["first_seen"].max().reindex(out.index)
    out["recipient_domains"] = recipient_domains(msgs, dels, keys, out.index)
    out["peak_hour_messages"] = peak_hour(originals, keys, "first_seen").reindex(out.index)
    out["bounce_rate"] = ratio(out["bounced"], out["sent"] + out["bounced"]).to_numpy()
    return out


def is_original(messages: pd.DataFrame) -> pd.Series:
    """True for the rows that count as a message: not a content filter's re-injection
    (`filter_of` set), which is the same message again (its delivery counters still count
    for the identity it took over)."""
    if "filter_of" not in messages.columns:
        return pd.Series(True, index=messages.index, dtype=bool)
    return messages["filter_of"].isna().astype(bool)


def hosted_domains(
    deliveries: pd.DataFrame | None = None,
    sasl_usernames: pd.Series | None = None,
    explicit: Iterable[str] = (),
) -> frozenset[str]:
    """Domains this server hosts: given explicitly (`--hosted-domain`), plus those the
    data shows: recipient domains of local deliveries (local, virtual, lmtp, pipe) and the
    domains of SASL logins that are addresses."""
    local: list = []
    if deliveries is not None and len(deliveries):
        if "status" in deliveries.columns:  # a hand-over to a filter delivers nothing here
            deliveries = deliveries[(deliveries["status"] != "filtered").fillna(True)]
        programs = deliveries["program"].dropna().unique()
        local_agents = [p for p in programs if is_local_agent(p)]
        domains = deliveries.loc[deliveries["program"].isin(local_agents), "recipient_domain"]
        local = list(domains.dropna().unique())
    logins = [] if sasl_usernames is None else list(sasl_usernames.dropna().unique())
    return hosted_from(explicit, local, logins)


def top_values(values: pd.Series, n: int = 5) -> list[dict]:
    """The `n` most frequent non-missing values as [{value, count}], ties by value."""
    counts = values.dropna().value_counts()
    if counts.empty:
        return []
    frame = pd.DataFrame({"value": counts.index.astype("str"), "count": counts.to_numpy()})
    frame = frame.sort_values(["count", "value"], ascending=[False, True], kind="stable").head(n)
    return [{"value": v, "count": int(c)} for v, c in zip(frame["value"], frame["count"])]


def top_values_by(
    frame: pd.DataFrame, group: str, value: str, n: int = 5, weight: str | None = None
) -> dict:
    """`top_values` of column `value` for each group of `group`: {group: [{value, count}]}.
    `weight`: a column of counts, each row standing for that many (rows already summed)."""
    sub = frame[[group, value] + ([weight] if weight else [])].dropna(subset=[group, value])
    if sub.empty:
        return {}
    grouped = sub.groupby([group, value], observed=True, sort=False)
    sizes = grouped[weight].sum() if weight else grouped.size()
    counts = sizes.rename("count").reset_index()
    counts[value] = counts[value].astype("str")
    counts = counts.sort_values(
        [group, "count", value], ascending=[True, False, True], kind="stable"
    )
    counts = counts.groupby(group, sort=False, observed=True).head(n)
    out: dict = {}
    for key, val, cnt in zip(
        counts[group].tolist(), counts[value].tolist(), counts["count"].tolist()
    ):
        out.setdefault(key, []).append({"value": val, "count": int(cnt)})
    return out


def peak_hour(frame: pd.DataFrame, keys: list[str], time_col: str) -> pd.Series:
    """Most rows of each group within one clock hour (UTC, hh:00 to hh:59)."""
    hours = frame[time_col].dt.floor("h").rename("_hour")
    per_hour = (
        frame[keys].assign(_hour=hours).groupby(keys + ["_hour"], dropna=False, sort=False).size()
    )
    return per_hour.groupby(level=list(range(len(keys))), dropna=False, sort=False).max()


def ratio(numerator, denominator) -> pd.Series:
    """numerator / denominator as floats, missing where the denominator is 0."""
    num = pd.Series(numerator, dtype="float64")
    den = pd.Series(denominator, dtype="float64")
    return (num / den.where(den > 0)).astype("float64")


def auto_bucket(first, last) -> str:
    """A readable bucket size for a chart of the span [first, last]."""
    if first is None or last is None or pd.isna(first) or pd.isna(last):
        return "1h"
    span = pd.Timestamp(last) - pd.Timestamp(first)
    if span <= pd.Timedelta(hours=6):
        return "10min"
    if span <= pd.Timedelta(days=3):
        return "1h"
    if span <= pd.Timedelta(days=21):
        return "6h"
    return "1D"


def per_bucket(
    keys: pd.Series,
    times: pd.Series,
    bucket: str,
    value: str,
    order: list | None = None,
    span: tuple | None = None,
) -> pd.DataFrame:
    """Rows per `bucket` for each key, zeros included: columns `bucket`, `key`, `value`.
    Every key gets every bucket of `span` (default: the span of `times`), keys in `order`
    (default: most rows first), so lines drop to zero and stacks line up."""
    keys = keys.astype("str").reset_index(drop=True)
    times = times.reset_index(drop=True)
    first, last = span if span else (times.min(), times.max())
    grid = (
        pd.Series(0, index=pd.DatetimeIndex([first, last]))
        .resample(bucket, closed="left", label="left")
        .size()
        .index
    )
    pos = grid.searchsorted(times.to_numpy(), side="right") - 1
    counts = pd.crosstab(pos, keys.to_numpy()) if len(keys) else pd.DataFrame()
    counts = counts.reindex(range(len(grid)), fill_value=0)
    if order is None:
        order = list(counts.sum().sort_values(ascending=False, kind="stable").index)
    counts = counts.reindex(columns=[str(k) for k in order], fill_value=0)
    counts.index = grid
    long = counts.rename_axis(index="bucket", columns="key").stack().rename(value).reset_index()
    long = long.sort_values(
        ["key", "bucket"],
        key=lambda c: c.map({str(k): i for i, k in enumerate(order)}) if c.name == "key" else c,
        kind="stable",
    )
    return long.astype({value: "int64", "key": "str"}).reset_index(drop=True)


# --- the arguments a report is asked with, checked before anything is read -----------------


def check_bucket(bucket: str) -> str:
    """Check a pandas offset alias (`1h`, `15min`, `1D`, `W`)."""
    try:
        offset = pd.tseries.frequencies.to_offset(bucket)
    except (ValueError, TypeError):
        raise AnalyzerError(
            f"cannot read bucket {bucket!r}: use a pandas offset such as 15min, 1h, 6h, 1D"
        ) from None
    if getattr(offset, "n", 1) <= 0:
        raise AnalyzerError(f"bucket {bucket!r} must be positive")
    return bucket


def head(frame: pd.DataFrame, limit: int | None) -> pd.DataFrame:
    """The first `limit` rows (all when None or 0), numbered from 0."""
    if limit is not None and limit > 0:
        frame = frame.head(limit)
    return frame.reset_index(drop=True)
