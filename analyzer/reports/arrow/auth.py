"""SMTP AUTH failures computed on Arrow tables and numpy: the same rows as
`reports.auth.auth_failures_in` (the reference, tested equal in
`tests/reports/test_arrow_auth.py`) without importing pandas, for the CLI's
`auth-failures`. Every rule (successes, the client name, later logins, anvil peaks)
follows `reports.auth`."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..auth_spec import (
    BY,
    COLUMNS,
    FAILURE_COLUMNS,
    NOT_LOGGED,
    RATE_COLUMNS,
    bare_auth,
    logged_in,
)
from .common import (
    TIMESTAMP,
    TOP_TYPE,
    array,
    codes,
    distinct_counts,
    group_codes,
    micros,
    min_max,
    numeric,
    timestamps,
    top_values,
    valid,
)

TOP = 5  # entries of top_usernames / top_clients


def successes(messages: pa.Table, connections: pa.Table) -> dict:
    """`reports.auth.successes` as columns: `ts` (µs), `client_ip`, `sasl_username`
    (Python lists) and `message` (1 for a submitted message). `messages` and
    `connections` hold only the rows it keeps (`logged_in`, `bare_auth`)."""
    names = pc.fill_null(array(connections["sasl_username"]), NOT_LOGGED)
    return {
        "ts": np.concatenate([micros(messages["first_seen"]), micros(connections["ts"])]),
        "client_ip": array(messages["client_ip"]).to_pylist()
        + array(connections["client_ip"]).to_pylist(),
        "sasl_username": array(messages["sasl_username"]).to_pylist() + names.to_pylist(),
        "message": np.concatenate(
            [np.ones(messages.num_rows, np.int64), np.zeros(connections.num_rows, np.int64)]
        ),
    }


def auth_failures(
    failures: pa.Table, succeeded: dict, by: str = "client-ip", rates: pa.Table | None = None
) -> pa.Table:
    """`reports.auth.auth_failures` of Arrow tables, as an Arrow table."""
    if by not in BY:
        raise ValueError(f"by must be one of {', '.join(BY)}, not {by!r}")
    key, other = BY[by], BY["username" if by == "client-ip" else "client-ip"]
    if by == "username":
        failures = failures.set_column(
            failures.schema.get_field_index(key),
            key,
            pc.fill_null(array(failures[key]), NOT_LOGGED),
        )
    failures = failures.filter(pc.is_valid(array(failures[key])))
    if failures.num_rows == 0:
        return empty(by)
    group, n, first = group_codes(failures, [key])
    keys = array(failures[key]).take(numeric(first)).to_pylist()
    counted = np.bincount(group, minlength=n).astype(np.int64)
    ts, timed = micros(failures["ts"]), valid(failures["ts"])
    lo, hi, has_time = min_max(group[timed], ts[timed], n)
    others_valid = valid(failures[other])
    other_code, _ = codes(failures[other])
    others = distinct_counts(group[others_valid], other_code[others_valid], n)
    other_values = array(failures[other]).to_pylist()
    tops = top_values(group, other_values, n, TOP)

    row = {k: i for i, k in enumerate(keys)}  # a key's group
    later_first = np.zeros(n, np.int64)
    later_seen = np.zeros(n, bool)
    later_messages = np.zeros(n, np.int64)
    later_as: list[set] = [set() for _ in range(n)]
    for t, ip, login, message in zip(
        succeeded["ts"].tolist(),
        succeeded["client_ip"],
        succeeded["sasl_username"],
        succeeded["message"].tolist(),
    ):
        mine = ip if by == "client-ip" else login
        if by == "username" and login == NOT_LOGGED:
            continue  # a success of an unnamed login proves nothing about a username
        g = row.get(mine)
        if g is None or not has_time[g] or t <= lo[g]:
            continue
        later_first[g] = t if not later_seen[g] else min(later_first[g], t)
        later_seen[g] = True
        later_messages[g] += message
        seen_as = login if by == "client-ip" else ip
        if seen_as is not None:
            later_as[g].add(str(seen_as))

    columns: dict[str, pa.Array] = {key: pa.array(keys, pa.string())}
    if by == "client-ip":
        columns["client_name"] = pa.array(_client_names(group, failures, n), pa.string())
    columns["failures"] = numeric(counted)
    # Postfix < 3.8 logs no username of a failure: not logged, not "0 usernames"
    columns["usernames" if by == "client-ip" else "client_ips"] = numeric(
        others, others == 0 if by == "client-ip" else None
    )
    columns["top_usernames" if by == "client-ip" else "top_clients"] = pa.array(tops, TOP_TYPE)
    columns["first_seen"] = timestamps(lo, has_time)
    columns["last_seen"] = timestamps(hi, has_time)
    if by == "client-ip":
        rate, count = _anvil_peaks(rates, keys)
        columns["max_connection_rate"] = rate
        columns["max_connection_count"] = count
    columns["succeeded_later"] = pa.array(later_seen.tolist(), pa.bool_())
    columns["succeeded_as" if by == "client-ip" else "succeeded_from"] = pa.array(
        [sorted(s) for s in later_as], pa.list_(pa.string())
    )
    columns["first_success"] = timestamps(later_first, later_seen)
    columns["messages_after"] = numeric(later_messages)
    out = pa.table(columns)
    order = sorted(range(n), key=lambda g: (-int(counted[g]), keys[g]))
    return out.take(numeric(np.array(order, np.int64))).select(COLUMNS[by])


def _client_names(group: np.ndarray, failures: pa.Table, n: int) -> list[str | None]:
    """A client IP's most frequent reverse name (not `unknown`), the alphabetically
    first of a tie; None without one."""
    tally: list[dict] = [{} for _ in range(n)]
    for g, name in zip(group.tolist(), array(failures["client_name"]).to_pylist()):
        if name is not None and name != "unknown":
            tally[g][name] = tally[g].get(name, 0) + 1
    return [min(t.items(), key=lambda item: (-item[1], item[0]))[0] if t else None for t in tally]


def _anvil_peaks(rates: pa.Table | None, keys: list) -> tuple[pa.Array, pa.Array]:
    """Per client IP of `keys`: the highest connection rate anvil saw (per minute) and
    the most simultaneous connections (`reports.auth._anvil_peaks`), missing without."""
    rate: dict = {}
    count: dict = {}
    if rates is not None and rates.num_rows:
        kinds = array(rates["kind"]).to_pylist()
        ips = array(rates["client_ip"]).to_pylist()
        figures = array(rates["figure"]).cast(pa.float64()).to_pylist()
        periods = array(rates["period"]).cast(pa.float64()).to_pylist()
        for kind, ip, figure, period in zip(kinds, ips, figures, periods):
            if ip is None or figure is None:
                continue
            if kind == "connection_rate":
                per = max(60.0 if period is None else period, 1.0)
                value = float(np.round(figure * 60 / per))  # half to even, as pandas
                rate[ip] = max(rate.get(ip, value), value)
            elif kind == "connection_count":
                count[ip] = max(count.get(ip, figure), figure)
    return (
        pa.array([None if k not in rate else int(rate[k]) for k in keys], pa.int64()),
        pa.array([None if k not in count else int(count[k]) for k in keys], pa.int64()),
    )


def empty(by: str) -> pa.Table:
    """No rows, with the columns and types of a result."""
    types = {
        "failures": pa.int64(),
        "usernames": pa.int64(),
        "client_ips": pa.int64(),
        "max_connection_rate": pa.int64(),
        "max_connection_count": pa.int64(),
        "messages_after": pa.int64(),
        "first_seen": TIMESTAMP,
        "last_seen": TIMESTAMP,
        "first_success": TIMESTAMP,
        "succeeded_later": pa.bool_(),
        "top_usernames": TOP_TYPE,
        "top_clients": TOP_TYPE,
        "succeeded_as": pa.list_(pa.string()),
        "succeeded_from": pa.list_(pa.string()),
    }
    return pa.schema([pa.field(c, types.get(c, pa.string())) for c in COLUMNS[by]]).empty_table()


# --- read from a window (`analyzer.dataset.reading.Window`) ---------------------------------


def auth_failures_in(win, by: str = "client-ip") -> pa.Table:
    """`auth_failures` of the window, with its successful logins (and, by client IP, the
    anvil connection rates), as `reports.auth.auth_failures_in` reads them."""
    failures = win.arrow("auth_failures", FAILURE_COLUMNS)
    msgs = win.arrow("messages", ["first_seen", "client_ip", "sasl_username", "filter_of"])
    msgs = msgs.filter(logged_in(msgs))
    conns = win.arrow("connections", ["ts", "client_ip", "sasl_username", "auth_ok", "messages"])
    conns = conns.filter(bare_auth(conns))
    rates = win.arrow("client_rates", RATE_COLUMNS) if by == "client-ip" else None
    return auth_failures(failures, successes(msgs, conns), by, rates)
