"""SMTP AUTH failures by client IP (or by username), with the compromise sign: the same
IP (or username) authenticated successfully after its first failure."""

from __future__ import annotations

import pandas as pd

from ..dataset.reading import to_pandas
from ..dataset.snapshot import Reduction
from .auth_spec import (
    BY,
    COLUMNS,
    FAILURE_COLUMNS,
    NOT_LOGGED,
    RATE_COLUMNS,
    bare_auth,
    logged_in,
)
from .common import auto_bucket, check_bucket, is_original, per_bucket, top_values_by


def successes(messages: pd.DataFrame, connections: pd.DataFrame | None) -> pd.DataFrame:
    """Successful SASL logins: `ts`, `client_ip`, `sasl_username`, `message` (1 for a
    submitted message). Every authenticated message is one (at its `client=` line); an
    SMTP session that authenticated (`auth=1`) but submitted nothing is one at its
    connect time, with the account `(not logged)` (Postfix names the login only on the
    `client=` line of a message)."""
    parts = []
    if messages is not None and len(messages):
        m = messages[
            messages["sasl_username"].notna()
            & messages["client_ip"].notna()
            & is_original(messages)
        ]  # a filter's re-injection is no second login
        parts.append(
            pd.DataFrame(
                {
                    "ts": m["first_seen"],
                    "client_ip": m["client_ip"],
                    "sasl_username": m["sasl_username"],
                    "message": 1,
                }
            )
        )
    if connections is not None and len(connections):
        c = connections[
            (connections["auth_ok"].fillna(0) > 0)
            & (connections["messages"].fillna(0) == 0)
            & connections["client_ip"].notna()
        ]
        parts.append(
            pd.DataFrame(
                {
                    "ts": c["ts"],
                    "client_ip": c["client_ip"],
                    "sasl_username": c["sasl_username"].fillna(NOT_LOGGED),
                    "message": 0,
                }
            )
        )
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(
            {
                "ts": pd.Series([], dtype="datetime64[us, UTC]"),
                "client_ip": pd.Series([], dtype="str"),
                "sasl_username": pd.Series([], dtype="str"),
                "message": pd.Series([], dtype="int64"),
            }
        )
    out = pd.concat(parts, ignore_index=True).sort_values("ts", kind="stable")
    return out.astype({"message": "int64"}).reset_index(drop=True)


