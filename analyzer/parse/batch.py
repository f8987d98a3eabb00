"""The parse stage's seam: one batch of log bytes -> the events, unparsed rows and program
counts of its lines (`parse_batch`, run in a worker process).

`parse_batch` is a pure function of its `BatchJob` (the bytes of whole lines, where they
are in their source, and how to read their timestamps) and keeps no state between batches
beyond a parser per reading setup (a cache). A compiled parser core can replace it as a
whole: it must return the same `BatchResult`. How bytes become lines is defined here
(`decode_lines`), and `read.batches.Batch.lines` uses the same rule.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timezone
from zoneinfo import ZoneInfo

from ..clock import Clock
from .events import LineParser

UNPARSED_TEXT_LIMIT = 8192  # characters of an unparsed line kept in the `unparsed` table
DAY_US = 86_400_000_000


def decode_lines(data: bytes) -> list[str]:
    """The lines of whole lines joined by b"\\n": invalid UTF-8 becomes U+FFFD, NUL
    padding is dropped."""
    text = data.decode("utf-8", "replace")
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text.split("\n")


def line_spans(offset: int, data: bytes) -> list[tuple[int, int]]:
    """Byte offset (in the source, the first line at `offset`) and length of each line
    of `data` (for the few lines that need them)."""
    spans, pos = [], offset
    for raw in data.split(b"\n"):
        spans.append((pos, len(raw)))
        pos += len(raw) + 1
    return spans


@dataclass
class BatchJob:
    data: bytes  # whole lines, joined by b"\n", without the final newline
    offset: int  # decompressed byte offset of the first line in its source
    end: int  # byte offset just after the last line
    path: str
    zone: ZoneInfo | timezone
    reference: date  # the date no line is newer than (BSD timestamps' year without `year`)
    year: int | None  # explicit year at the start of this batch, else None
    last_month: int
    format: str | None = None
    native: bool = False
    host: str | None = None
    cursor: str | None = None  # of the batch's last journal entry (--cursor-file)


@dataclass
class BatchResult:
    events: list[dict]  # modelled MTA events, in line order
    unparsed: list[dict]  # rows for the `unparsed` table
    programs: Counter[str]
    beside: Counter[str]
    lines: int
    beside_lines: int
    last_ts: int | None
    end: int
    year: int | None
    last_month: int
    cursor: str | None = None
    dated: int = 0  # lines with a readable date


_ParserKey = tuple[ZoneInfo | timezone, date, bool, str | None, bool, str | None]
_parsers: dict[_ParserKey, LineParser] = {}


def parse_batch(job: BatchJob) -> BatchResult:
    """Parse one batch of lines (runs in a worker process): events for the correlator,
    unparsed rows, and per-program counts. The correlator does not need `other` events of
    programs beside the MTA; they are only counted."""
    key = (job.zone, job.reference, job.year is None, job.format, job.native, job.host)
    parser = _parsers.get(key)
    if parser is None:
        parser = _parsers[key] = LineParser(
            Clock(job.zone, reference=job.reference, year=job.year),
            format=job.format,
            host=job.host,
            native=job.native,
            lean=True,
        )
    clock = parser.clock
    if job.year is not None:
        clock.year, clock.last_month = job.year, job.last_month
    parse = parser.parse
    events: list[dict] = []
    unparsed: list[dict] = []
    programs: Counter[str] = Counter()
    beside: Counter[str] = Counter()
    lines = beside_lines = dated = 0
    last_ts = None
    spans = None
    for i, line in enumerate(decode_lines(job.data)):
        if not line:
            continue
        lines += 1
        event = parse(line)
        if event["ts"] is not None:
            dated += 1
        program = event["program"]
        if program is not None:
            programs[program] += 1
            last_ts = event["ts"]
        if event["event"] == "unparsed":
            if spans is None:
                spans = line_spans(job.offset, job.data)
            offset, length = spans[i]
            unparsed.append(
                {
                    "ts": event["ts"],
                    "host": event["host"],
                    "program": program,
                    "source": job.path,
                    "offset": offset,
                    "reason": event["reason"],
                    "line": line[:UNPARSED_TEXT_LIMIT],
                    "line_length": length,
                    "_day": last_ts // DAY_US if last_ts is not None else None,
                }
            )
        elif event["family"] is None:
            beside[program] += 1
            beside_lines += 1
        elif event["event"] != "other":
            events.append(event)
    return BatchResult(
        events,
        unparsed,
        programs,
        beside,
        lines,
        beside_lines,
        last_ts,
        job.end,
        clock.year,
        clock.last_month,
        job.cursor,
        dated,
    )
