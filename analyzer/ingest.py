"""sources -> events -> correlate -> store, in bounded batches, resumable and crash-safe.

One run holds the dataset lock, deletes what a crashed run left uncommitted, reads each
source from its checkpoint, and commits (parts, then checkpoint) every COMMIT_LINES lines
and at the end. See `store` for why that is safe under `kill -9`.
"""

from __future__ import annotations

import gc
import os
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterable

from .correlate import Correlator, Passwd
from .envelope import FORMATS, MONTHS, Clock, parse_zone, sniff_format
from .errors import AnalyzerError
from .events import LineParser, default_host
from .sources import Batch, Source, expand, head_lines, read_batches
from .store import Dataset
from .workers import OrderedPool, default_workers

# Lines between commits; a crash loses at most this much work (env: tests use small values).
COMMIT_LINES = int(os.environ.get("ANALYZER_COMMIT_LINES", "2000000"))
PARALLEL_BYTES = 8 << 20  # below this, worker processes cost more than they save
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
           progress: Progress | None = None, format: str | None = None,
           host: str | None = None, passwd: str | None = None) -> IngestSummary:
    """`format`: what the sources hold (`postfix`, `exim`, `sendmail`, `phpmail`,
    `journal`); default: told per file from its first lines. `host`: the host of lines
    that name none (Exim's own log, PHP's mail.log); default: this machine's short host
    name. `passwd`: a passwd file: a login and a uid of one account become one identity
    (`uid:<n>`), and PHP scripts under a home directory get its uid."""
    started = time.monotonic()
    zone = parse_zone(tz)
    if format is not None and format not in FORMATS:
        raise AnalyzerError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
    accounts = _read_passwd(passwd) if passwd else None
    host = host or default_host()
    sources = order_sources(expand(list(paths)), format)
    ds = Dataset(data_dir)
    summary = IngestSummary()
    small = sum(s.size for s in sources) < PARALLEL_BYTES and not any(s.is_stdin for s in sources)
    # workers first: they must not inherit the lock (see workers.py)
    with _gc_paused(), OrderedPool(parse_batch, 0 if small else default_workers()) as pool, \
            ds.lock(wait):
        state = ds.state()
        ds.remove_uncommitted(state["commit"])
        ds.ensure_tables()
        mta_in_run = any(s.format != "phpmail" for s in sources)
        run = _Run(ds, state, frozenset(local_ips), summary, pool, accounts, mta_in_run)
        for src in sources:
            run.read(src, zone, year, progress, host)
        run.commit()
    summary.programs_beside_mta = dict(run.beside_total)
    summary.seconds = time.monotonic() - started
    return summary


def order_sources(sources: list[Source], format: str | None = None) -> list[Source]:
    """Tell each source's format (or take the one given) and put PHP mail logs first: a
    PHP entry must be known when the local submission it produced is correlated (the
    order of the other sources is kept: rotated series oldest first)."""
    for src in sources:
        if format is not None:
            src.format, src.native = format, format in ("exim", "phpmail")
        else:
            src.format, src.native = sniff_format(head_lines(src))
    return sorted(sources, key=lambda s: (s.is_stdin, s.format != "phpmail"))


def _read_passwd(path: str) -> Passwd:
    try:
        accounts = Passwd.read(path)
    except OSError as e:
        raise AnalyzerError(f"{path}: cannot read the passwd file ({e.strerror})") from None
    if not accounts:
        raise AnalyzerError(f"{path}: no passwd entries (name:x:uid:gid:gecos:home:shell)")
    return accounts


