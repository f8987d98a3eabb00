"""The year of BSD syslog timestamps (they have none): one process dating logs of two
years, and rotated series that cross New Year dated as one timeline."""

import os
from datetime import datetime

from analyzer import api

REJECT = (
    "Nov 26 12:00:00 mx1 postfix/smtpd[5]: NOQUEUE: reject: RCPT from unknown[198.51.100.9]: "
    "554 5.7.1 <x@y.example>: Relay access denied; from=<a@b.example> to=<x@y.example> "
    "proto=ESMTP helo=<b.example>"
)


def test_one_process_two_years_gets_each_its_own_times(tmp_path):
    """ingest's per-process parser and the Clock's caches are reused across runs (API,
    notebook): the second run, with another --year, must not get the first one's times."""
    log = tmp_path / "maillog"
    log.write_text(REJECT + "\n")
    for year in (2025, 2026, 2025):
        data = tmp_path / f"data-{year}"
        api.ingest([str(log)], data=str(data), tz="UTC", year=year)
        assert [t.year for t in api.table("rejects", data=data)["ts"]] == [year]
        assert next(api.parse_lines([REJECT], tz="UTC", year=year))["ts"].startswith(f"{year}-")


def _reject(ts: str, n: int) -> str:
    return (
        f"{ts} mx1 postfix/smtpd[{100 + n}]: NOQUEUE: reject: RCPT from unknown[198.51.100.{n}]: "
        f"554 5.7.1 <x{n}@y.example>: Relay access denied; from=<a@b.example> "
        f"to=<x{n}@y.example> proto=ESMTP helo=<b.example>"
    )


def _write(path, stamps, mtime=None, first=0):
    path.write_text("".join(_reject(ts, first + i) + "\n" for i, ts in enumerate(stamps)))
    if mtime is not None:
        os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    return path


def _dates(data) -> list[str]:
    rejects = api.table("rejects", data=data).sort_values("ts")
    return [f"{t:%Y-%m-%d}" for t in rejects["ts"]]


OLDER = ["Dec 27 10:00:00", "Dec 31 23:59:00", "Jan  1 00:01:00", "Jan  3 08:00:00"]
NEWER = ["Jan  3 09:00:00", "Jan 10 12:00:00"]


def test_explicit_year_dates_a_rotated_series_as_one_timeline(tmp_path):
    """--year is the year of the series' first line; the next file of the series goes on
    from where the previous one ended (it used to start again at --year)."""
    logs = tmp_path / "logs"
    logs.mkdir()
    _write(logs / "maillog.1", OLDER)
    _write(logs / "maillog", NEWER, first=10)
    summary = api.ingest([str(logs)], data=str(tmp_path / "d"), tz="UTC", year=2025)
    assert _dates(tmp_path / "d") == [
        "2025-12-27",
        "2025-12-31",
        "2026-01-01",
        "2026-01-03",
        "2026-01-03",
        "2026-01-10",
    ]
    assert not [w for w in summary.warnings if "year" in w]


def test_explicit_year_goes_on_after_rotation_between_runs(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    _write(logs / "maillog", OLDER[:2])
    api.ingest([str(logs / "maillog*")], data=str(tmp_path / "d"), tz="UTC", year=2025)
    (logs / "maillog").rename(logs / "maillog.1")  # logrotate, then January's lines
    _write(logs / "maillog", NEWER, first=10)
    api.ingest([str(logs / "maillog*")], data=str(tmp_path / "d"), tz="UTC", year=2025)
    assert _dates(tmp_path / "d") == ["2025-12-27", "2025-12-31", "2026-01-03", "2026-01-10"]


def test_copied_series_is_dated_back_from_its_newest_file(tmp_path):
    """A series copied at the end of the next year: every file has the copy's mtime. The
    newest file is dated from it, each older one back from the newer one's first line
    (per file, the December lines would land in the copy's year)."""
    copied = datetime(2026, 12, 31, 12, 0)
    logs = tmp_path / "logs"
    logs.mkdir()
    _write(logs / "maillog.1", OLDER, mtime=copied)
    _write(logs / "maillog", NEWER, mtime=copied, first=10)
    summary = api.ingest([str(logs)], data=str(tmp_path / "d"), tz="UTC")
    assert _dates(tmp_path / "d") == [
        "2025-12-27",
        "2025-12-31",
        "2026-01-01",
        "2026-01-03",
        "2026-01-03",
        "2026-01-10",
    ]
    far = [w for w in summary.warnings if "days older than the file" in w]
    assert len(far) == 2 and any("maillog:" in w and "(2026-01-10) is 355 days" in w for w in far)


def test_a_series_with_its_own_mtimes_gives_no_warning(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    _write(logs / "maillog.1", OLDER, mtime=datetime(2026, 1, 3, 8, 5))
    _write(logs / "maillog", NEWER, mtime=datetime(2026, 1, 10, 12, 5), first=10)
    summary = api.ingest([str(logs)], data=str(tmp_path / "d"), tz="UTC")
    assert _dates(tmp_path / "d")[0] == "2025-12-27" and _dates(tmp_path / "d")[-1] == "2026-01-10"
    assert summary.warnings == []


def test_dates_in_the_future_are_a_warning(tmp_path):
    log = _write(tmp_path / "maillog", NEWER)
    ahead = datetime.now().year + 1  # the latest --year accepted: its January is ahead
    summary = api.ingest([str(log)], data=str(tmp_path / "d"), tz="UTC", year=ahead)
    (warning,) = summary.warnings
    assert f"lines dated up to {ahead}-01-10, in the future" in warning
    assert f"--year {ahead} is the year of the series' first line" in warning
