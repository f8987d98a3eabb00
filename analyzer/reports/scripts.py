"""Suspicious scripts: local submissions grouped by (host, identity, script) — a uid is an
account of one server, so the same uid and script on two servers are two scripts —
scored by the signs of a hijacked site or a dropped spam script. The points are listed in `docs/reports.md`
and each one that applies adds a short reason; the score is their sum.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from .common import duration, is_original, link, tally

MESSAGE_COLUMNS = [
    "first_seen",
    "last_seen",
    "host",
    "queue_id",
    "identity",
    "origin",
    "uid",
    "user",
    "script",
    "script_path",
    "nrcpt",
    "sent",
    "deferred",
    "bounced",
    "filter_of",
]
DELIVERY_COLUMNS = ["host", "queue_id", "message_first_seen", "recipient", "recipient_domain"]

COLUMNS = [
    "host",
    "uid",
    "script",
    "identity",
    "script_path",
    "messages",
    "recipients",
    "recipient_domains",
    "peak_hour_messages",
    "bounce_rate",
    "first_seen",
    "last_seen",
    "history_messages",
    "score",
    "reasons",
]

# thresholds of the signs (points in parentheses)
VOLUME_MIN = 20  # messages before volume or novelty can count
NEW_SCRIPT = 4  # a script its identity never used before (points)
NEW_IDENTITY = 3  # an identity never seen before (points)
VOLUME_HIGH = 5.0  # x the usual volume (3); VOLUME_RAISED x (1)
VOLUME_RAISED = 2.0
BURST_HIGH = 100  # messages in one clock hour (2); BURST_RAISED (1)
BURST_RAISED = 30
BOUNCE_MIN_FINAL = 10  # delivered + bounced recipients before the bounce rate counts
BOUNCE_HIGH = 0.25  # (2); BOUNCE_RAISED (1)
BOUNCE_RAISED = 0.10
FANOUT_HIGH = 100  # distinct recipient domains (2); FANOUT_RAISED (1)
FANOUT_RAISED = 25

_WRITABLE_DIRS = re.compile(r"(^|/)(uploads?|tmp|temp|cache|\.cache|dev/shm|var/tmp)(/|$)", re.I)
_EVAL = re.compile(r"eval\(\)'d code|: runtime-created function|regexp code|assert code", re.I)
_VOWELS = set("aeiouy")


def path_signs(script: str | None) -> list[tuple[int, str]]:
    """(points, reason) for what the script's path or name gives away."""
    if not isinstance(script, str) or not script:
        return []
    signs = []
    if _EVAL.search(script):
        signs.append((3, "eval()'d code"))
    path = _EVAL.sub("", script).split("(")[0].strip()
    directory, _, name = path.rpartition("/")
    if directory and _WRITABLE_DIRS.search(directory + "/"):
        signs.append((3, "runs from a writable dir (uploads/tmp/cache)"))
    if name.startswith(".") or any(
        p.startswith(".") and p not in (".", "..") for p in directory.split("/")
    ):
        signs.append((2, "hidden file or dir"))
    if random_looking(name):
        signs.append((2, "random-looking name"))
    return signs


