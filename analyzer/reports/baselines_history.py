"""The hourly history the volume rule compares each account with (`baselines.volume_in`),
kept between evaluations. `watch` evaluates every few seconds; reading the trailing week
of messages each time costs a week's read per iteration and leaves the allocators a
week-sized high-water mark.

`HourlyHistory` keeps, per UTC day, the messages per account and clock hour of that
day's committed parts, while the day's part files stay the same: a commit that adds a
part to the day, or a compaction that merges them, makes the day counted again. Rows of
one day are only in that day's parts (the tables are partitioned by the UTC date of
their time column). What can change without a part changing is read fresh each time:
the open messages of the snapshot's commit, and the partial hours at the two edges of
the history. So the history is the one a fresh read gives
(tests/watch/test_hourly_history.py).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

Counts = tuple[np.ndarray, np.ndarray, np.ndarray]  # identities, hours (UTC, naive), counts


def per_hour(frame: pd.DataFrame) -> pd.Series:
    """Messages per (identity, clock hour) of `frame`'s rows (first_seen, identity)."""
    if frame.empty:
        return _no_counts()
    return frame.groupby(["identity", frame["first_seen"].dt.floor("h")], sort=False).size()


class HourlyHistory:
    """Per-day hourly counts of every account, kept between evaluations of one dataset."""

    def __init__(self) -> None:
        # the days from the start of the last history read on (8 for a week that starts
        # mid-day), each with the part files it was counted from
        self.days: dict[date, tuple[tuple[str, ...], Counts]] = {}
        self.recounted = 0  # days counted from their parts so far

    def per_hour(self, win, start: pd.Timestamp, end: pd.Timestamp, wanted: set) -> pd.Series:
        """Messages per (identity, clock hour) of the accounts `wanted` with first_seen
        in [start, end) in the window's snapshot, as `per_hour` of a fresh read gives."""
        from ..dataset.reading import to_pandas, with_carried
        from ..schema import TABLES
        from .baselines import COLUMNS, accounts

        full_lo, full_hi = start.ceil("h"), end.floor("h")
        if full_hi <= full_lo:  # less than an hour: nothing worth keeping
            return per_hour(self._fresh(win, start, end, wanted))
        pieces = [
            per_hour(self._fresh(win, start, full_lo, wanted)),
            per_hour(self._fresh(win, full_hi, end, wanted)),
        ]
        # the open messages of the full hours (the edges' reads include their own)
        empty = TABLES["messages"].arrow_schema.empty_table().select(COLUMNS)
        lo, hi = full_lo.to_pydatetime(), full_hi.to_pydatetime()
        carried = with_carried(win.snap, "messages", empty, lo, hi, COLUMNS)
        pieces.append(per_hour(_only(accounts(to_pandas(carried)), wanted)))
        days = _days(full_lo, full_hi)
        lo64, hi64 = _naive(full_lo), _naive(full_hi)
        for day in days:
            identities, hours, counts = self._day(win.snap, day)
            keep = (hours >= lo64) & (hours < hi64) & np.isin(identities, list(wanted))
            # new arrays, not a view of the kept Series: pandas would note each view
            # in the kept one (a weak reference per evaluation, never dropped)
            index = [identities[keep], pd.DatetimeIndex(hours[keep]).tz_localize("UTC")]
            pieces.append(pd.Series(counts[keep], index=pd.MultiIndex.from_arrays(index)))
        for day in [d for d in self.days if d < days[0]]:
            del self.days[day]  # before the history: the windows only move on
        pieces = [p for p in pieces if len(p)]
        if not pieces:
            return _no_counts()
        return pd.concat(pieces).groupby(level=[0, 1], sort=False).sum()

    def _day(self, snap, day: date) -> Counts:
        """Messages per (identity, hour) of the committed parts of `day`, all accounts:
        identities, hours (UTC, naive), counts."""
        from ..dataset.reading import to_pandas
        from .baselines import COLUMNS, accounts

        key = tuple(p.as_posix() for p in snap.parts("messages", day, day))
        kept = self.days.get(day)
        if kept is not None and kept[0] == key:
            return kept[1]
        lo = pd.Timestamp(day, tz="UTC")
        hi = lo + pd.Timedelta(days=1)
        rows = to_pandas(snap.read("messages", lo.to_pydatetime(), hi.to_pydatetime(), COLUMNS))
        counts = per_hour(accounts(rows))
        arrays = (
            np.asarray(counts.index.get_level_values(0), dtype=object),
            counts.index.get_level_values(1).tz_convert(None).to_numpy(),
            counts.to_numpy(),
        )
        self.days[day] = (key, arrays)
        self.recounted += 1
        return arrays

    def _fresh(self, win, start: pd.Timestamp, end: pd.Timestamp, wanted: set) -> pd.DataFrame:
        from .baselines import accounts_in

        return accounts_in(win, start, end, wanted) if end > start else pd.DataFrame()


def _naive(t: pd.Timestamp) -> np.datetime64:
    return t.tz_convert(None).to_datetime64()


def _only(frame: pd.DataFrame, wanted: set) -> pd.DataFrame:
    return frame[frame["identity"].isin(list(wanted))] if len(frame) else frame


def _days(lo: pd.Timestamp, hi: pd.Timestamp) -> list[date]:
    """The UTC dates of [lo, hi)."""
    first, last = lo.date(), (hi - pd.Timedelta(microseconds=1)).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _no_counts() -> pd.Series:
    index = pd.MultiIndex.from_arrays(
        [pd.Series(dtype="string"), pd.Series(dtype="datetime64[us, UTC]")]
    )
    return pd.Series(dtype="int64", index=index)
