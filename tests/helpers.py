"""Shared test helpers: ingest into a temporary dataset and read tables back."""

from __future__ import annotations

import pandas as pd

from analyzer import api

SORT_KEYS = {
    "messages": ["host", "queue_id", "first_seen"],
    "deliveries": ["ts", "queue_id", "recipient", "status"],
    "rejects": ["ts", "client_ip", "recipient"],
    "auth_failures": ["ts", "client_ip"],
    "connections": ["ts", "pid"],
    "php_mail": ["ts", "script_path"],
    "unparsed": ["source", "offset"],
}


def ingest(paths, data, **kw):
    kw.setdefault("tz", "UTC")
    return api.ingest([str(p) for p in paths], data=data, **kw)


def table(data, name, **kw) -> pd.DataFrame:
    df = api.table(name, data=data, **kw)
    return df.sort_values(SORT_KEYS[name], kind="stable").reset_index(drop=True)


def snapshot(data) -> dict[str, pd.DataFrame]:
    """Every table's logical content, in a canonical order (part files may differ)."""
    return {name: table(data, name) for name in SORT_KEYS}


def assert_same_dataset(a, b) -> None:
    sa, sb = snapshot(a), snapshot(b)
    for name in SORT_KEYS:
        pd.testing.assert_frame_equal(sa[name], sb[name], check_like=False, obj=name)