def random_looking(name: str) -> bool:
    """A file name like `x7f3k2q9.php`, `a1b2c3.php`, `3f2a9c0e1b.php`: one run of letters
    and digits (no separators) that is mostly digits mixed in, hex, or unpronounceable."""
    stem = name.rsplit(".", 1)[0].lower() if "." in name.lstrip(".") else name.lower()
    stem = stem.lstrip(".")
    if len(stem) < 6 or not stem.isalnum() or not stem.isascii():
        return False
    digits = sum(c.isdigit() for c in stem)
    letters = [c for c in stem if c.isalpha()]
    if digits >= 2 and letters and digits / len(stem) >= 0.25:
        return True
    if len(stem) >= 8 and all(c in "0123456789abcdef" for c in stem) and digits:
        return True
    if letters and len(letters) >= 6:
        vowel_share = sum(c in _VOWELS for c in letters) / len(letters)
        if vowel_share < 0.15:
            return True
    return False


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
    deliveries that may belong to them; `history`: local `messages` before the window
    (the identity's own history on that host), covering `history_days` days (0: no history known, the
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
        hist = history[(history["origin"] == "local").fillna(False) & is_original(history)]
        hist = hist.assign(script=hist["script"].astype("str"))
        per = hist.groupby(keys, dropna=False, sort=False).size()
        ids_before = set(hist["identity"].dropna().unique().tolist())
        out["history_messages"] = per.reindex(out.index).fillna(0).astype("int64")
    else:
        ids_before = set()
        out["history_messages"] = 0
    out = out.reset_index()

    scores, reasons = [], []
    for row in out.itertuples(index=False):
        points = _score(row, known, ids_before, window_days, history_days)
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


def _score(
    row, known: bool, ids_before: set, window_days: float, history_days: float
) -> list[tuple[int, str]]:
    points: list[tuple[int, str]] = []
    messages = int(row.messages)
    if known and messages >= VOLUME_MIN:
        since = f"the previous {_days(history_days)}"
        if row.history_messages == 0 and row.identity in ids_before:
            points.append((NEW_SCRIPT, f"new script: {messages} messages, none in {since}"))
        elif row.history_messages == 0:
            points.append((NEW_IDENTITY, f"new identity: {messages} messages, none in {since}"))
        else:
            usual = row.history_messages / history_days * window_days
            factor = messages / max(usual, 1.0)
            reason = f"{_times(factor)} its usual volume (expected {usual:.1f} from {since})"
            if factor >= VOLUME_HIGH:
                points.append((3, reason))
            elif factor >= VOLUME_RAISED:
                points.append((1, reason))
    peak = int(row.peak_hour_messages)
    if peak >= BURST_HIGH:
        points.append((2, f"burst: {peak} messages in one hour"))
    elif peak >= BURST_RAISED:
        points.append((1, f"burst: {peak} messages in one hour"))
    if row.final >= BOUNCE_MIN_FINAL and not pd.isna(row.bounce_rate):
        if row.bounce_rate >= BOUNCE_HIGH:
            points.append((2, f"bounce rate {row.bounce_rate:.0%}"))
        elif row.bounce_rate >= BOUNCE_RAISED:
            points.append((1, f"bounce rate {row.bounce_rate:.0%}"))
    domains = int(row.recipient_domains)
    if domains >= FANOUT_HIGH:
        points.append((2, f"fan-out: {domains} recipient domains"))
    elif domains >= FANOUT_RAISED:
        points.append((1, f"fan-out: {domains} recipient domains"))
    where = row.script_path if isinstance(row.script_path, str) else row.script
    points.extend(path_signs(where))
    return points


def _times(factor: float) -> str:
    return f"{factor:.0f}x" if factor >= 10 else f"{factor:.1f}x"


def _days(days: float) -> str:
    if days >= 1:
        return f"{math.floor(days + 0.5):g} days" if days >= 1.5 else "day"
    return f"{days * 24:.0f} hours"


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
    window = win.read("messages", MESSAGE_COLUMNS)
    window = window[(window["origin"] == "local").fillna(False)]
    if window.empty:
        return suspicious_scripts(window, window, None)  # no local mail: no rows
    dels = win.deliveries_of(window, DELIVERY_COLUMNS)
    end = pd.Timestamp(win.hi) if win.hi else window["first_seen"].max()
    start = pd.Timestamp(win.lo) if win.lo else window["first_seen"].min()
    window_days = max((end - start) / pd.Timedelta(days=1), 1 / 24)

    hist, history_days = None, 0.0
    span = duration(history) if history not in (None, "", "0", 0) else None
    if span is not None and win.lo is not None:
        history_lo = win.lo - span
        import pyarrow.compute as pc

        reach = {}

        def local_only(arrow):
            reach["first"] = pc.min(arrow["first_seen"]).as_py()  # how far the data goes back
            return pc.equal(arrow["origin"], "local")

        hist = win.read(
            "messages",
            ["first_seen", "host", "identity", "origin", "script", "filter_of"],
            since=history_lo,
            until=win.lo,
            where=local_only,
        )
        if reach.get("first") is not None:
            covered_from = max(pd.Timestamp(history_lo), pd.Timestamp(reach["first"]))
            history_days = (pd.Timestamp(win.lo) - covered_from) / pd.Timedelta(days=1)
    return suspicious_scripts(window, dels, hist, window_days, history_days)
