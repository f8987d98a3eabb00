"""`--since` / `--until` values -> UTC datetimes.

Relative: `30m`, `6h`, `1d`, `2w` (before now). Calendar: `today` and `yesterday` (their
midnight in the given zone: `--since yesterday --until today` is the previous day, what a
job run just after midnight reports). Absolute: ISO dates or times (`2026-11-26`,
`2026-11-26T09:00`, `2026-11-26 09:00+01:00`); naive ones are read in the given zone.
`all` (or nothing) means no bound.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from ..errors import AnalyzerError

_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)\s*$", re.I)
_UNITS = {"s": "seconds", "m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_time(
    value: str | datetime | None, tz=None, now: datetime | None = None
) -> datetime | None:
    if value is None or isinstance(value, datetime):
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=tz or UTC)
        return value.astimezone(UTC) if value else None
    text = str(value).strip()
    if not text or text.lower() == "all":
        return None
    now = now or datetime.now(UTC)
    if text.lower() in ("today", "yesterday"):
        zone = tz or _system_zone()
        day = now.astimezone(zone).date()
        if text.lower() == "yesterday":
            day -= timedelta(days=1)
        return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)
    try:
        m = _RELATIVE.match(text)
        if m:
            return now - timedelta(**{_UNITS[m[2].lower()]: float(m[1])})
        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise AnalyzerError(
                f"cannot read time {text!r}: use 30m, 6h, 1d, 2w, an ISO date or time "
                "(2026-11-26, 2026-11-26T09:00), today, yesterday, or 'all'"
            ) from None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=tz or _system_zone())
        return dt.astimezone(UTC)
    except (OverflowError, ValueError):  # 999999d, 0001-01-01 in a zone east of UTC
        raise AnalyzerError(
            f"time {text!r} is out of range (years 1 to 9999); use 'all' for no bound"
        ) from None


def _system_zone():
    from ..clock import parse_zone

    return parse_zone(None)


def window(
    since, until, tz=None, now: datetime | None = None
) -> tuple[datetime | None, datetime | None]:
    lo, hi = parse_time(since, tz, now), parse_time(until, tz, now)
    if lo and hi and lo >= hi:
        raise AnalyzerError(
            f"--since ({lo:%Y-%m-%d %H:%M}) is not before --until ({hi:%Y-%m-%d %H:%M})"
        )
    return lo, hi
