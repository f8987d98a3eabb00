"""Reading one source into the run: its batches from the checkpoint on, parsed in the
worker pool (`parse.batch.parse_batch`), fed in order to the correlator and the unparsed
table, checkpointed after each batch and committed every COMMIT_LINES lines; then the
warnings about the file as a whole (no mail lines, no readable date, a doubtful year)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from ..errors import AnalyzerError
from ..read.sources import Source
from .commit import JOURNAL, Committer, read_cursor_file
from .plan import SKIP, SKIPPED, resume_offset
from .summary import Progress, SourceReport
from .years import advance_year, bsd_dated, year_warnings

if TYPE_CHECKING:
    from ..parse.batch import BatchJob, BatchResult

HOLD_BYTES = 64 << 20  # undated lines of a file held until one has a date (see `read`)

ClockState = tuple[int | None, int]  # (explicit year, last month) where a file ended


class BatchMapper(Protocol):
    """The worker pool (`parse.workers.OrderedPool`) or its stand-in in this process:
    the parse stage's results of the batches, in order."""

    def map(self, jobs: Iterable[BatchJob], /) -> Iterator[BatchResult]: ...


class SourceReader:
    """Reads the sources of one run, one after the other, with the run's settings."""

    def __init__(
        self,
        run: Committer,
        pool: BatchMapper,
        zone: ZoneInfo | timezone,
        year: int | None,
        host: str,
        progress: Progress | None,
        references: Callable[[], dict[str, date]] = dict,
    ):
        """`references`: each file's date no line of it is newer than (see `read`), worked
        out when a source first has lines to read."""
        self.run = run
        self.references = references
        self.summary = run.summary
        self.pool = pool
        self.zone = zone
        self.year = year
        self.host = host
        self.progress = progress

    def read(
        self,
        src: Source,
        key: str | None,
        carried: ClockState | None = None,
    ) -> ClockState | None:
        """Read one source from its checkpoint (`key`) on, dated with its reference (the
        date no line of it is newer than: `references`, default its mtime). `carried`:
        with an explicit year, the clock state (year, month) the previous file of its
        rotated series ended with, so a series that crosses New Year is one timeline.
        Returns this file's end state."""
        run, zone, year, progress = self.run, self.zone, self.year, self.progress
        report = SourceReport(src.path, "new")
        self.summary.sources.append(report)
        if key == SKIP:
            report.status = SKIPPED
            return carried
        checkpoint = run.state["sources"].get(key) if key else None
        start = resume_offset(src, key, checkpoint, report)
        if start is None:
            if checkpoint and year is not None:
                return checkpoint.get("year"), checkpoint.get("last_month", 0)
            return carried
        # the reading and parsing modules come with the first source that has lines to
        # read: a run with nothing new starts without them (`tests/dataset/test_ingest_lean`)
        from ..parse.batch import DAY_US, BatchJob
        from ..read.batches import read_batches
        from ..read.journal import after_cursor, last_cursor

        cursor_file = key[len(JOURNAL) :] if key and key.startswith(JOURNAL) else None
        cursor = checkpoint.get("cursor") if checkpoint else None
        if cursor_file is not None and cursor is None:
            cursor = read_cursor_file(cursor_file)
        reference = self.references().get(src.path)
        if reference is None:
            reference = (
                datetime.fromtimestamp(src.mtime, zone).date()
                if not src.is_stdin
                else datetime.now(zone).date()
            )
        explicit_year: int | None
        if checkpoint:
            explicit_year = checkpoint.get("year") if year is not None else None
            last_month = checkpoint.get("last_month", 0) if year is not None else 0
        elif year is not None and carried is not None and carried[0] is not None:
            explicit_year, last_month = carried
        else:
            explicit_year, last_month = year, 0
        newest_ts = None
        last_ts = checkpoint.get("last_ts") if checkpoint else None
        fallback_day = int(src.mtime * 1_000_000) // DAY_US
        total = src.size if src.compression is None else 0

        stop = False  # set when undated lines pile up (see below)

        def jobs() -> Iterator[BatchJob]:
            nonlocal explicit_year, last_month, cursor
            for batch in read_batches(src, start):
                if stop:
                    return
                if cursor is not None:  # a journal on stdin: skip entries read before
                    after, skipped = after_cursor(batch, cursor)
                    report.skipped += skipped
                    if after is None:
                        continue
                    batch = after
                    cursor = None  # entries come in order: the rest is new
                job = BatchJob(
                    batch.data,
                    batch.offset,
                    batch.end,
                    src.path,
                    zone,
                    reference,
                    explicit_year,
                    last_month,
                    src.format,
                    src.native,
                    self.host,
                    last_cursor(batch.data) if cursor_file is not None else None,
                )
                if explicit_year is not None:  # follow Dec -> Jan across batch boundaries
                    explicit_year, last_month = advance_year(batch.data, explicit_year, last_month)
                yield job

        feed = run.correlator.feed
        add = run.writer.add
        lines = with_header = beside = 0  # of this file, for the warnings below

        def take(result: BatchResult) -> None:
            nonlocal key, last_ts, newest_ts, lines, with_header, beside
            lines += result.lines
            with_header += sum(result.programs.values())
            beside += result.beside_lines
            for event in result.events:
                feed(event)
            for row in result.unparsed:
                if row["_day"] is None:  # no dated line before it in this batch
                    row["_day"] = last_ts // DAY_US if last_ts is not None else fallback_day
                add("unparsed", row)
            if result.last_ts is not None:
                last_ts = result.last_ts
                newest_ts = max(newest_ts or last_ts, last_ts)
            run.programs.update(result.programs)
            run.beside.update(result.beside)
            report.lines += result.lines
            self.summary.lines += result.lines
            self.summary.unparsed += len(result.unparsed)
            self.summary.beside_mta += result.beside_lines
            self.summary.events += result.lines - len(result.unparsed) - result.beside_lines
            if cursor_file is not None:
                if result.cursor is None:
                    raise AnalyzerError(
                        "--cursor-file: stdin holds no journalctl -o json "
                        "entries (they carry __CURSOR)"
                    )
                run.checkpoint_journal(JOURNAL + cursor_file, result.cursor, last_ts)
            elif not src.is_stdin:
                key = run.checkpoint_file(
                    key, src, result.end, result.year, result.last_month, last_ts
                )
            if progress:
                progress(src.path, result.end if total else 0, total)
            run.counted(result.lines)

        # Lines of a file are held until one of them has a date: a run whose lines all
        # fail to date (a wrong --format or --year, not a log) stores none of them and
        # leaves the checkpoint before them. Past HOLD_BYTES of such lines it stops.
        held: list[BatchResult] | None = [] if not src.is_stdin else None
        held_bytes = 0
        for result in self.pool.map(jobs()):
            if held is None:
                take(result)
            elif result.dated:
                for h in held:
                    take(h)
                held = None
                take(result)
            elif not stop:
                held.append(result)
                held_bytes += sum(row["line_length"] for row in result.unparsed)
                stop = held_bytes > HOLD_BYTES
        if held:
            undated = sum(h.lines for h in held)
            if undated:
                self.summary.warnings.append(
                    f"{src.path}: none of {undated:,} lines"
                    + (" (and more)" if stop else "")
                    + " has a readable date: nothing stored, the checkpoint stays before "
                    "them (a wrong --format or --year? not a mail log?)"
                )
                report.status = "not stored: no line has a readable date"
            else:  # blank lines only: nothing to count, read past them
                for h in held:
                    take(h)
        self.summary.warnings.extend(src.warnings)
        if start == 0 and lines:  # a whole file without a mail line: wrong file?
            if not with_header:
                self.summary.warnings.append(
                    f"{src.path}: no log lines among its {lines:,} lines (a binary file, or "
                    "not a syslog or MTA log?); kept in the unparsed table"
                )
            elif with_header == beside:
                self.summary.warnings.append(
                    f"{src.path}: no mail lines among its {lines:,} lines (only programs "
                    "beside the MTA)"
                )
        if newest_ts is not None and bsd_dated(src):
            self.summary.warnings.extend(year_warnings(src, newest_ts, year, zone))
        return explicit_year, last_month
