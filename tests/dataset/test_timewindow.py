"""--since / --until values."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from analyzer.dataset.timewindow import parse_time, window
from analyzer.errors import AnalyzerError

NOW = datetime(2026, 11, 28, 0, 10, tzinfo=UTC)


def test_relative_and_absolute():
    assert parse_time("6h", now=NOW) == datetime(2026, 11, 27, 18, 10, tzinfo=UTC)
    assert parse_time("2w", now=NOW) == datetime(2026, 11, 14, 0, 10, tzinfo=UTC)
    assert parse_time("2026-11-26", ZoneInfo("Europe/Berlin")) == datetime(
        2026, 11, 25, 23, tzinfo=UTC
    )
    assert parse_time("2026-11-26T09:00+01:00") == datetime(2026, 11, 26, 8, tzinfo=UTC)
    assert parse_time("all") is None and parse_time(None) is None


def test_yesterday_is_the_previous_calendar_day_even_across_dst():
    berlin = ZoneInfo("Europe/Berlin")
    assert window("yesterday", "today", UTC, NOW) == (
        datetime(2026, 11, 27, tzinfo=UTC),
        datetime(2026, 11, 28, tzinfo=UTC),
    )
    after_dst = datetime(2026, 3, 30, 0, 10, tzinfo=UTC)  # 02:10 in Berlin
    lo, hi = window("yesterday", "today", berlin, after_dst)
    assert (hi - lo).total_seconds() == 23 * 3600  # 29 March 2026 had 23 hours there


def test_bad_values_are_clear_errors():
    with pytest.raises(AnalyzerError, match="cannot read time"):
        parse_time("last tuesday")
    with pytest.raises(AnalyzerError, match="is not before"):
        window("2026-11-27", "2026-11-26", UTC)
