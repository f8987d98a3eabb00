"""The syslog header of a line: time, host, program, pid, and the message after it.

Reads BSD syslog (`Nov  6 09:05:01`, space- or zero-padded day, optional `<PRI>`), Postfix
`maillog_file` lines (same shape) and RFC 3339 / rsyslog high-precision timestamps. BSD
timestamps have no year: `Clock` infers it and turns every timestamp into UTC epoch
microseconds.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

# groups: bsd time, iso time, host, program, pid, message
HEADER = re.compile(
    r"(?:<\d{1,3}>)?"
    r"(?:([A-Z][a-z]{2}  ?\d{1,2} \d\d:\d\d:\d\d)"
    r"|(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?))"
    r" (\S+) ([^\s\[:]+)(?:\[(\d+)\])?: ?(.*)",
    re.S,
)

MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class BadTimestamp(ValueError):
    """A header that looks like a timestamp but names no real time (`Feb 30`)."""


def to_micros(dt: datetime) -> int:
    delta = dt - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


class Clock:
    """Turns header timestamps of one source into UTC epoch microseconds.

    Year of a BSD timestamp: with `year` given, it is the year of the first line and
    advances when the month jumps back (December -> January). Otherwise it is the year
    of `reference` (the file's mtime: no line is newer than its file), minus one for
    dates more than a day after the reference — which also handles the rollover.
    """

    def __init__(self, tz: ZoneInfo | timezone, reference: date | None = None,
                 year: int | None = None):
        self.tz = tz
        self.reference = reference or date.today()
        self.year = year
        self._last_month = 0
        limit = self.reference + timedelta(days=1)  # a day of slack for clock and zone skew
        self._ref_year = self.reference.year
        self._ref_limit = (13, 0) if limit.year > self._ref_year else (limit.month, limit.day)
        self._cache: dict[str, int] = {}
        self._hours: dict[tuple[int, int, int, int], int] = {}

    def bsd(self, text: str) -> int:
        micros = self._cache.get(text)
        if micros is None:
            micros = self._cache[text] = self._bsd(text)
            if len(self._cache) > 100_000:  # a cache per second of log: bound it anyway
                self._cache.clear()
        return micros

    def _bsd(self, text: str) -> int:
        month = MONTHS.get(text[:3])
        try:
            if len(text) != 15:  # `Mar 7 02:09:33`: an unpadded day
                text = f"{text[:3]} {int(text[4:-9]):2d} {text[-8:]}"
            day, hour = int(text[4:6]), int(text[7:9])
            seconds = int(text[10:12]) * 60 + int(text[13:15])
        except ValueError:
            raise BadTimestamp(text) from None
        if month is None or not 0 <= seconds < 3600:
            raise BadTimestamp(text)
        if self.year is not None:
            if self._last_month - month >= 6:  # Dec -> Jan; tolerates slightly unordered lines
                self.year += 1
                self._cache.clear()
            self._last_month = month
            year = self.year
        else:
            year = self._ref_year
            if (month, day) > self._ref_limit:
                year -= 1
        key = (year, month, day, hour)
        base = self._hours.get(key)
        if base is None:  # the zone's offset is looked up once per hour of log
            try:
                base = to_micros(datetime(year, month, day, hour, tzinfo=self.tz))
            except ValueError:
                raise BadTimestamp(text) from None
            self._hours[key] = base
        return base + seconds * 1_000_000

    def iso(self, text: str) -> int:
        try:
            dt = datetime.fromisoformat(text.replace(",", ".", 1))
        except ValueError as e:
            raise BadTimestamp(text) from e
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=self.tz)
        return to_micros(dt)


def parse_zone(name: str | None) -> ZoneInfo | timezone:
    """`--tz` value -> tzinfo; None is the system zone."""
    if not name:
        local = datetime.now().astimezone().tzinfo
        key = getattr(local, "key", None)
        try:
            return ZoneInfo(_system_zone_name() or "UTC") if key is None else ZoneInfo(key)
        except Exception:
            return local  # a fixed offset is the best the system tells us
    if name.upper() == "UTC":
        return timezone.utc
    return ZoneInfo(name)


def _system_zone_name() -> str | None:
    import os

    tz = os.environ.get("TZ")
    if tz:
        return tz.lstrip(":")
    try:
        target = os.path.realpath("/etc/localtime")
        if "zoneinfo/" in target:
            return target.split("zoneinfo/", 1)[1]
    except OSError:
        pass
    try:
        with open("/etc/timezone") as f:
            return f.read().strip() or None
    except OSError:
        return None