class _Run:
    def __init__(self, ds: Dataset, state: dict, local_ips: frozenset[str], summary: IngestSummary,
                 pool: OrderedPool, passwd: Passwd | None = None, mta_in_run: bool = True):
        self.ds = ds
        self.state = state
        self.summary = summary
        self.writer = ds.writer(state["commit"] + 1)
        # PHP entries wait for their submissions only when an MTA log is (or was) read
        hold_php = mta_in_run or bool(state.get("mta_seen"))
        self.state["mta_seen"] = hold_php
        self._correlator_args = (local_ips, passwd, hold_php)
        self._correlator: Correlator | None = None
        self.programs: Counter = Counter(state["programs"])
        self.beside: Counter = Counter()  # since the last commit
        self.beside_total: Counter = Counter()  # this run
        self.since_commit = 0
        self.pool = pool

    @property
    def correlator(self) -> Correlator:
        """Made from the checkpoint's open state when the first new line comes: a run
        with nothing new to read never loads it."""
        if self._correlator is None:
            local_ips, passwd, hold_php = self._correlator_args
            self._correlator = Correlator(self.writer.add, local_ips,
                                          self.ds.open_state(self.state), passwd=passwd,
                                          hold_php=hold_php)
            # what was just loaded lives long: the commits' collections skip it (100k
            # open messages took 0.5 s to walk) until the run ends (see _gc_paused)
            gc.freeze()
        return self._correlator

    def read(self, src: Source, zone, year: int | None, progress: Progress | None,
             host: str) -> None:
        report = SourceReport(src.path, "new")
        self.summary.sources.append(report)
        checkpoint = self.state["sources"].get(src.fingerprint) if src.fingerprint else None
        start = _resume_offset(src, checkpoint, report)
        if start is None:
            return
        reference = (datetime.fromtimestamp(src.mtime, zone).date() if not src.is_stdin
                     else datetime.now(zone).date())
        explicit_year = checkpoint.get("year") if checkpoint and year is not None else year
        last_month = checkpoint.get("last_month", 0) if checkpoint and year is not None else 0
        last_ts = checkpoint.get("last_ts") if checkpoint else None
        fallback_day = int(src.mtime * 1_000_000) // _DAY_US
        total = src.size if src.compression is None else 0

        def jobs():
            nonlocal explicit_year, last_month
            for batch in read_batches(src, start):
                job = _Job(batch.data, batch.offset, batch.end, src.path, zone, reference,
                           explicit_year, last_month, src.format, src.native, host)
                if explicit_year is not None:  # follow Dec -> Jan across batch boundaries
                    explicit_year, last_month = _advance_year(batch.data, explicit_year, last_month)
                yield job

        feed = self.correlator.feed
        add = self.writer.add
        for result in self.pool.map(jobs()):
            for event in result.events:
                feed(event)
            for row in result.unparsed:
                if row["_day"] is None:  # no dated line before it in this batch
                    row["_day"] = last_ts // _DAY_US if last_ts is not None else fallback_day
                add("unparsed", row)
            if result.last_ts is not None:
                last_ts = result.last_ts
            self.programs.update(result.programs)
            self.beside.update(result.beside)
            report.lines += result.lines
            self.summary.lines += result.lines
            self.summary.unparsed += len(result.unparsed)
            self.summary.beside_mta += result.beside_lines
            self.summary.events += result.lines - len(result.unparsed) - result.beside_lines
            if src.fingerprint:
                self.state["sources"][src.fingerprint] = {
                    "path": src.path, "offset": result.end, "size": src.size,
                    "mtime": src.mtime, "dev": src.dev, "inode": src.inode,
                    "compressed": src.compression, "year": result.year,
                    "last_month": result.last_month, "last_ts": last_ts,
                }
            self.since_commit += result.lines
            if progress:
                progress(src.path, result.end if total else 0, total)
            if self.since_commit >= COMMIT_LINES:
                self.commit()
        self.summary.warnings.extend(src.warnings)

    def commit(self) -> None:
        if self._correlator is None and self.state["correlator"] is not None:
            self.correlator  # a version 1 checkpoint's open state: saved entry by entry
        if self._correlator is not None:
            self._correlator.settle()
        gc.collect()  # the collector is paused during a run (see _gc_paused)
        self.writer.flush()
        for table, n in self.writer.written.items():
            self.summary.rows[table] = self.summary.rows.get(table, 0) + n
        self.writer.written.clear()
        self.state["commit"] = self.writer.commit
        if self._correlator is not None:  # else unchanged
            self.state["correlator"] = self._correlator.state()
        self.state["programs"] = dict(self.programs)
        beside = Counter(self.state.get("beside_mta", {}))
        beside.update(self.beside)
        self.beside_total.update(self.beside)
        self.state["beside_mta"] = dict(beside)
        self.beside.clear()
        self.ds.commit(self.state)
        self.writer.commit += 1
        self.since_commit = 0


