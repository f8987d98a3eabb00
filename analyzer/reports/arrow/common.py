"""Group-by building blocks over Arrow tables and numpy, for the reports' fast path (no
pandas: its import alone is a quarter second of a report's start).

A group is an integer code per row: each key column is dictionary-encoded with a missing
value as its own code (pandas' `groupby(dropna=False)`), several keys are combined into
one code. Sums are `np.bincount`; distinct counts, minima and peaks sort (group, value)
pairs once. Python runs only per distinct value (address keys), never per row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..spec import DELIVERY_KEY, MESSAGE_KEY, hosted_from, is_local_agent

TIMESTAMP = pa.timestamp("us", tz="UTC")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TOP_TYPE = pa.list_(pa.struct([("value", pa.string()), ("count", pa.int64())]))


def array(column) -> pa.Array:
    """One contiguous array of a column (a table's columns come in chunks)."""
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def codes(column) -> tuple[np.ndarray, pa.Array]:
    """Each row's code (int64) and the distinct values it indexes; a missing value is a
    code of its own (its dictionary entry is null)."""
    enc = pc.dictionary_encode(array(column), null_encoding="encode")
    return enc.indices.to_numpy(zero_copy_only=False).astype(np.int64), enc.dictionary


def valid(column) -> np.ndarray:
    return pc.is_valid(array(column)).to_numpy(zero_copy_only=False)


def ints(column, missing: int = 0) -> np.ndarray:
    """An integer column as int64, missing values as `missing`."""
    return pc.fill_null(array(column).cast(pa.int64()), missing).to_numpy(zero_copy_only=False)


def micros(column) -> np.ndarray:
    """A timestamp column as int64 µs since the epoch (missing: 0; see `valid`)."""
    return ints(array(column).cast(pa.int64()))


def truthy(column) -> np.ndarray:
    """A boolean column as bools, missing as False."""
    return pc.fill_null(array(column), False).to_numpy(zero_copy_only=False).astype(bool)


def per_distinct(column, fn) -> pa.Array:
    """`fn` applied once to each distinct non-missing string of `column` (addresses repeat
    a lot), spread back to its rows; a missing value stays missing."""
    enc = pc.dictionary_encode(array(column))
    mapped = pa.array([fn(v) for v in enc.dictionary.to_pylist()], pa.string())
    return mapped.take(enc.indices)


def group_codes(table: pa.Table, keys: list[str]) -> tuple[np.ndarray, int, np.ndarray]:
    """(the group of each row, the number of groups, the first row of each group) of the
    rows grouped by `keys`, a missing value being a key of its own."""
    if table.num_rows == 0:
        return np.zeros(0, np.int64), 0, np.zeros(0, np.int64)
    combined = np.zeros(table.num_rows, np.int64)
    for key in keys:
        code, dictionary = codes(table[key])
        combined = combined * len(dictionary) + code
    _, first, group = np.unique(combined, return_index=True, return_inverse=True)
    return group.reshape(-1).astype(np.int64), len(first), first


def sums(group: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(group, weights=values, minlength=n).round().astype(np.int64)


def _pair_runs(first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (first, second) pairs sorted, and where each run of equal pairs starts."""
    order = np.lexsort((second, first))
    a, b = first[order], second[order]
    start = np.ones(len(a), bool)
    start[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    return a, start


def distinct_counts(group: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """How many distinct `values` each of the `n` groups has."""
    a, start = _pair_runs(group, values)
    return np.bincount(a[start], minlength=n).astype(np.int64)


def peak_counts(group: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """The most rows one value has within each group (0 for a group without rows)."""
    a, start = _pair_runs(group, values)
    begins = np.flatnonzero(start)
    sizes = np.diff(np.append(begins, len(a)))
    out = np.zeros(n, np.int64)
    np.maximum.at(out, a[begins], sizes)
    return out


def min_max(group: np.ndarray, values: np.ndarray, n: int):
    """(minimum, maximum, whether the group has any value) of `values` per group."""
    order = np.lexsort((values, group))
    g, v = group[order], values[order]
    lo = np.zeros(n, np.int64)
    hi = np.zeros(n, np.int64)
    has = np.zeros(n, bool)
    if len(g):
        first = np.ones(len(g), bool)
        first[1:] = g[1:] != g[:-1]
        last = np.ones(len(g), bool)
        last[:-1] = g[1:] != g[:-1]
        lo[g[first]], hi[g[last]], has[g[first]] = v[first], v[last], True
    return lo, hi, has


def link(messages: pa.Table, deliveries: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """The deliveries of each message, as (delivery row, message row) pairs: a delivery
    belongs to the message of its (host, queue_id, message_first_seen), missing values
    matching missing values (as pandas' merge does); a delivery of no message is left out."""
    n, m = messages.num_rows, deliveries.num_rows
    combined = np.zeros(n + m, np.int64)
    for mkey, dkey in zip(MESSAGE_KEY, DELIVERY_KEY):
        both = pa.concat_arrays([array(messages[mkey]), array(deliveries[dkey])])
        code, dictionary = codes(both)
        combined = combined * len(dictionary) + code
    mkeys, dkeys = combined[:n], combined[n:]
    order = np.argsort(mkeys, kind="stable")
    sorted_keys = mkeys[order]
    left = np.searchsorted(sorted_keys, dkeys, "left")
    count = np.searchsorted(sorted_keys, dkeys, "right") - left
    rows = np.repeat(np.arange(m), count)
    offset = np.arange(len(rows)) - np.repeat(np.cumsum(count) - count, count)
    return rows, order[np.repeat(left, count) + offset]


def distinct(column) -> list:
    """The distinct non-missing values of a column."""
    return pc.drop_null(pc.unique(array(column))).to_pylist()


def hosted_domains(deliveries: pa.Table, sasl_usernames, explicit=()) -> frozenset[str]:
    """`reports.common.hosted_domains` of Arrow columns: the explicit domains, recipient
    domains of local deliveries (not a hand-over to a filter), the domains of SASL logins
    that are addresses."""
    local: list = []
    if deliveries.num_rows:
        status = array(deliveries["status"])
        kept = pc.fill_null(pc.not_equal(status, "filtered"), True)
        programs = array(deliveries["program"]).filter(kept)
        agents = [p for p in distinct(programs) if is_local_agent(p)]
        if agents:
            is_local = pc.fill_null(pc.is_in(programs, pa.array(agents, pa.string())), False)
            local = distinct(array(deliveries["recipient_domain"]).filter(kept).filter(is_local))
    return hosted_from(explicit, local, distinct(sasl_usernames))


def top_values(group: np.ndarray, values: list, n: int, top: int) -> list[list[dict]]:
    """Per group of `n`, its `top` most frequent non-missing values, most first, then by
    value: [{value, count}] (`reports.common.top_values_by`)."""
    tally: list[dict] = [{} for _ in range(n)]
    for g, value in zip(group.tolist(), values):
        if value is not None:
            tally[g][value] = tally[g].get(value, 0) + 1
    return [
        [
            {"value": str(v), "count": c}
            for v, c in sorted(t.items(), key=lambda item: (-item[1], str(item[0])))[:top]
        ]
        for t in tally
    ]


def numeric(values: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """A numpy array of whole numbers (as int64) or floats as Arrow, missing where
    `missing` is True. Not `pa.array`: it checks every numpy array for a masked one,
    which imports numpy.ma, a tenth of a fast report's start."""
    values = np.ascontiguousarray(values, np.float64 if values.dtype.kind == "f" else np.int64)
    kind = pa.float64() if values.dtype.kind == "f" else pa.int64()
    validity, nulls = None, 0
    if missing is not None and missing.any():
        validity = pa.py_buffer(np.packbits(~missing, bitorder="little"))
        nulls = int(missing.sum())
    data = pa.py_buffer(values)
    return pa.Array.from_buffers(kind, len(values), [validity, data], null_count=nulls)


def timestamps(values: np.ndarray, present: np.ndarray) -> pa.Array:
    """µs since the epoch as UTC timestamps, missing where not `present`."""
    return numeric(values, ~present).cast(TIMESTAMP)


def micros_of(when: datetime) -> int:
    """An aware datetime as µs since the epoch (what `micros` gives of a column)."""
    return (when - EPOCH) // timedelta(microseconds=1)


def time_of(us: int) -> datetime:
    """µs since the epoch as a UTC datetime."""
    return EPOCH + timedelta(microseconds=us)


def after(column) -> datetime | None:
    """Just after the latest time of a timestamp column (None when it has none)."""
    latest = pc.max(array(column).cast(pa.int64())).as_py()
    if latest is None:
        return None
    return EPOCH + timedelta(microseconds=latest + 1)
