"""The volume rule's hourly history kept between evaluations (`HourlyHistory`) is the
history a fresh read gives, after every commit and after a compaction merged the parts
it was counted from; a day whose parts did not change is not read again."""

from datetime import datetime, timedelta

import pandas as pd
import pytest

from analyzer.config import BaselineThresholds
from analyzer.dataset.compact import compact
from analyzer.dataset.reading import Window, snapshot
from analyzer.dataset.status import coverage
from analyzer.ingest.run import ingest
from analyzer.reports.baselines import COLUMNS, accounts, is_in, volume_in
from analyzer.reports.baselines_history import HourlyHistory, per_hour
from analyzer.samplegen.postfix import generate_postfix

START = datetime(2026, 11, 2)
RULE = BaselineThresholds(min_days=1)  # a baseline from the first day on


def fresh(win, start, end, wanted) -> pd.Series:
    rows = win.read("messages", COLUMNS, since=start, until=end, where=lambda a: is_in(a, wanted))
    return per_hour(accounts(rows))


def same(a: pd.Series, b: pd.Series) -> None:
    a, b = a[a > 0].sort_index(), b[b > 0].sort_index()
    assert a.index.tolist() == b.index.tolist()
    assert a.tolist() == b.tolist()


@pytest.fixture(scope="module")
def generated():
    lines, _ = generate_postfix(seed=7, start=START, days=3.6, messages_per_day=500)
    return lines


def checked(data, history: HourlyHistory, end: datetime) -> pd.Series:
    """The kept history of the window ending at `end` against a fresh read; and the
    rule's rows with the kept history against those of a fresh one."""
    snap = snapshot(data)
    lo = end - timedelta(hours=1)
    win = Window(snap, lo, end, None)
    everyone = set(accounts(win.read("messages", COLUMNS, since=None, until=None))["identity"])
    covers = coverage(snap)
    # the history volume_in reads: the week before the window, from the dataset's start
    start = max(pd.Timestamp(lo) - pd.Timedelta(days=7), covers[0].floor("h"))
    kept = history.per_hour(win, start, pd.Timestamp(lo), everyone)
    same(kept, fresh(win, start.to_pydatetime(), lo, everyone))
    pd.testing.assert_frame_equal(
        volume_in(win, RULE, covers, history), volume_in(win, RULE, covers)
    )
    return kept


def test_the_kept_history_is_the_fresh_one_after_commits_and_compaction(tmp_path, generated):
    log, data = tmp_path / "maillog", tmp_path / "data"
    log.write_text("")
    history = HourlyHistory()
    # commits at uneven times (mid-hour, mid-day), the history read after each
    cuts = [len(generated) * k // 9 for k in range(1, 10)]
    done = 0
    for n, cut in enumerate(cuts):
        with open(log, "a") as f:
            f.write("".join(line + "\n" for line in generated[done:cut]))
        done = cut
        ingest([str(log)], str(data), tz="UTC", year=2026)
        end = _time(generated[cut - 1])
        kept = checked(data, history, end)
        if n == 4:
            assert len(kept) > 50, "a real history: many accounts and hours"
            counted = history.recounted
            checked(data, history, end)  # nothing committed: nothing read again
            assert history.recounted == counted
            compact(data)  # merges the parts the kept days were counted from
            checked(data, history, end)
            assert history.recounted > counted
    assert set(history.days) <= {(START + timedelta(days=d)).date() for d in range(5)}


def test_a_history_shorter_than_an_hour_or_empty(tmp_path, generated):
    log = tmp_path / "maillog"
    log.write_text("".join(line + "\n" for line in generated[:3000]))
    data = tmp_path / "data"
    ingest([str(log)], str(data), tz="UTC", year=2026)
    win = Window(snapshot(data), START, START + timedelta(hours=2), None)
    history = HourlyHistory()
    lo, hi = pd.Timestamp(START, tz="UTC"), pd.Timestamp(START, tz="UTC") + pd.Timedelta(minutes=40)
    everyone = {"sasl:nobody@ex.example"}
    same(history.per_hour(win, lo, hi, everyone), fresh(win, lo, hi, everyone))
    assert history.per_hour(win, hi, lo, everyone).empty


def _time(line: str) -> datetime:
    from datetime import UTC

    return datetime.strptime(f"2026 {line[:15]}", "%Y %b %d %H:%M:%S").replace(tzinfo=UTC)
