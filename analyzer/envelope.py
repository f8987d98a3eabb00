"""The header of a line: time, host, program, pid, and the message after it.

Reads BSD syslog (`Nov  6 09:05:01`, space- or zero-padded day, optional `<PRI>`), Postfix
`maillog_file` lines (same shape), RFC 3339 / rsyslog high-precision timestamps and
`journalctl -o short-iso` (`2026-11-26T09:05:01+0100 host prog[pid]: msg`) with the one
`HEADER` regex (the hot path); and, only for lines it does not match, Exim's own log lines
(`2013-06-10 18:33:32.123 +0100 [10099] ...`), PHP's `mail.log`
(`[06-Oct-2016 01:38:43 America/Chicago] mail() on ...`), `journalctl -o json` objects and
a few syslog oddities (`<mail.info>` after the time, `[program]` without a host). BSD
timestamps have no year: `Clock` infers it and turns every timestamp into UTC epoch
microseconds. `sniff_format` tells what a file holds from its first lines.
"""

from __future__ import annotations

import json
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

# Exim's own lines: time, optional milliseconds, optional zone (log_timezone), optional
# [pid] (log_selector +pid), message
EXIM_NATIVE = re.compile(
    r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.(\d{3}))?(?: ([+-]\d{4}))? (?:\[(\d+)(?::\d+)?\] )?(.*)",
    re.S,
)
# PHP mail.log file form: `[d-M-Y H:i:s e]`, e = a time zone identifier (or UTC)
PHP_FILE = re.compile(r"\[(\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d) ([^\]\s]+)\] (.*)", re.S)
# `Jun 17 14:37:39 <mail.info> robin sm-mta[2794]: ...` (syslog-ng facility.priority)
_FACILITY = re.compile(r"((?:<\d{1,3}>)?[A-Z][a-z]{2}  ?\d{1,2} \d\d:\d\d:\d\d) <\w+\.\w+> (.*)", re.S)
# `Oct 14 19:45:05 [exim] LOGIN authenticator failed ...` (no host, program in brackets)
_BRACKETED = re.compile(r"([A-Z][a-z]{2}  ?\d{1,2} \d\d:\d\d:\d\d) \[([^\]\s]+)\] (.*)", re.S)
# `mail.example.com exim[3751842]: 2021-07-17 23:20:49 ...` (a journal line without its
# time; the program's own timestamp follows)
_NO_TIME = re.compile(r"(\S+) ([^\s\[:]+)(?:\[(\d+)\])?: (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d.*)", re.S)

FORMATS = ("postfix", "exim", "sendmail", "phpmail", "journal")

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
        self._cache: dict[str, int] = {}  # header text -> µs, valid for one year only
        self._year = year
        self.last_month = 0
        limit = self.reference + timedelta(days=1)  # a day of slack for clock and zone skew
        self._ref_year = self.reference.year
        self._ref_limit = (13, 0) if limit.year > self._ref_year else (limit.month, limit.day)
        self._hours: dict[tuple[int, int, int, int], int] = {}
        self._zoned_hours: dict[tuple, int] = {}
        self._naive_hours: dict[str, int] = {}  # `2026-11-06 09` -> start of that hour (µs)
        self._zones: dict[str, object] = {}

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
        if self.year is not None:
            if self.last_month - month >= 6:  # Dec -> Jan; tolerates slightly unordered lines
                self.year += 1
            self.last_month = month
            year = self._year
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
                    int(text[:4]), int(text[5:7]), int(text[8:10]), int(text[11:13]), self.tz)
            return base + seconds * 1_000_000 + micros
        if rest == "Z":
            offset = 0
        elif rest[0] in "+-" and len(rest) in (5, 6) and rest[1:3].isdigit() and rest[-2:].isdigit():
            offset = int(rest[1:3]) * 3600 + int(rest[-2:]) * 60
            if rest[0] == "-":
                offset = -offset
        else:
            return None
        base = self._hour(int(text[:4]), int(text[5:7]), int(text[8:10]), int(text[11:13]), timezone.utc)
        return base + (seconds - offset) * 1_000_000 + micros

    def _hour(self, year: int, month: int, day: int, hour: int, tz) -> int:
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

    def zone(self, name: str):
        tz = self._zones.get(name)
        if tz is None:
            try:
                tz = timezone.utc if name.upper() in ("UTC", "Z", "GMT") else ZoneInfo(name)
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
            return local  # a fixed offset is the best the system tells us
    if name.upper() == "UTC":
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # not found, a bad key, a directory (`Europe`)
        from .errors import AnalyzerError

        raise AnalyzerError(f"unknown time zone {name!r}: use an IANA name such as "
                            "Europe/Berlin or America/New_York, or UTC") from None


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


