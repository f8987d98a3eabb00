"""Suspicious scripts: local submissions grouped by (host, identity, script) — a uid is an
account of one server, so the same uid and script on two servers are two scripts —
scored by the signs of a hijacked site or a dropped spam script. The points are listed in `docs/reports.md`
and each one that applies adds a short reason; the score is their sum.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..dataset.reading import to_pandas
from ..dataset.snapshot import Reduction
from .common import is_original, link, tally
from .scripts_spec import (  # noqa: F401  (the callers know them as scripts')
    COLUMNS,
    DELIVERY_COLUMNS,
    HISTORY_COLUMNS,
    HISTORY_KEYS,
    MESSAGE_COLUMNS,
    history_span,
    path_signs,
    random_looking,
    score,
)


def suspicious_scripts(
    window: pd.DataFrame,
    deliveries: pd.DataFrame,
    history: pd.DataFrame | None = None,
    window_days: float = 1.0,
    history_days: float = 0.0,
) -> pd.DataFrame:
    """One row per (host, identity, script) of the local submissions in `window`, highest
    score first.

    `window`: rows of `messages` (MESSAGE_COLUMNS) in the report window; `deliveries`:
    deliveries that may belong to them; `history`: the local submissions before the
    window per host, identity and script (`count_history`'s `n`), covering `history_days` days (0: no history known, the
    volume and novelty signs are then not judged); `window_days`: length of the window.
    """
    local = window[(window["origin"] == "local").fillna(False)].reset_index(drop=True)
    if local.empty:
        return _empty()
    keys = ["host", "identity", "script"]
    # a content filter's re-injection is the same message: counted once, its deliveries
    # and bounces still count for the script
    local, dels = link(
        local.assign(
            script=local["script"].astype("str"), _orig=is_original(local).astype("int64")
        ),
        deliveries,
    )
    per_original = {"uid": ("uid", "first"), "script_path": ("script_path", "first")}
    out = tally(local, dels, keys, ["sent", "bounced"], per_original)
    if out.empty:
        return _empty()
    out["final"] = (out["sent"] + out["bounced"]).astype("int64")

    known = history is not None and history_days > 0
    if history is not None and known and len(history):
        per = history.groupby(keys, dropna=False, sort=False)["n"].sum()
        ids_before = set(history["identity"].dropna().unique().tolist())
        out["history_messages"] = per.reindex(out.index).fillna(0).astype("int64")
    else:
        ids_before = set()
        out["history_messages"] = 0
    out = out.reset_index()

    scores, reasons = [], []
    for row in out.itertuples(index=False):
        points = score(row, known, ids_before, window_days, history_days)
        scores.append(sum(p for p, _ in points))
        reasons.append([r for _, r in points])
    out["score"] = np.asarray(scores, dtype="int64")
    out["reasons"] = reasons
    for col in ("messages", "recipients", "peak_hour_messages"):
        out[col] = out[col].astype("int64")
    out["uid"] = out["uid"].astype("Int64")
    out = out.sort_values(
        ["score", "messages", "identity", "script", "host"],
        ascending=[False, False, True, True, True],
        kind="stable",
        na_position="last",
    )
    return out[COLUMNS].reset_index(drop=True)


def _empty() -> pd.DataFrame:
    ts = "datetime64[us, UTC]"
    dtypes = {
        "host": "str",
        "uid": "Int64",
        "script": "str",
        "identity": "str",
        "script_path": "str",
        "bounce_rate": "float64",
        "first_seen": ts,
        "last_seen": ts,
        "reasons": object,
    }
    return pd.DataFrame({c: pd.Series([], dtype=dtypes.get(c, "int64")) for c in COLUMNS})


# --- read from a window (`analyzer.dataset.reading.Window`) ----------------------------------------


def suspicious_scripts_in(win, history: str | None = "30d") -> pd.DataFrame:
    """`suspicious_scripts` of the window's local submissions and their deliveries, against
    the local submissions of `history` before the window (as far back as the data goes)."""
    window = win.read("messages", MESSAGE_COLUMNS, where=_local)
    if window.empty:
        return suspicious_scripts(window, window, None)  # no local mail: no rows
    queue_ids = pa.array(window["queue_id"].dropna().unique().tolist(), type=pa.string())
    dels = win.deliveries_of(  # those of other messages are not sent to the client
        window, DELIVERY_COLUMNS, where=lambda t: pc.is_in(t["queue_id"], value_set=queue_ids)
    )
    end = pd.Timestamp(win.hi) if win.hi else window["first_seen"].max()
    start = pd.Timestamp(win.lo) if win.lo else window["first_seen"].min()
    window_days = max((end - start) / pd.Timedelta(days=1), 1 / 24)

    hist, history_days = None, 0.0
    span = history_span(history)
    if span is not None and win.lo is not None:
        history_lo = win.lo - span
        first, hist = win.reduce("messages", HISTORY_COLUMNS, HISTORY, history_lo, win.lo)
        if first is not None:  # how far the data goes back
            covered_from = max(pd.Timestamp(history_lo), pd.Timestamp(first))
            history_days = (pd.Timestamp(win.lo) - covered_from) / pd.Timedelta(days=1)
    return suspicious_scripts(window, dels, hist, window_days, history_days)


def _local(arrow):
    return pc.equal(arrow["origin"], "local")


def count_history(rows: pd.DataFrame) -> tuple:
    """Of some `messages` rows (HISTORY_COLUMNS): the first time among them (None for
    no rows) and the local submissions per host, identity and script (`n`). The sums of any
    split of the rows combine (`combine_history`) into the sums of all."""
    first = rows["first_seen"].min() if len(rows) else None
    local = rows[(rows["origin"] == "local").fillna(False) & is_original(rows)]
    local = local.assign(script=local["script"].astype("str"))
    per = local.groupby(HISTORY_KEYS, dropna=False, sort=False).size()
    return (None if pd.isna(first) else first), per.rename("n").reset_index()


def combine_history(parts: list[tuple]) -> tuple:
    firsts = [first for first, _ in parts if first is not None]
    every = pd.concat([counts for _, counts in parts], ignore_index=True)
    per = every.groupby(HISTORY_KEYS, dropna=False, sort=False)["n"].sum()
    return (min(firsts) if firsts else None), per.rename("n").reset_index()


HISTORY = Reduction(lambda arrow: count_history(to_pandas(arrow)), combine_history)
