"""The year of BSD syslog timestamps, which carry none. Without --year: the date no line
of each file is newer than (`series_references`, a rotated series dated as one timeline).
With --year: the clock state carried from batch to batch (`advance_year`). After a file:
warnings when the year looks wrong (`year_warnings`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from ..clock import MONTHS, Clock, new_year
from ..read.sources import Source, head_lines, series_of

FAR_FROM_MTIME_DAYS = 30  # a file's last line this much older than its mtime: a copy?


def series_references(sources: list[Source], zone: ZoneInfo | timezone) -> dict[str, date]:
    """Without --year: the date no line of each file is newer than. The newest file of a
    rotated series: its mtime. An older one: the earlier of its mtime and the date of the
    next newer file's first line (walking back through the rollovers), so a series copied
    elsewhere (every mtime the copy's) is still dated as one timeline."""
    groups: dict[tuple[str, str], list[Source]] = {}
    for src in sources:
        if not src.is_stdin and not src.empty:
            groups.setdefault(series_of(src.path), []).append(src)
    refs = {}
    for files in groups.values():  # each oldest first (`expand`)
        bound = None
        for i in range(len(files) - 1, -1, -1):
            src = files[i]
            ref = datetime.fromtimestamp(src.mtime, zone).date()
            if bound is not None and bound < ref:
                ref = bound
            refs[src.path] = ref
            if i:  # the oldest file bounds none (a lone file: no Python parser made)
                bound = _first_date(src, zone, ref) or bound
    return refs


def _first_date(src: Source, zone: ZoneInfo | timezone, reference: date) -> date | None:
    """The date of the first dated line of a file, read with `reference` (None: none)."""
    from ..parse.events import LineParser  # the parser: only when a file is to be read

    parser = LineParser(Clock(zone, reference=reference), format=src.format, native=src.native)
    for line in head_lines(src):
        ts = parser.parse(line.rstrip("\r")).get("ts") if line else None
        if ts is not None:
            return datetime.fromtimestamp(ts / 1e6, zone).date()
    return None


def advance_year(data: bytes, year: int, last_month: int) -> tuple[int, int]:
    """The explicit-year clock state after a batch, from the months of its first and last
    lines (a batch spans hours, so it holds at most one December -> January step)."""
    first = _month_at(data, 0)
    last = _month_at(data, data.rfind(b"\n") + 1)
    if first and new_year(last_month, first):
        year += 1
    if first and last and new_year(first, last):
        year += 1
    return year, last or first or last_month


def _month_at(data: bytes, pos: int) -> int:
    if data[pos : pos + 1] == b"<":  # <PRI>
        pos = data.find(b">", pos, pos + 6) + 1
    return MONTHS.get(data[pos : pos + 3].decode("ascii", "replace"), 0)


def bsd_dated(src: Source) -> bool:
    """Whether the file's lines have BSD timestamps (no year: it is guessed)."""
    head = head_lines(src, lines=1)
    return bool(head) and _month_at(head[0].encode("utf-8", "replace"), 0) != 0


def year_warnings(
    src: Source, newest_ts: int, year: int | None, zone: ZoneInfo | timezone
) -> list[str]:
    """Warn when the guessed year looks wrong: lines in the future, or (year from the
    mtime) lines far older than the file, as a copied file's mtime is the copy's date."""
    newest = datetime.fromtimestamp(newest_ts / 1e6, zone)
    how = (
        f"--year {year} is the year of the series' first line"
        if year is not None
        else "the year was taken from the file's modification time"
    )
    if newest > datetime.now(zone) + timedelta(days=1):
        return [
            f"{src.path}: lines dated up to {newest:%Y-%m-%d}, in the future: {how}; "
            "check it or pass --year"
        ]
    mtime = datetime.fromtimestamp(src.mtime, zone)
    if year is None and mtime - newest > timedelta(days=FAR_FROM_MTIME_DAYS):
        return [
            f"{src.path}: its last line ({newest:%Y-%m-%d}) is {(mtime - newest).days} "
            f"days older than the file ({mtime:%Y-%m-%d}); {how} (a copy's date?): "
            "check it or pass --year"
        ]
    return []