@contextmanager
def _gc_paused():
    """Ingest makes millions of short-lived, acyclic dicts; the cyclic collector would
    rescan the heap again and again for nothing (about a fifth of the run time). It is
    paused for the run — and so in the forked workers — and run at each commit; what the
    run froze (the open state it loaded) is unfrozen at its end."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()


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


@dataclass
class _Job:
    data: bytes
    offset: int
    end: int
    path: str
    zone: object
    reference: object
    year: int | None  # explicit year at the start of this batch, else None
    last_month: int
    format: str | None = None
    native: bool = False
    host: str | None = None


@dataclass
class _BatchResult:
    events: list  # modelled and `other` MTA events, in line order
    unparsed: list  # rows for the `unparsed` table
    programs: Counter
    beside: Counter
    lines: int
    beside_lines: int
    last_ts: int | None
    end: int
    year: int | None
    last_month: int


_parsers: dict = {}


def parse_batch(job: _Job) -> _BatchResult:
    """Parse one batch of lines (runs in a worker process): events for the correlator,
    unparsed rows, and per-program counts. The correlator does not need `other` events of
    programs beside the MTA; they are only counted."""
    key = (job.zone, job.reference, job.year is None, job.format, job.native, job.host)
    parser = _parsers.get(key)
    if parser is None:
        parser = _parsers[key] = LineParser(Clock(job.zone, reference=job.reference, year=job.year),
                                            format=job.format, host=job.host, native=job.native,
                                            lean=True)
    clock = parser.clock
    if job.year is not None:
        clock.year, clock.last_month = job.year, job.last_month
    parse = parser.parse
    events, unparsed = [], []
    programs, beside = Counter(), Counter()
    lines = beside_lines = 0
    last_ts = None
    offsets = None
    batch = Batch(job.offset, job.data, job.end)
    for i, line in enumerate(batch.lines()):
        if not line:
            continue
        lines += 1
        event = parse(line)
        program = event["program"]
        if program is not None:
            programs[program] += 1
            last_ts = event["ts"]
        if event["event"] == "unparsed":
            if offsets is None:
                offsets = batch.line_offsets()
            offset, length = offsets[i]
            unparsed.append({
                "ts": event["ts"], "host": event["host"], "program": program,
                "source": job.path, "offset": offset, "reason": event["reason"],
                "line": line[:UNPARSED_TEXT_LIMIT], "line_length": length,
                "_day": last_ts // _DAY_US if last_ts is not None else None,
            })
        elif event["family"] is None:
            beside[program] += 1
            beside_lines += 1
        elif event["event"] != "other":
            events.append(event)
    return _BatchResult(events, unparsed, programs, beside, lines, beside_lines, last_ts,
                        job.end, clock.year, clock.last_month)


def _advance_year(data: bytes, year: int, last_month: int) -> tuple[int, int]:
    """The explicit-year clock state after a batch, from the months of its first and last
    lines (a batch spans hours, so it holds at most one December -> January step)."""
    first = _month_at(data, 0)
    last = _month_at(data, data.rfind(b"\n") + 1)
    if first and last_month - first >= 6:
        year += 1
    if first and last and first - last >= 6:
        year += 1
    return year, last or first or last_month


def _month_at(data: bytes, pos: int) -> int:
    if data[pos:pos + 1] == b"<":  # <PRI>
        pos = data.find(b">", pos, pos + 6) + 1
    return MONTHS.get(data[pos:pos + 3].decode("ascii", "replace"), 0)
