"""Top senders in pieces: a partial tally of some hosts' messages and deliveries that
combines exactly with the other hosts' into `senders.top_senders`' answer.

A message and its deliveries are always on the same host (the correlator never links
across hosts), so the join of `top_senders` can run per host, where the rows are (a
cluster's workers, `fleet/dask_senders.py`). What a host sends back is per sender key:
the sums (messages, recipients, delivery counters), first and last seen (min / max), the
distinct client IPs and recipient domains as (key, value) pairs (unioned, then counted),
the originals per clock hour (summed, then the busiest taken), and the host's total of
messages in the scope (the share's denominator, summed). `finish` shapes the combined
tally with `senders.shaped`, so the rows, order and values are the local engine's."""

from __future__ import annotations

import pandas as pd

from .common import is_original, link, ratio, recipients
from .senders import _empty, scope_mask, shaped, with_keys
from .spec import DELIVERY_COLUMNS, check_by

COUNTERS = ["sent", "deferred", "bounced", "expired"]
SUMS = ["messages", "recipients", *COUNTERS]


def partial(
    messages: pd.DataFrame,
    deliveries: pd.DataFrame,
    by: str,
    scope: str,
    hosted: frozenset[str],
) -> dict:
    """The mergeable tally of `messages` and their `deliveries` (of some hosts, all of
    each message's deliveries among them), as `top_senders` counts them."""
    msgs, dels = link(messages, deliveries, DELIVERY_COLUMNS)
    msgs = msgs[scope_mask(msgs, dels, scope, hosted)]
    msgs = msgs.assign(_orig=is_original(msgs).astype("int64"))
    total = int(msgs["_orig"].sum())
    msgs, keys = with_keys(msgs, by)
    msgs = msgs.assign(_rcpts=recipients(msgs, dels) * msgs["_orig"])
    originals = msgs[msgs["_orig"] == 1]

    sums = msgs.groupby(keys, dropna=False, sort=False).agg(
        messages=("_orig", "sum"),
        recipients=("_rcpts", "sum"),
        **{c: (c, "sum") for c in COUNTERS},
    )
    seen = originals.groupby(keys, dropna=False, sort=False)["first_seen"].agg(["min", "max"])
    sums = sums.join(seen.rename(columns={"min": "first_seen", "max": "last_seen"}))
    ips = originals[_columns(keys, "client_ip")].dropna(subset=["client_ip"]).drop_duplicates()
    linked = dels.drop(columns=[k for k in keys if k in dels.columns])  # by host: the message's
    linked = linked.merge(msgs[["_m"] + keys], on="_m", how="inner")
    domains = linked[_columns(keys, "recipient_domain")].dropna(subset=["recipient_domain"])
    hours = originals[keys].assign(_hour=originals["first_seen"].dt.floor("h"))
    per_hour = hours.groupby(keys + ["_hour"], dropna=False, sort=False).size()
    return {
        "total": total,
        "sums": sums.reset_index(),
        "ips": ips,
        "domains": domains.drop_duplicates(),
        "hours": per_hour.rename("n").reset_index(),
    }


def combine(pieces: list[dict]) -> dict:
    """Partial tallies of disjoint hosts merged into one of the same kind."""
    if len(pieces) == 1:
        return pieces[0]
    sums = pd.concat([p["sums"] for p in pieces], ignore_index=True)
    keys = [c for c in sums.columns if c not in [*SUMS, "first_seen", "last_seen"]]
    grouped = sums.groupby(keys, dropna=False, sort=False)
    merged = grouped.agg(
        **{c: (c, "sum") for c in SUMS},
        first_seen=("first_seen", "min"),
        last_seen=("last_seen", "max"),
    )
    hours = pd.concat([p["hours"] for p in pieces], ignore_index=True)
    return {
        "total": sum(p["total"] for p in pieces),
        "sums": merged.reset_index(),
        "ips": pd.concat([p["ips"] for p in pieces], ignore_index=True).drop_duplicates(),
        "domains": pd.concat([p["domains"] for p in pieces], ignore_index=True).drop_duplicates(),
        "hours": hours.groupby(keys + ["_hour"], dropna=False, sort=False)["n"].sum().reset_index(),
    }


def finish(tally: dict, by: str) -> pd.DataFrame:
    """The `top_senders` table of a (combined) partial tally."""
    keys = check_by(by)
    out = tally["sums"].set_index(keys)
    out = out[out["messages"] > 0]  # re-injections whose original is outside the window
    if out.empty:
        return _empty(keys)
    out["client_ips"] = _distinct(tally["ips"], keys, "client_ip", out.index)
    out["recipient_domains"] = _distinct(tally["domains"], keys, "recipient_domain", out.index)
    hourly = tally["hours"].groupby(keys + ["_hour"], dropna=False, sort=False)["n"].sum()
    peak = hourly.groupby(level=list(range(len(keys))), dropna=False, sort=False).max()
    out["peak_hour_messages"] = peak.reindex(out.index)
    out["bounce_rate"] = ratio(out["bounced"], out["sent"] + out["bounced"]).to_numpy()
    return shaped(out, keys, tally["total"])


def _distinct(pairs: pd.DataFrame, keys: list[str], column: str, index: pd.Index) -> pd.Series:
    """Distinct values of `column` per group of `keys`, aligned to `index` (0: none)."""
    per = pairs.groupby(keys, dropna=False, sort=False)[column].nunique()
    return per.reindex(index).fillna(0).astype("int64")


def _columns(keys: list[str], column: str) -> list[str]:
    return list(dict.fromkeys([*keys, column]))  # by client-ip: the key is the value