def auth_failures(
    failures: pd.DataFrame,
    succeeded: pd.DataFrame,
    by: str = "client-ip",
    rates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per client IP (`by="client-ip"`) or tried username (`by="username"`),
    most failures first. `succeeded`: the output of `successes`. `succeeded_later`: a
    successful login of the same IP (username) after its first failure; `succeeded_as`
    (`succeeded_from`) lists the accounts (IPs) of those logins, `messages_after` counts
    the messages they submitted. `usernames` (distinct usernames tried) is missing when
    none was logged (Postfix before 3.8 logs no username of a failed AUTH). By client IP,
    `rates` (rows of `client_rates`) give `max_connection_rate` (per minute) and
    `max_connection_count`: how hard the IP hammered the server, when anvil logged it."""
    return auth_failures_of(count_failures(failures), succeeded, by, _anvil_peaks(rates))


def count_failures(failures: pd.DataFrame) -> pd.DataFrame:
    """The failures summed up per (client IP, username, client name): `n`, `first`,
    `last`. Sums of any split of the failures combine (`combine_failures`) into the
    sums of all: the cluster counts each part on its own (`FAILURE_COUNTS`)."""
    grouped = failures.groupby(COUNT_KEYS, dropna=False, sort=False)["ts"]
    counts = grouped.agg(n="size", first="min", last="max").reset_index()
    return counts.astype({"n": "int64"})


def combine_failures(counts: list[pd.DataFrame]) -> pd.DataFrame:
    """One `count_failures` frame of several."""
    every = pd.concat(counts, ignore_index=True)
    grouped = every.groupby(COUNT_KEYS, dropna=False, sort=False)
    out = grouped.agg(n=("n", "sum"), first=("first", "min"), last=("last", "max"))
    return out.reset_index().astype({"n": "int64"})


COUNT_KEYS = ["client_ip", "sasl_username", "client_name"]
FAILURE_COUNTS = Reduction(lambda arrow: count_failures(to_pandas(arrow)), combine_failures)


def auth_failures_of(
    counts: pd.DataFrame,
    succeeded: pd.DataFrame,
    by: str = "client-ip",
    peaks: dict[str, pd.Series] | None = None,
) -> pd.DataFrame:
    """`auth_failures` of the failures' sums (`count_failures`) and, by client IP, the
    anvil peaks per IP (`RATE_PEAKS`). A client IP's
    `client_name` is its most frequent reverse name, the alphabetically first of a tie
    (so the answer does not depend on the order of the rows)."""
    if by not in BY:
        raise ValueError(f"by must be one of {', '.join(BY)}, not {by!r}")
    key, other = BY[by], BY["username" if by == "client-ip" else "client-ip"]
    fails = counts.copy()
    if by == "username":
        fails[key] = fails[key].fillna(NOT_LOGGED)
    fails = fails[fails[key].notna()]
    if by == "username":  # a success of an unnamed login proves nothing about a username
        succeeded = succeeded[succeeded[key] != NOT_LOGGED]
    if fails.empty:
        return _empty(by)

    grouped = fails.groupby(key, sort=False)
    out = grouped.agg(
        failures=("n", "sum"),
        first_seen=("first", "min"),
        last_seen=("last", "max"),
        _others=(other, "nunique"),
    )
    tops = top_values_by(fails, key, other, 5, weight="n")
    out["_top"] = [tops.get(k, []) for k in out.index]
    if by == "client-ip":
        names = fails.dropna(subset=["client_name"])
        names = names[names["client_name"] != "unknown"]
        per = names.groupby([key, "client_name"], sort=False)["n"].sum().reset_index()
        per = per.sort_values([key, "n", "client_name"], ascending=[True, False, True])
        name = per.drop_duplicates(key).set_index(key)["client_name"]
        out["client_name"] = name.reindex(out.index).astype("str")

    # later successes: same key, after the key's first failure
    # merged on a column, not the index: pandas 3 names an empty merge's index after the
    # key, which the groupby below would find both as a level and a column
    firsts = out[["first_seen"]].rename_axis(key).reset_index()
    later = succeeded.merge(firsts, on=key, how="inner")
    later = later[later["ts"] > later["first_seen"]]
    agg = later.groupby(key, sort=False).agg(
        first_success=("ts", "min"),
        messages_after=("message", "sum"),
        _as=(other, lambda s: sorted(set(s.dropna().astype("str")))),
    )
    out = out.join(agg, how="left")
    out["succeeded_later"] = out["first_success"].notna()
    out["messages_after"] = out["messages_after"].fillna(0).astype("int64")
    out["_as"] = [v if isinstance(v, list) else [] for v in out["_as"]]
    out = out.reset_index().rename(columns={"index": key})
    out = out.sort_values(["failures", key], ascending=[False, True], kind="stable")
    names = {
        "client-ip": {"_others": "usernames", "_top": "top_usernames", "_as": "succeeded_as"},
        "username": {"_others": "client_ips", "_top": "top_clients", "_as": "succeeded_from"},
    }
    out = out.rename(columns=names[by])
    if by == "client-ip":
        for column, value in (peaks or _anvil_peaks(None)).items():
            out[column] = out["client_ip"].map(value).astype("Int64")
    out["failures"] = out["failures"].astype("int64")
    others = out[names[by]["_others"]].astype("Int64")
    if by == "client-ip":  # Postfix < 3.8 logs no username: not logged, not "0 usernames"
        others = others.mask(others == 0)
    out[names[by]["_others"]] = others
    return out[COLUMNS[by]].reset_index(drop=True)


def _anvil_peaks(rates: pd.DataFrame | None) -> dict[str, pd.Series]:
    """Per client IP: the highest connection rate anvil saw (per minute, whatever its
    `anvil_rate_time_unit`) and the most simultaneous connections."""
    empty = pd.Series([], dtype="Int64")
    if rates is None or rates.empty:
        return {"max_connection_rate": empty, "max_connection_count": empty}
    rate = rates[rates["kind"] == "connection_rate"]
    per_minute = (
        rate["figure"].astype("float64")
        * 60
        / rate["period"].astype("float64").fillna(60).clip(lower=1)
    ).round()
    count = rates[rates["kind"] == "connection_count"]
    return {
        "max_connection_rate": per_minute.groupby(rate["client_ip"]).max(),
        "max_connection_count": count["figure"].groupby(count["client_ip"]).max(),
    }


def _max_peaks(parts: list[dict[str, pd.Series]]) -> dict[str, pd.Series]:
    """One `_anvil_peaks` of several: the highest of each IP's peaks."""
    return {
        name: pd.concat([p[name] for p in parts]).groupby(level=0, sort=False).max()
        for name in parts[0]
    }


RATE_PEAKS = Reduction(lambda arrow: _anvil_peaks(to_pandas(arrow)), _max_peaks)


def timeline(failures: pd.DataFrame, by: str, keys: list | None, bucket: str) -> pd.DataFrame:
    """Failures per `bucket` for each client IP (username): `bucket`, `key`, `failures`."""
    key = BY[by]
    fails = (
        failures.assign(**{key: failures[key].fillna(NOT_LOGGED)})
        if by == "username"
        else failures[failures[key].notna()]
    )
    span = (fails["ts"].min(), fails["ts"].max()) if len(fails) else None
    order = None
    if keys is not None:
        order = [str(k) for k in dict.fromkeys(keys)]
        fails = fails[fails[key].isin(order)]
        order = [k for k in order if k in set(fails[key])]
    if fails.empty:
        return pd.DataFrame(
            {
                "bucket": pd.Series([], dtype="datetime64[us, UTC]"),
                "key": pd.Series([], dtype="str"),
                "failures": pd.Series([], dtype="int64"),
            }
        )
    return per_bucket(fails[key], fails["ts"], bucket, "failures", order, span)


def _empty(by: str) -> pd.DataFrame:
    ts = "datetime64[us, UTC]"
    dtypes = {
        "failures": "int64",
        "usernames": "Int64",
        "client_ips": "Int64",
        "max_connection_rate": "Int64",
        "max_connection_count": "Int64",
        "messages_after": "int64",
        "first_seen": ts,
        "last_seen": ts,
        "first_success": ts,
        "succeeded_later": "bool",
        "top_usernames": object,
        "top_clients": object,
        "succeeded_as": object,
        "succeeded_from": object,
    }
    return pd.DataFrame({c: pd.Series([], dtype=dtypes.get(c, "str")) for c in COLUMNS[by]})


# --- read from a window (`analyzer.dataset.reading.Window`) ----------------------------------------


def auth_failures_in(win, by: str = "client-ip") -> pd.DataFrame:
    """`auth_failures` of the window, with its successful logins (and, by client IP, the
    anvil connection rates)."""
    counts = win.reduce("auth_failures", FAILURE_COLUMNS, FAILURE_COUNTS)
    msgs = win.read(
        "messages", ["first_seen", "client_ip", "sasl_username", "filter_of"], where=logged_in
    )
    conns = win.read(
        "connections", ["ts", "client_ip", "sasl_username", "auth_ok", "messages"], where=bare_auth
    )
    peaks = win.reduce("client_rates", RATE_COLUMNS, RATE_PEAKS) if by == "client-ip" else None
    return auth_failures_of(counts, successes(msgs, conns), by, peaks)


def timeline_in(
    win, by: str = "client-ip", keys: list | None = None, bucket: str | None = None
) -> pd.DataFrame:
    """`timeline` of the window; `bucket` by default chosen from the failures' span."""
    fails = win.read("auth_failures", FAILURE_COLUMNS)
    bucket = check_bucket(bucket or auto_bucket(fails["ts"].min(), fails["ts"].max()))
    return timeline(fails, by, keys, bucket)
