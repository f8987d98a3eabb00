"""The parse stage on the compiled core: `parse_batch` with the Python stage's signature
and result, for batches of Postfix syslog lines (BSD or RFC 3339 headers).

The core parses the lines it can parse exactly as Python does and hands every other line
to a Python `LineParser` of the same setup, in line order (see `rust/src/engine.rs`).
A batch the core does not take at all (an explicit `--year`, whose clock state the core
does not keep; Exim's, Sendmail's, PHP's or journald's files) is parsed by the Python
stage whole.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ..clock import Clock, to_micros
from .batch import UNPARSED_TEXT_LIMIT, BatchJob, BatchResult, decode_lines
from .batch import parse_batch as python_parse_batch
from .core import compiled
from .core_table import core_arguments
from .events import LineParser

_cores: dict[tuple, tuple[Any, Clock]] = {}


def takes(job: BatchJob) -> bool:
    """Whether the core parses this batch (else the Python stage does, whole)."""
    return job.year is None and not job.native and job.format in (None, "postfix")


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
    key = (job.zone, job.reference, job.format, job.host)
    found = _cores.get(key)
    if found is None:
        module = compiled()
        if module is None:
            raise RuntimeError("analyzer._core is not installed")
        clock = Clock(job.zone, reference=job.reference)
        parser = LineParser(clock, format=job.format, host=job.host, lean=True)
        core = module.Core(
            **core_arguments(),
            year_rule=(clock._ref_year, clock._ref_limit),
            hour_start=_hour_start(clock),
            fallback=_fallback(parser),
        )
        found = _cores[key] = (core, clock)
    return found


def parse(job: BatchJob) -> tuple:
    """(events, unparsed, programs, beside, lines, beside_lines, last_ts, dated) of a
    batch the core takes (`takes(job)`)."""
    core, _ = _core(job)
    events, unparsed, programs, beside, lines, beside_lines, last_ts, dated = core.parse(
        job.data, job.offset, job.path
    )
    return events, unparsed, Counter(programs), Counter(beside), lines, beside_lines, last_ts, dated


def parse_batch(job: BatchJob) -> BatchResult:
    """The Python stage's `parse_batch(job)`, as the compiled core computes it."""
    if not takes(job):
        return python_parse_batch(job)
    events, unparsed, programs, beside, lines, beside_lines, last_ts, dated = parse(job)
    _, clock = _core(job)
    return BatchResult(
        events=events,
        unparsed=unparsed,
        programs=programs,
        beside=beside,
        lines=lines,
        beside_lines=beside_lines,
        last_ts=last_ts,
        end=job.end,
        year=clock.year,
        last_month=clock.last_month,
        cursor=job.cursor,
        dated=dated,
    )
