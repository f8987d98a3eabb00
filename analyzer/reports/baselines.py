"""Per-identity baselines: "this account usually sends 20 an hour". An account (a SASL
login, a local uid or user) whose busiest 60 minutes of the window exceed its own usual
hourly volume by a factor, and a floor, is a `volume_anomaly` incident: a stolen password
or a hijacked script on an account too quiet for the absolute thresholds of the other
rules to notice.

The one definition, used by the nightly report's incident list and by `watch` (both
through `analyzer.nightly.model.build` -> `analyzer.reports.incidents.find_incidents`):

- usual: the `quantile` (0.9) of the identity's messages per clock hour over the
  `days` (7) of history before the window, hours it sent nothing counted as 0, over the
  hours the dataset covers; an identity needs `min_days` (3) of covered history (a new
  dataset has no baselines, the other rules still apply); one that never sent in its
  history has a usual volume of 0;
- peak: its most messages in any 60 minutes of the window;
- an incident when peak >= max(factor x usual, floor): `warn` at `factor_warn` (5) and
  `floor_warn` (30), `crit` at `factor_crit` (20) and `floor_crit` (100).

Counted: messages that are not a content filter's re-injection (as every report counts
them), of identities `sasl:`, `uid:` and `user:` (an `ip:` identity is an unauthenticated
client, not an account of this server). Thresholds: `[thresholds.baselines]`.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from ..config import BaselineThresholds
from .baselines_history import HourlyHistory, per_hour
from .common import is_original
from .incidents import Incident, uid_label, worst

ACCOUNTS = ("sasl:", "uid:", "user:")  # identities that are accounts of this server
COLUMNS = ["first_seen", "identity", "filter_of"]
HOUR = pd.Timedelta(hours=1)


def volume_in(
    win, t: BaselineThresholds, covers=(None, None), history: HourlyHistory | None = None
) -> pd.DataFrame:
    """One row per account that sent in the window: identity, messages, peak (its most
    messages in 60 minutes), peak_start, usual (its hourly baseline; NaN without enough
    history), history_days, factor (peak / usual), first_seen, last_seen. `covers`: the
    dataset's first and last time (`dataset.status.coverage`); `history`: the hourly
    counts kept from earlier evaluations of the same dataset (`watch`), else read."""
    now = accounts(win.read("messages", COLUMNS))
    if now.empty or win.lo is None:
        return _empty()
    lo = pd.Timestamp(win.lo)
    start = lo - pd.Timedelta(days=t.days)
    first, last = covers
    if first is not None:
        start = max(start, pd.Timestamp(first).floor("h"))
    end = min(lo, pd.Timestamp(last)) if last is not None else lo
    hours = max(int((end - start) / HOUR), 0)
    wanted = set(now["identity"].unique())
    if history is not None:  # kept between evaluations: the same counts, read less
        counts = history.per_hour(win, start, lo, wanted)
    else:
        counts = per_hour(accounts_in(win, start, lo, wanted))
    history_days = hours / 24
    usual = _usual(counts, hours, t.quantile) if history_days >= t.min_days else {}
    rows = []
    for identity, group in now.groupby("identity", sort=False):
        times = group["first_seen"].sort_values()
        peak, peak_start = _peak(times)
        base = usual.get(identity, 0.0) if history_days >= t.min_days else float("nan")
        rows.append(
            {
                "identity": identity,
                "messages": len(times),
                "peak": peak,
                "peak_start": peak_start,
                "usual": base,
                "history_days": history_days,
                "factor": peak / base if base > 0 else float("inf"),
                "first_seen": times.iloc[0],
                "last_seen": times.iloc[-1],
            }
        )
    out = pd.DataFrame(rows)
    if out.empty:
        return _empty()
    return out.sort_values(["peak", "identity"], ascending=[False, True]).reset_index(drop=True)


def volume_incidents(
    volume, t: BaselineThresholds, users: dict[int, str] | None = None
) -> list[Incident]:
    """The accounts of `volume_in` whose peak exceeds their usual volume (see above)."""
    out: list[Incident] = []
    if volume is None or volume.empty:
        return out
    for row, r in enumerate(volume.itertuples(index=False)):
        usual = float(r.usual)
        if usual != usual:  # NaN: not enough history
            continue
        peak = int(r.peak)
        severity = worst(
            [
                "warn" if peak >= max(t.factor_warn * usual, t.floor_warn) else None,
                "crit" if peak >= max(t.factor_crit * usual, t.floor_crit) else None,
            ]
        )
        if not severity:
            continue
        times = f"{usual:.0f}" if usual >= 1 else f"{usual:.1f}"
        factor = "never sent before" if usual == 0 else f"{peak / usual:.0f}x its usual"
        reasons = [
            f"{peak:,} messages in 60 minutes from {r.peak_start:%H:%M} UTC",
            f"usually {times} an hour ({t.quantile:.0%} of its hours over "
            f"{float(r.history_days):.0f} days): {factor}",
        ]
        summary = f"{int(r.messages):,} messages in the window; " + "; ".join(reasons)
        out.append(
            Incident(
                severity,
                "volume_anomaly",
                subject_of(str(r.identity), users or {}),
                summary,
                reasons,
                "volume",
                row,
            )
        )
    return out


def subject_of(identity: str, users: dict[int, str]) -> str:
    """The account an operator acts on: the SASL login, `uid N (name)`, the user."""
    kind, _, value = identity.partition(":")
    if kind == "uid" and value.isdigit():
        return uid_label(int(value), users)
    return value


def accounts_in(win, start: pd.Timestamp, end: pd.Timestamp, wanted: set[str]) -> pd.DataFrame:
    """The counted messages of the accounts `wanted` with first_seen in [start, end)."""
    rows = win.read(
        "messages",
        COLUMNS,
        since=start.to_pydatetime(),
        until=end.to_pydatetime(),
        where=lambda arrow: is_in(arrow, wanted),
    )
    return accounts(rows)


def accounts(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame
    frame = frame[is_original(frame)]
    identity = frame["identity"].astype("string")
    keep = identity.str.startswith(ACCOUNTS).fillna(False).astype(bool)
    return frame[keep & frame["first_seen"].notna()]


def is_in(arrow, wanted: set[str]):
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.is_in(arrow["identity"], value_set=pa.array(sorted(wanted), type=pa.string()))


def _usual(per_hour: pd.Series, hours: int, quantile: float) -> dict[str, float]:
    """identity -> the `quantile` of its messages per clock hour over `hours` hours
    (`per_hour`: messages per identity and hour, the hours it sent)."""
    if per_hour.empty or hours <= 0:
        return {}
    out = {}
    for identity, counts in per_hour.groupby(level=0, sort=False):
        values = np.zeros(max(hours, len(counts)))
        values[: len(counts)] = counts.to_numpy()
        out[str(identity)] = float(np.quantile(values, quantile))
    return out


def _peak(times: pd.Series) -> tuple[int, pd.Timestamp]:
    """The most of `times` (sorted) within 60 minutes, and when those 60 minutes start."""
    values = times.dt.tz_localize(None).to_numpy() if times.dt.tz else times.to_numpy()
    ends = np.searchsorted(values, values + np.timedelta64(timedelta(hours=1)), side="left")
    counts = ends - np.arange(len(values))
    best = int(np.argmax(counts))
    return int(counts[best]), times.iloc[best]


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "identity": pd.Series(dtype="string"),
            "messages": pd.Series(dtype="int64"),
            "peak": pd.Series(dtype="int64"),
            "peak_start": pd.Series(dtype="datetime64[us, UTC]"),
            "usual": pd.Series(dtype="float64"),
            "history_days": pd.Series(dtype="float64"),
            "factor": pd.Series(dtype="float64"),
            "first_seen": pd.Series(dtype="datetime64[us, UTC]"),
            "last_seen": pd.Series(dtype="datetime64[us, UTC]"),
        }
    )
