"""sources -> events -> correlate -> store, in bounded batches, resumable and crash-safe.

One run holds the dataset lock, deletes what a crashed run left uncommitted, reads each
source from its checkpoint, and commits (parts, then checkpoint) every COMMIT_LINES lines
and at the end. See `store` for why that is safe under `kill -9`.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterable

from .correlate import Correlator
from .envelope import Clock, parse_zone
from .events import LineParser
from .sources import Source, expand, read_batches
from .store import Dataset

# Lines between commits; a crash loses at most this much work (env: tests use small values).
COMMIT_LINES = int(os.environ.get("ANALYZER_COMMIT_LINES", "2000000"))
UNPARSED_TEXT_LIMIT = 8192
_DAY_US = 86_400_000_000

Progress = Callable[[str, int, int], None]  # (source path, bytes done, bytes total)


@dataclass
class SourceReport:
    path: str
    status: str  # "new", "resumed", "unchanged", "rotated", ...
    lines: int = 0


@dataclass
class IngestSummary:
    lines: int = 0
    events: int = 0  # lines an MTA pattern recognised (other + modelled events)
    unparsed: int = 0
    beside_mta: int = 0  # lines of programs beside the MTA (dovecot, amavis, ...)
    rows: dict[str, int] = field(default_factory=dict)
    sources: list[SourceReport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    programs_beside_mta: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def messages(self) -> int:
        return self.rows.get("messages", 0)


def ingest(paths: Iterable[str], data_dir: str, tz: str | None = None, year: int | None = None,
           local_ips: Iterable[str] = (), wait: float = 0.0,
           progress: Progress | None = None) -> IngestSummary:
    started = time.monotonic()
    zone = parse_zone(tz)
    sources = expand(list(paths))
    ds = Dataset(data_dir)
    summary = IngestSummary()
    with ds.lock(wait):
        state = ds.state()
        ds.remove_uncommitted(state["commit"])
        ds.ensure_tables()
        run = _Run(ds, state, frozenset(local_ips), summary)
        for src in sources:
            run.read(src, zone, year, progress)
        run.commit()
    summary.programs_beside_mta = dict(run.beside_total)
    summary.seconds = time.monotonic() - started
    return summary


class _Run:
    def __init__(self, ds: Dataset, state: dict, local_ips: frozenset[str], summary: IngestSummary):
        self.ds = ds
        self.state = state
        self.summary = summary
        self.writer = ds.writer(state["commit"] + 1)
        self.correlator = Correlator(self.writer.add, local_ips, state["correlator"])
        self.programs: Counter = Counter(state["programs"])
        self.beside: Counter = Counter()  # since the last commit
        self.beside_total: Counter = Counter()  # this run
        self.since_commit = 0

    def read(self, src: Source, zone, year: int | None, progress: Progress | None) -> None:
        report = SourceReport(src.path, "new")
        self.summary.sources.append(report)
        checkpoint = self.state["sources"].get(src.fingerprint) if src.fingerprint else None
        start = _resume_offset(src, checkpoint, report)
        if start is None:
            return
        reference = (datetime.fromtimestamp(src.mtime, zone).date() if not src.is_stdin
                     else datetime.now(zone).date())
        clock = Clock(zone, reference=reference, year=year)
        if checkpoint and checkpoint.get("year") is not None and year is not None:
            clock.year, clock._last_month = checkpoint["year"], checkpoint["last_month"]
        last_ts = checkpoint.get("last_ts") if checkpoint else None
        parse = LineParser(clock).parse
        feed = self.correlator.feed
        add = self.writer.add
        programs, beside = self.programs, self.beside
        n = n_unparsed = n_beside = 0
        total = src.size if src.compression is None else 0
        for batch in read_batches(src, start):
            offsets = None
            for i, line in enumerate(batch.lines()):
                if not line:
                    continue
                event = parse(line)
                kind = event["event"]
                program = event["program"]
                if program is not None:
                    programs[program] += 1
                    last_ts = event["ts"]
                if kind == "unparsed":
                    if offsets is None:
                        offsets = batch.line_offsets()
                    offset, length = offsets[i]
                    add("unparsed", {
                        "ts": event["ts"], "host": event["host"], "program": program,
                        "source": src.path, "offset": offset, "reason": event["reason"],
                        "line": line[:UNPARSED_TEXT_LIMIT], "line_length": length,
                        "_day": _day_of(last_ts, src),
                    })
                    n_unparsed += 1
                elif event["family"] is None:
                    beside[program] += 1
                    n_beside += 1
                else:
                    feed(event)
                n += 1
            report.lines += n
            self.summary.lines += n
            self.summary.unparsed += n_unparsed
            self.summary.beside_mta += n_beside
            self.summary.events += n - n_unparsed - n_beside
            n = n_unparsed = n_beside = 0
            if src.fingerprint:
                self.state["sources"][src.fingerprint] = {
                    "path": src.path, "offset": batch.end, "size": src.size,
                    "mtime": src.mtime, "dev": src.dev, "inode": src.inode,
                    "compressed": src.compression, "year": clock.year,
                    "last_month": clock._last_month, "last_ts": last_ts,
                }
            self.since_commit += n
            if progress:
                progress(src.path, batch.end if total else 0, total)
            if self.since_commit >= COMMIT_LINES:
                self.commit()
        self.summary.warnings.extend(src.warnings)

    def commit(self) -> None:
        self.writer.flush()
        for table, n in self.writer.written.items():
            self.summary.rows[table] = self.summary.rows.get(table, 0) + n
        self.writer.written.clear()
        self.state["commit"] = self.writer.commit
        self.state["correlator"] = self.correlator.state()
        self.state["programs"] = dict(self.programs)
        beside = Counter(self.state.get("beside_mta", {}))
        beside.update(self.beside)
        self.beside_total.update(self.beside)
        self.state["beside_mta"] = dict(beside)
        self.beside.clear()
        self.ds.commit(self.state)
        self.writer.commit += 1
        self.since_commit = 0


def _resume_offset(src: Source, checkpoint: dict | None, report: SourceReport) -> int | None:
    """Where to start reading a source, or None when there is nothing new."""
    if src.is_stdin:
        report.status = "stdin"
        return 0
    if src.fingerprint is None:
        report.status = "empty"
        return None
    if checkpoint is None:
        return 0
    if checkpoint["path"] != src.path:
        report.status = f"rotated (was {os.path.basename(checkpoint['path'])})"
    else:
        report.status = "resumed"
    if src.compression is None and src.size < checkpoint["offset"]:
        report.status = "truncated, read again from the start"
        return 0
    if (src.compression is None and src.size == checkpoint["offset"]) or (
            src.compression and checkpoint.get("compressed") == src.compression
            and checkpoint["size"] == src.size and checkpoint["mtime"] == src.mtime):
        report.status = "unchanged"
        return None
    return checkpoint["offset"]


def _day_of(ts: int | None, src: Source) -> int:
    """Partition day for a line without a usable timestamp: that of the line before it."""
    if ts is not None:
        return ts // _DAY_US
    return int(src.mtime * 1_000_000) // _DAY_US