# --- journald -------------------------------------------------------------------------------

def journal_fields(line: str):
    """A `journalctl -o json` line -> (UTC micros, host, program, pid, message) or None.

    `MESSAGE` is a string, or an array of byte values when it is not valid UTF-8 (decoded
    with U+FFFD for bad bytes); the program is `SYSLOG_IDENTIFIER` (else `_COMM`), the pid
    `SYSLOG_PID` (else `_PID`)."""
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    if not isinstance(entry, dict):
        return None
    try:
        ts = int(entry["__REALTIME_TIMESTAMP"])
    except (KeyError, TypeError, ValueError):
        return None
    message = entry.get("MESSAGE")
    if isinstance(message, list):
        try:
            message = bytes(message).decode("utf-8", "replace")
        except (TypeError, ValueError):
            return None
    if not isinstance(message, str):
        return None
    program = entry.get("SYSLOG_IDENTIFIER") or entry.get("_COMM") or ""
    pid = entry.get("SYSLOG_PID") or entry.get("_PID")
    if not (isinstance(pid, str) and pid.isascii() and pid.isdigit()):
        pid = None  # damaged (found by tools/fuzz.py): the line still counts, without a pid
    host = entry.get("_HOSTNAME")
    if not isinstance(program, str) or not isinstance(host, (str, type(None))):
        return None
    return ts, host, program, pid, message.replace("\x00", "")


# --- what a file holds ----------------------------------------------------------------------

def sniff_format(lines: list[str]) -> tuple[str | None, bool]:
    """(format, native) of a file from its first non-empty lines: `journal` (JSON
    objects), `phpmail` (PHP's mail.log file form, or syslog lines that are mostly PHP's),
    `exim` (native when the lines are Exim's own, else syslog lines of exim), `sendmail`,
    `postfix` (syslog lines, told apart by the programs of their MTA lines; plain syslog
    without any MTA line says `postfix`), or None when nothing is recognisable."""
    from .patterns import family_of

    votes: dict[str, int] = {}
    native = 0
    for line in lines:
        line = line.strip("\x00\r\n")
        if not line:
            continue
        kind = None
        if line[:1] == "{" and journal_fields(line) is not None:
            kind = "journal"
        elif PHP_FILE.match(line):
            kind = "phpmail"
            native += 1
        else:
            header = HEADER.match(line)
            if header is not None and not exim_native_first(line, header):
                program = header[4]
                family = family_of(program) or (
                    "phpmail" if header[6].startswith("mail() on [") else None)
                kind = family or "syslog"
            elif EXIM_NATIVE.match(line):
                kind = "exim"
                native += 1
        if kind:
            votes[kind] = votes.get(kind, 0) + 1
    if not votes:
        return None, False
    if votes.get("journal"):
        return "journal", False
    mta = {k: v for k, v in votes.items() if k != "syslog"}
    if not mta:
        return "postfix", False
    best = max(sorted(mta), key=lambda k: mta[k])
    return best, best in ("exim", "phpmail") and native * 2 >= mta[best]


_EXIM_ID_OR_PID = re.compile(r"\[\d+\]$|[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}$")


def exim_native_first(line: str, header) -> bool:
    """A line `2013-12-30 00:24:50 X Y: ...` matches the syslog header (host X, program
    Y). It is Exim's own line when X is an Exim message id or a `[pid]`: Exim's syslog
    lines have a host there."""
    iso = header[2]
    return iso is not None and iso[10:11] == " " and _EXIM_ID_OR_PID.match(header[3]) is not None
