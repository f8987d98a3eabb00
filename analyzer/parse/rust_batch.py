"""The parse stage on the compiled core: `parse_batch` with the Python stage's signature
and result, for batches of Postfix, Exim and Sendmail lines (syslog with BSD or RFC 3339
headers, and Exim's own log).

The core parses the lines it can parse exactly as Python does and hands every other line
to a Python `LineParser` of the same setup, in line order (see `rust/src/engine.rs`).
With an explicit `--year` the BSD year state (year, last month, the clock's text cache)
is the core's `Years`, which the Python parser's clock reads and writes too
(`SharedYearClock`), so both advance one state in line order. A batch the core does not
take at all (PHP's or journald's files) is parsed by the Python stage whole.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from ..clock import Clock, to_micros
from .batch import UNPARSED_TEXT_LIMIT, BatchJob, BatchResult, decode_lines
from .batch import parse_batch as python_parse_batch
from .core import compiled
from .core_table import core_arguments
from .events import LineParser

_cores: dict[tuple, tuple[Any, Clock]] = {}


def takes(job: BatchJob) -> bool:
    """Whether the core parses this batch (else the Python stage does, whole)."""
    if job.native:
        return job.format == "exim"
    return job.format in (None, "postfix", "exim", "sendmail")


class SharedYearClock(Clock):
    """The clock of the Python parser behind a core dating BSD lines with `--year`: its
    year, last month and text cache are the core's `Years` (its own `_cache` stays empty,
    so the parser's inline lookup always asks `bsd`)."""

    def __init__(self, years: Any, tz: ZoneInfo | timezone, reference: date):
        self._years = years
        super().__init__(tz, reference=reference, year=years.year)

    @property
    def year(self) -> int:
        return int(self._years.year)

    @year.setter
    def year(self, year: int | None) -> None:
        assert year is not None, "a shared year state always has a year"
        self._years.year = year

    @property
    def last_month(self) -> int:
        return int(self._years.last_month)

    @last_month.setter
    def last_month(self, month: int) -> None:
        self._years.last_month = month

    def bsd(self, text: str) -> int:
        micros = self._years.lookup(text)
        if micros is None:
            micros = self._bsd(text)
            self._years.store(text, micros)
        return int(micros)


def _hour_start(clock: Clock) -> Callable[[int, int, int, int, bool], int | None]:
    """The start of an hour of log in the clock's zone (or UTC), as the clock computes it:
    the core asks once per hour, so zone rules and DST stay Python's."""

    def start(year: int, month: int, day: int, hour: int, utc: bool) -> int | None:
        try:
            return to_micros(datetime(year, month, day, hour, tzinfo=UTC if utc else clock.tz))
        except (ValueError, OverflowError):
            return None

    return start


def _fallback(parser: LineParser) -> Callable[[bytes], tuple[str, dict] | None]:
    """One raw line -> (its text as the `unparsed` table keeps it, its event) through the
    Python parser; None for a line that decodes to nothing (NUL padding)."""

    def parse(raw: bytes) -> tuple[str, dict] | None:
        line = decode_lines(raw)[0]  # one line: the core splits at b"\n"
        if not line:
            return None
        return line[:UNPARSED_TEXT_LIMIT], parser.parse(line)

    return parse


def _core(job: BatchJob) -> tuple[Any, Clock]:
    key = (job.zone, job.reference, job.year is None, job.format, job.native, job.host)
    found = _cores.get(key)
    if found is None:
        module = compiled()
        if module is None:
            raise RuntimeError("analyzer._core is not installed")
        years = None
        if job.year is None:
            clock = Clock(job.zone, reference=job.reference)
        else:
            years = module.Years(job.year, job.last_month)
            clock = SharedYearClock(years, job.zone, job.reference)
        parser = LineParser(clock, format=job.format, host=job.host, native=job.native, lean=True)
        core = module.Core(
            **core_arguments(),
            year_rule=(clock._ref_year, clock._ref_limit),
            hour_start=_hour_start(clock),
            fallback=_fallback(parser),
            host=parser.host,
            native=job.native,
            years=years,
        )
        found = _cores[key] = (core, clock)
    return found


def parse(job: BatchJob) -> tuple:
    """(events, unparsed, programs, beside, lines, beside_lines, last_ts, dated) of a
    batch the core takes (`takes(job)`)."""
    core, clock = _core(job)
    if job.year is not None:  # as the Python stage sets its parser's clock
        clock.year, clock.last_month = job.year, job.last_month
    return core.parse(job.data, job.offset, job.path)


def parse_batch(job: BatchJob) -> BatchResult:
    """The Python stage's `parse_batch(job)`, as the compiled core computes it."""
    if not takes(job):
        return python_parse_batch(job)
    return batch_result(job, parse(job))


def batch_result(job: BatchJob, counts: tuple, events: list | None = None) -> BatchResult:
    """The `BatchResult` of a batch the core parsed: `counts` as `parse` returns them
    (`events`, when given, in place of theirs), the clock's year state after it."""
    found, unparsed, programs, beside, lines, beside_lines, last_ts, dated = counts
    _, clock = _core(job)
    return BatchResult(
        events=found if events is None else events,
        unparsed=unparsed,
        programs=Counter(programs),
        beside=Counter(beside),
        lines=lines,
        beside_lines=beside_lines,
        last_ts=last_ts,
        end=job.end,
        year=clock.year,
        last_month=clock.last_month,
        cursor=job.cursor,
        dated=dated,
    )
