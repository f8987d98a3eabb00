"""Suspicious scripts computed on Arrow tables and numpy: the same rows as
`reports.scripts.suspicious_scripts_in` (the reference, tested equal in
`tests/reports/test_arrow_scripts.py`) without importing pandas, for the CLI's
`suspicious-scripts`. The signs and their points are `scripts_spec.score`, shared with
the reference; the figures follow `reports.common.tally` (re-injections counted once,
their deliveries and bounces still counting)."""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..scripts_spec import (
    COLUMNS,
    DELIVERY_COLUMNS,
    HISTORY_COLUMNS,
    HISTORY_KEYS,
    MESSAGE_COLUMNS,
    history_span,
    score,
)
from .common import (
    TIMESTAMP,
    after,
    array,
    codes,
    distinct_counts,
    group_codes,
    ints,
    link,
    micros,
    micros_of,
    min_max,
    numeric,
    peak_counts,
    sums,
    timestamps,
    truthy,
    valid,
)
from .senders import HOUR_US, recipients

DAY_US = 86_400_000_000
KEYS = ["host", "identity", "script"]
_Row = namedtuple(
    "_Row",
    "identity script script_path messages history_messages peak_hour_messages final "
    "bounce_rate recipient_domains",
)


def suspicious_scripts(
    window: pa.Table,
    deliveries: pa.Table,
    history: pa.Table | None = None,
    window_days: float = 1.0,
    history_days: float = 0.0,
) -> pa.Table:
    """`reports.scripts.suspicious_scripts` of Arrow tables, as an Arrow table; `history`:
    `count_history`'s counts (`host`, `identity`, `script`, `n`)."""
    local = window.filter(truthy(pc.equal(array(window["origin"]), "local")))
    if local.num_rows == 0:
        return empty()
    original = ~valid(local["filter_of"])
    linked = link(local, deliveries)
    group, n, first = group_codes(local, KEYS)
    counted = sums(group, original.astype(np.float64), n)
    rcpts = recipients(local, deliveries, linked) * original
    sent = sums(group, ints(local["sent"]).astype(np.float64), n)
    bounced = sums(group, ints(local["bounced"]).astype(np.float64), n)

    # over the originals: the first uid and script path, first and last seen, busiest hour
    o_group = group[original]
    seen = micros(local["first_seen"])[original]
    timed = valid(local["first_seen"])[original]
    lo, hi, has_time = min_max(o_group[timed], seen[timed], n)
    hour = np.where(timed, seen // HOUR_US, np.iinfo(np.int64).min)  # no time: an hour too
    peak = peak_counts(o_group, hour, n)
    # distinct recipient domains of the deliveries of every message of the group
    del_rows, msg_rows = linked
    domain, _ = codes(deliveries["recipient_domain"])
    has_domain = valid(deliveries["recipient_domain"])[del_rows]
    domains = distinct_counts(group[msg_rows][has_domain], domain[del_rows][has_domain], n)

    keep = np.flatnonzero(counted > 0)  # re-injections whose original is outside the window
    if len(keep) == 0:
        return empty()
    keyed = local.take(numeric(first[keep]))
    sent, bounced = sent[keep], bounced[keep]
    final = sent + bounced
    known = history is not None and history_days > 0
    before, ids_before = np.zeros(len(keep), np.int64), set()
    if history is not None and known:
        before = _history_messages(keyed, history)
        ids_before = set(array(history["identity"]).drop_null().to_pylist())
    bounce_rate = numeric(bounced / np.where(final > 0, final, 1), final == 0)
    rows = numeric(keep)
    script_path = _first_present(local, "script_path", group, original, n).take(rows)

    figures = zip(
        array(keyed["identity"]).to_pylist(),
        array(keyed["script"]).to_pylist(),
        script_path.to_pylist(),
        counted[keep].tolist(),
        before.tolist(),
        peak[keep].tolist(),
        final.tolist(),
        bounce_rate.to_pylist(),
        domains[keep].tolist(),
    )
    signs = [score(_Row(*row), known, ids_before, window_days, history_days) for row in figures]
    out = pa.table(
        {
            "host": keyed["host"],
            "uid": _first_present(local, "uid", group, original, n).take(rows),
            "script": keyed["script"],
            "identity": keyed["identity"],
            "script_path": script_path,
            "messages": numeric(counted[keep]),
            "recipients": numeric(sums(group, rcpts.astype(np.float64), n)[keep]),
            "recipient_domains": numeric(domains[keep]),
            "peak_hour_messages": numeric(peak[keep]),
            "bounce_rate": bounce_rate,
            "first_seen": timestamps(lo[keep], has_time[keep]),
            "last_seen": timestamps(hi[keep], has_time[keep]),
            "history_messages": numeric(before),
            "score": numeric(np.array([sum(p for p, _ in s) for s in signs], np.int64)),
            "reasons": pa.array([[r for _, r in s] for s in signs], pa.list_(pa.string())),
        }
    )
    order = pc.sort_indices(
        out,
        sort_keys=[
            ("score", "descending"),
            ("messages", "descending"),
            ("identity", "ascending"),
            ("script", "ascending"),
            ("host", "ascending"),
        ],
    )  # missing keys last (the default), as pandas' na_position="last"
    return out.take(order).select(COLUMNS)


def _first_present(table: pa.Table, column: str, group, original, n: int) -> pa.Array:
    """Per group, the first non-missing value of `column` among the originals, in row
    order (pandas' `groupby().first()`); missing for a group without one."""
    rows = np.flatnonzero(original & valid(table[column]))
    groups, at = np.unique(group[rows], return_index=True)
    pick = np.full(n, -1, np.int64)
    pick[groups] = rows[at]
    return array(table[column]).take(numeric(pick, pick < 0))


def _history_messages(keyed: pa.Table, history: pa.Table) -> np.ndarray:
    """The history's `n` summed for each row's (host, identity, script), a missing value
    matching a missing value (0 for a key the history lacks)."""
    n = keyed.num_rows
    combined = np.zeros(n + history.num_rows, np.int64)
    for key in KEYS:
        code, dictionary = codes(pa.concat_arrays([array(keyed[key]), array(history[key])]))
        combined = combined * len(dictionary) + code
    _, inverse = np.unique(combined, return_inverse=True)
    inverse = inverse.reshape(-1)
    totals = np.bincount(
        inverse[n:], weights=ints(history["n"]).astype(np.float64), minlength=len(combined)
    )
    return totals[inverse[:n]].round().astype(np.int64)


def count_history(rows: pa.Table) -> tuple[int | None, pa.Table]:
    """`reports.scripts.count_history` of Arrow rows (HISTORY_COLUMNS): the first time
    among them (µs; None for none) and the local submissions (originals) per host,
    identity and script (`n`)."""
    timed = valid(rows["first_seen"])
    first = int(micros(rows["first_seen"])[timed].min()) if timed.any() else None
    local = truthy(pc.equal(array(rows["origin"]), "local")) & ~valid(rows["filter_of"])
    mine = rows.filter(pa.array(local))
    group, n, at = group_codes(mine, HISTORY_KEYS)
    counts = {key: array(mine[key]).take(numeric(at)) for key in HISTORY_KEYS}
    counts["n"] = numeric(np.bincount(group, minlength=n).astype(np.int64))
    return first, pa.table(counts)


def empty() -> pa.Table:
    """No rows, with the columns and types of a result."""
    types = {
        "host": pa.string(),
        "script": pa.string(),
        "identity": pa.string(),
        "script_path": pa.string(),
        "bounce_rate": pa.float64(),
        "first_seen": TIMESTAMP,
        "last_seen": TIMESTAMP,
        "reasons": pa.list_(pa.string()),
    }
    return pa.schema([pa.field(c, types.get(c, pa.int64())) for c in COLUMNS]).empty_table()


# --- read from a window (`analyzer.dataset.reading.Window`) ---------------------------------


def suspicious_scripts_in(win, history: str | None = "30d") -> pa.Table:
    """`suspicious_scripts` of the window's local submissions and their deliveries,
    against the local submissions of `history` before the window, as
    `reports.scripts.suspicious_scripts_in` reads them."""
    window = win.arrow("messages", MESSAGE_COLUMNS)
    window = window.filter(truthy(pc.equal(array(window["origin"]), "local")))
    if window.num_rows == 0:
        return empty()  # no local mail: no rows
    queue_ids = pc.drop_null(pc.unique(array(window["queue_id"])))
    dels = win.arrow("deliveries", DELIVERY_COLUMNS, since=win.lo, until=after(window["last_seen"]))
    dels = dels.filter(truthy(pc.is_in(array(dels["queue_id"]), value_set=queue_ids)))
    seen = micros(window["first_seen"])[valid(window["first_seen"])]
    end = micros_of(win.hi) if win.hi else int(seen.max())
    start = micros_of(win.lo) if win.lo else int(seen.min())
    window_days = max((end - start) / DAY_US, 1 / 24)

    hist, history_days = None, 0.0
    span = history_span(history)
    if span is not None and win.lo is not None:
        history_lo = win.lo - span
        rows = win.arrow("messages", HISTORY_COLUMNS, since=history_lo, until=win.lo)
        first, hist = count_history(rows)
        if first is not None:  # how far the data goes back
            covered_from = max(micros_of(history_lo), first)
            history_days = (micros_of(win.lo) - covered_from) / DAY_US
    return suspicious_scripts(window, dels, hist, window_days, history_days)
