"""Time: header timestamps of one source -> UTC epoch microseconds (`Clock`), the
December -> January year rule of BSD timestamps, and `--tz` names -> time zones.

Shared by the reading side (the syslog header, `envelope.py`) and the query side (report
windows, the API), so it lives apart from both.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def new_year(last_month: int, month: int) -> bool:
    """December -> January between two lines of one source (months 1-12): the month
    jumps back by half a year or more, so slightly unordered lines do not count."""
    return last_month - month >= 6


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

    def __init__(
        self, tz: ZoneInfo | timezone, reference: date | None = None, year: int | None = None
    ):
        self.tz = tz
        self.reference = reference or date.today()
        self._cache: dict[str, int] = {}  # header text -> µs, valid for one year only
        self._year = year
        self.last_month = 0
        limit = self.reference + timedelta(days=1)  # a day of slack for clock and zone skew
        self._ref_year = self.reference.year
        self._ref_limit = (13, 0) if limit.year > self._ref_year else (limit.month, limit.day)
        self._hours: dict[tuple[int, int, int, int], int] = {}
        self._zoned_hours: dict[tuple[int, int, int, int, tzinfo], int] = {}
        self._naive_hours: dict[str, int] = {}  # `2026-11-06 09` -> start of that hour (µs)
        self._zones: dict[str, tzinfo] = {}

    @property
    def year(self) -> int | None:
        """The explicit year of the next BSD line (None: from the reference date)."""
        return self._year

    @year.setter
    def year(self, year: int | None) -> None:
        # a reused clock (ingest's per-process parser, a notebook's second run with another
        # --year) must not serve times of the previous year from the text cache
        if year != self._year:
            self._cache.clear()
        self._year = year

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
        year = self.year
        if year is not None:
            if new_year(self.last_month, month):
                year += 1
                self.year = year  # through the setter: drops the previous year's cache
            self.last_month = month
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
        """`2026-11-06T09:05:01`, `2026-11-06 09:05:01.123456`, with `Z`, `+01:00` or
        `+0100`, or naive (read in the clock's zone). The common shapes are read by
        hand, with the zone's offset looked up once per hour of log."""
        if len(text) >= 19 and text[4] == "-" and text[13] == ":":
            try:
                fast = self._iso_fast(text)
            except ValueError:
                fast = None
            if fast is not None:
                return fast
        try:
            dt = datetime.fromisoformat(text.replace(",", ".", 1))
        except ValueError as e:
            raise BadTimestamp(text) from e
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=self.tz)
        return to_micros(dt)

    def _iso_fast(self, text: str) -> int | None:
        # the hour's start is looked up by the text up to the hour (`2026-11-06T09`)
        minutes, secs = int(text[14:16]), int(text[17:19])
        if minutes > 59 or secs > 59 or minutes < 0 or secs < 0:
            raise ValueError(text)
        seconds = minutes * 60 + secs
        rest = text[19:]
        micros = 0
        if rest[:1] in (".", ","):
            end = 1
            while end < len(rest) and rest[end].isdigit():
                end += 1
            digits = rest[1:end]
            if not digits:
                return None
            micros = int((digits + "000000")[:6])
            rest = rest[end:]
        if not rest:
            base = self._naive_hours.get(text[:13])
            if base is None:
                if len(self._naive_hours) > 100_000:
                    self._naive_hours.clear()
                base = self._naive_hours[text[:13]] = self._hour(
                    int(text[:4]), int(text[5:7]), int(text[8:10]), int(text[11:13]), self.tz
                )
            return base + seconds * 1_000_000 + micros
        if rest == "Z":
            offset = 0
        elif (
            rest[0] in "+-" and len(rest) in (5, 6) and rest[1:3].isdigit() and rest[-2:].isdigit()
        ):
            offset = int(rest[1:3]) * 3600 + int(rest[-2:]) * 60
            if rest[0] == "-":
                offset = -offset
        else:
            return None
        base = self._hour(int(text[:4]), int(text[5:7]), int(text[8:10]), int(text[11:13]), UTC)
        return base + (seconds - offset) * 1_000_000 + micros

    def _hour(self, year: int, month: int, day: int, hour: int, tz: tzinfo) -> int:
        key = (year, month, day, hour, tz)
        base = self._zoned_hours.get(key)
        if base is None:
            try:
                base = to_micros(datetime(year, month, day, hour, tzinfo=tz))
            except (ValueError, OverflowError):
                raise BadTimestamp(f"{year}-{month}-{day} {hour}") from None
            if len(self._zoned_hours) > 100_000:
                self._zoned_hours.clear()
            self._zoned_hours[key] = base
        return base

    def exim(self, text: str, millis: str | None, zone: str | None) -> int:
        """Exim's `2013-06-10 18:33:32` (+ `.123`, + ` +0100`): naive times in the clock's
        zone unless Exim wrote its offset (log_timezone)."""
        if zone is None:  # the common case, read inline: one lookup per hour of log
            base = self._naive_hours.get(text[:13])
            if base is not None:
                minutes, secs = int(text[14:16]), int(text[17:19])
                if minutes < 60 and secs < 60:
                    micros = base + (minutes * 60 + secs) * 1_000_000
                    return micros + int(millis) * 1000 if millis else micros
        else:
            text += zone
        micros = self.iso(text)
        return micros + int(millis) * 1000 if millis else micros

    def php(self, text: str, zone_name: str) -> int:
        """PHP `d-M-Y H:i:s` in the zone PHP named (`e`: an identifier such as
        `America/Chicago`, or `UTC`); an unknown name falls back to the clock's zone."""
        month = MONTHS.get(text[3:6])
        try:
            day, year, hour = int(text[:2]), int(text[7:11]), int(text[12:14])
            seconds = int(text[15:17]) * 60 + int(text[18:20])
        except ValueError:
            raise BadTimestamp(text) from None
        if month is None or not 0 <= seconds < 3600:
            raise BadTimestamp(text)
        return self._hour(year, month, day, hour, self.zone(zone_name)) + seconds * 1_000_000

    def zone(self, name: str) -> tzinfo:
        tz = self._zones.get(name)
        if tz is None:
            try:
                tz = UTC if name.upper() in ("UTC", "Z", "GMT") else ZoneInfo(name)
            except (ValueError, KeyError, OSError):  # not a zone identifier we know
                tz = self.tz
            self._zones[name] = tz
        return tz


def parse_zone(name: str | None) -> ZoneInfo | timezone:
    """`--tz` value -> tzinfo; None is the system zone."""
    if not name:
        local = datetime.now().astimezone().tzinfo
        key = getattr(local, "key", None)
        try:
            return ZoneInfo(_system_zone_name() or "UTC") if key is None else ZoneInfo(key)
        except Exception:
            # a fixed offset is the best the system tells us (astimezone() always gives a
            # `timezone`)
            assert isinstance(local, timezone)
            return local
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # not found, a bad key, a directory (`Europe`)
        from .errors import AnalyzerError

        raise AnalyzerError(
            f"unknown time zone {name!r}: use an IANA name such as "
            "Europe/Berlin or America/New_York, or UTC"
        ) from None


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
