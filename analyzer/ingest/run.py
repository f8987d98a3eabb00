"""sources -> events -> correlate -> store, in bounded batches, resumable and crash-safe.

One run holds the dataset lock, deletes what a crashed run left uncommitted, reads each
source from its checkpoint, and commits (parts, then checkpoint) every COMMIT_LINES lines
and at the end. See `store` for why that is safe under `kill -9`.
"""

from __future__ import annotations

import errno
import gc
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from ..clock import MONTHS, Clock, new_year, parse_zone
from ..correlate import Correlator, Passwd, php_join_report
from ..dataset.store import Dataset, StoreError
from ..envvars import whole_number
from ..errors import AnalyzerError
from ..parse.events import LineParser, default_host
from ..parse.header import FORMATS, sniff_format
from ..parse.workers import OrderedPool, default_workers
from ..read.sources import (
    SYSLOG_COPIES,
    Batch,
    Source,
    after_cursor,
    expand,
    head_lines,
    last_cursor,
    match_checkpoints,
    new_checkpoint_key,
    read_batches,
    series,
    series_of,
    syslog_copies,
)

# Lines between commits; a crash loses at most this much work (env ANALYZER_COMMIT_LINES:
# tests use small values).
COMMIT_LINES = 2_000_000
PARALLEL_BYTES = 8 << 20  # below this, worker processes cost more than they save
FIRST_YEAR = 1990  # --year below this is a typo, not a log
HOLD_BYTES = 64 << 20  # undated lines of a file held until one has a date (see _Run.read)
UNPARSED_TEXT_LIMIT = 8192
_DAY_US = 86_400_000_000

Progress = Callable[[str, int, int], None]  # (source path, bytes done, bytes total)


@dataclass
class SourceReport:
    path: str
    status: str  # "new", "resumed", "unchanged", "rotated", ...
    lines: int = 0
    skipped: int = 0  # journal entries on stdin that an earlier run read


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
    # PHP mail.log entries written joined / unjoined by reason in this run, and its summary
    php: dict = field(default_factory=dict)
    php_line: str | None = None
    reinjected: int = 0  # messages rows that are a content filter's copy (`filter_of`)
    seconds: float = 0.0

    @property
    def messages(self) -> int:
        """Messages written, a content filter's re-injection counted once with its
        original (as the reports count them)."""
        return self.rows.get("messages", 0) - self.reinjected


def ingest(
    paths: Iterable[str],
    data_dir: str,
    tz: str | None = None,
    year: int | None = None,
    local_ips: Iterable[str] = (),
    wait: float = 0.0,
    progress: Progress | None = None,
    format: str | None = None,
    host: str | None = None,
    passwd: str | None = None,
    cursor_file: str | None = None,
) -> IngestSummary:
    """`format`: what the sources hold (`postfix`, `exim`, `sendmail`, `phpmail`,
    `journal`); default: told per file from its first lines. `host`: the host of lines
    that name none (Exim's own log, PHP's mail.log); default: this machine's short host
    name. `passwd`: a passwd file: a login and a uid of one account become one identity
    (`uid:<n>`), and PHP scripts under a home directory get its uid. `cursor_file`:
    for `journalctl -o json` on stdin: entries up to the cursor of the last committed
    one are skipped, so overlapping exports are read once (the cursor is also written
    to this file, for `journalctl --after-cursor`)."""
    started = time.monotonic()
    check_year(year)
    zone = parse_zone(tz)
    if format is not None and format not in FORMATS:
        raise AnalyzerError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
    commit_lines = whole_number("ANALYZER_COMMIT_LINES", COMMIT_LINES, minimum=1)
    workers = default_workers()
    accounts = _read_passwd(passwd) if passwd else None
    php_host_assumed = host is None  # PHP's file form then gets this machine's name
    host = host or default_host()
    paths = list(paths)
    sources = order_sources(expand(paths), format)
    if cursor_file is not None and not any(s.is_stdin for s in sources):
        raise AnalyzerError(
            "--cursor-file is for a journal piped on stdin "
            "(journalctl -o json | analyzer ingest - --cursor-file FILE)"
        )
    ds = Dataset(data_dir)
    _check_writable(ds.root)
    summary = IngestSummary()
    summary.warnings.extend(_empty_directories(paths, sources))
    small = sum(s.size for s in sources) < PARALLEL_BYTES and not any(s.is_stdin for s in sources)
    try:
        # workers first: they must not inherit the lock (see workers.py)
        with _gc_paused(), OrderedPool(parse_batch, 0 if small else workers) as pool, ds.lock(wait):
            state = ds.state()
            _set_aside_uncommitted(ds, state, summary)
            if "parts" not in state:  # a checkpoint from before the list of parts
                state["parts"] = ds.inventory(state["commit"])
            ds.ensure_tables()
            mta_in_run = any(s.format != "phpmail" for s in sources)
            run = _Run(
                ds,
                state,
                frozenset(local_ips),
                summary,
                pool,
                accounts,
                mta_in_run,
                php_host_assumed,
                _mta_hosts(sources, zone, year, host),
                commit_lines,
            )
            references = series_references(sources, zone) if year is None else {}
            carried: dict[tuple, tuple[int, int]] = {}  # series -> its explicit-year clock state
            try:
                keys = identify(sources, state["sources"], cursor_file, summary)
                for src, key in zip(sources, keys):
                    rotated = series_of(src.path) if not src.is_stdin else None
                    carried[rotated] = run.read(
                        src,
                        key,
                        zone,
                        year,
                        progress,
                        host,
                        references.get(src.path),
                        carried.get(rotated),
                    )
                run.commit()
            except BaseException:
                run.writer.discard()  # a failed run (disk full, ^C) leaves no parts behind
                raise
    except OSError as e:
        if e.errno in _DISK_ERRORS and not e.filename:  # Arrow's write errors name no file
            raise StoreError(
                f"{ds.root}: {os.strerror(e.errno).lower()} while writing the "
                "dataset; it is left as of its last commit (re-run to continue "
                "from there)"
            ) from e
        raise
    summary.programs_beside_mta = dict(run.beside_total)
    if run._correlator is not None:  # else no line was read (the open state not loaded)
        summary.php = run.correlator.run_php_joins
        summary.php_line, warning = php_join_report(summary.php, run.correlator.php_waiting())
        if warning:
            summary.warnings.append(warning)
    summary.seconds = time.monotonic() - started
    return summary


def _set_aside_uncommitted(ds: Dataset, state: dict, summary: IngestSummary) -> None:
    found = ds.set_aside_uncommitted(state["commit"])
    if found.moved:
        why = (
            "there is no checkpoint (DATA/_state/state.json)"
            if not ds.exists()
            else f"the checkpoint is of commit {state['commit']}, older than they are"
        )
        summary.warnings.append(
            f"{len(found.moved):,} part files were not read and are kept in "
            f"{found.moved_to}: {why} (restore the state.json that names them, or "
            "re-ingest the logs they came from)"
        )
    aside = ds.set_aside_open_state(state["commit"])
    if aside is not None:
        summary.warnings.append(
            f"the correlator's open state is newer than the checkpoint (commit "
            f"{state['commit']}) and was kept in {aside}: messages that were in flight "
            "then lose their earlier lines (restore state.json and open.sqlite together)"
        )


_DISK_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG}


def _check_writable(root: Path) -> None:
    """A clear error before any work when the dataset cannot be written."""
    if root.exists() and not root.is_dir():
        raise StoreError(f"{root}: the dataset path is a file, not a directory")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StoreError(
            f"{root}: cannot create the dataset directory ({(e.strerror or str(e)).lower()})"
        ) from None
    if not os.access(root, os.W_OK | os.X_OK):
        raise StoreError(
            f"{root}: the dataset directory is not writable (read-only file system or permissions)"
        )


def _empty_directories(paths: list[str], sources: list[Source]) -> list[str]:
    """A directory named on the command line that gave no file is worth a word."""
    dirs = {os.path.normpath(os.path.dirname(s.path)) for s in sources if not s.is_stdin}
    return [
        f"{p}: no files in this directory"
        for p in paths
        if p != "-" and os.path.isdir(p) and os.path.normpath(p) not in dirs
    ]


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


def check_year(year: int | None) -> None:
    """A BSD timestamp's year must be plausible: a typo would date every line wrongly."""
    if year is None:
        return
    latest = datetime.now().year + 1
    if not FIRST_YEAR <= year <= latest:
        raise AnalyzerError(
            f"--year {year} is out of range: give a year from {FIRST_YEAR} to {latest}"
        )


SKIP = "skip"  # a source this run does not read (see `identify`)


def identify(
    sources: list[Source],
    checkpoints: dict[str, dict],
    cursor_file: str | None,
    summary: IngestSummary,
) -> list[str | None]:
    """The checkpoint key of each source (None: new; SKIP: not read). Checkpoints of the
    old form (keyed by the first line) are re-keyed here; syslog's copies of mail.log
    lines are skipped when their mail.log is (or was) read."""
    keys = match_checkpoints(sources, checkpoints)
    for i, (src, key) in enumerate(zip(sources, keys)):
        if key is not None and "prefix" not in checkpoints[key]:  # migrate the old form
            cp = checkpoints.pop(key)
            cp["prefix"] = src.prefix(cp["offset"])
            keys[i] = new_checkpoint_key(src, checkpoints)
            checkpoints[keys[i]] = cp
        if src.is_stdin and cursor_file is not None:
            keys[i] = "journal:" + os.path.abspath(cursor_file)
    read_before = [cp.get("path") for cp in checkpoints.values()]
    for i, full in syslog_copies(sources, read_before).items():
        keys[i] = SKIP
        summary.warnings.append(
            f"{sources[i].path}: not read: syslog writes each of its lines to {full} too, "
            "which is read (reading both would count them twice)"
        )
    for src, key in zip(sources, keys):
        if key is None and not src.is_stdin and series(src.path)[1] == "mail.log":
            copies = sorted(
                {
                    p
                    for p in read_before
                    if p
                    and p != "-"
                    and series(p)[0] == series(src.path)[0]
                    and series(p)[1] in SYSLOG_COPIES
                }
            )
            if copies:
                summary.warnings.append(
                    f"{src.path}: holds the lines already read from {', '.join(copies)}: "
                    "they are counted twice (ingest mail.log only)"
                )
    return keys


def _mta_hosts(sources: list[Source], zone, year: int | None, host: str) -> dict[str, list[int]]:
    """Host -> [first line, mtime] (UTC µs) of the run's MTA files, from their first lines:
    PHP entries that name no host join to the one MTA host of their time, and files are
    read one after the other (see `Correlator.expect_hosts`)."""
    spans: dict[str, list[int]] = {}
    for src in sources:
        if src.format == "phpmail" or src.is_stdin:
            continue
        reference = datetime.fromtimestamp(src.mtime, zone).date()
        parser = LineParser(
            Clock(zone, reference=reference, year=year),
            format=src.format,
            host=host,
            native=src.native,
        )
        end = int(src.mtime * 1_000_000)
        for line in head_lines(src):
            if not line.strip():
                continue
            event = parser.parse(line)
            if event.get("family") in (None, "phpmail") or event.get("ts") is None:
                continue
            span = spans.setdefault(event["host"], [event["ts"], event["ts"]])
            span[0], span[1] = min(span[0], event["ts"]), max(span[1], end, event["ts"])
    return spans


def _read_passwd(path: str) -> Passwd:
    try:
        accounts = Passwd.read(path)
    except OSError as e:
        raise AnalyzerError(f"{path}: cannot read the passwd file ({e.strerror})") from None
    if not accounts:
        raise AnalyzerError(f"{path}: no passwd entries (name:x:uid:gid:gecos:home:shell)")
    return accounts


class _Run:
    def __init__(
        self,
        ds: Dataset,
        state: dict,
        local_ips: frozenset[str],
        summary: IngestSummary,
        pool: OrderedPool,
        passwd: Passwd | None = None,
        mta_in_run: bool = True,
        php_host_assumed: bool = False,
        expected_hosts: dict | None = None,
        commit_lines: int = COMMIT_LINES,
    ):
        self.ds = ds
        self.commit_lines = commit_lines
        self.state = state
        self.summary = summary
        self.writer = ds.writer(state["commit"] + 1)
        # PHP entries wait for their submissions only when an MTA log is (or was) read
        hold_php = mta_in_run or bool(state.get("mta_seen"))
        self.state["mta_seen"] = hold_php
        self._correlator_args = (local_ips, passwd, hold_php, php_host_assumed, expected_hosts)
        self._correlator: Correlator | None = None
        self.programs: Counter = Counter(state["programs"])
        self.beside: Counter = Counter()  # since the last commit
        self.beside_total: Counter = Counter()  # this run
        self.since_commit = 0
        self.pool = pool
        self.cursor_files: dict[str, str] = {}  # written after the next commit

    @property
    def correlator(self) -> Correlator:
        """Made from the checkpoint's open state when the first new line comes: a run
        with nothing new to read never loads it."""
        if self._correlator is None:
            local_ips, passwd, hold_php, php_host_assumed, hosts = self._correlator_args
            self._correlator = Correlator(
                self._add,
                local_ips,
                self.ds.open_state(self.state),
                passwd=passwd,
                hold_php=hold_php,
                php_host_assumed=php_host_assumed,
            )
            self._correlator.expect_hosts(hosts or {})
            # what was just loaded lives long: the commits' collections skip it (100k
            # open messages took 0.5 s to walk) until the run ends (see _gc_paused)
            gc.freeze()
        return self._correlator

    def _add(self, table: str, row: dict) -> None:
        if table == "messages" and row.get("filter_of"):
            self.summary.reinjected += 1
        self.writer.add(table, row)

    def read(
        self,
        src: Source,
        key: str | None,
        zone,
        year: int | None,
        progress: Progress | None,
        host: str,
        reference=None,
        carried: tuple[int, int] | None = None,
    ):
        """Read one source from its checkpoint (`key`) on. `reference`: the date no line
        of it is newer than (default: its mtime); `carried`: with an explicit year, the
        clock state (year, month) the previous file of its rotated series ended with, so
        a series that crosses New Year is one timeline. Returns this file's end state."""
        report = SourceReport(src.path, "new")
        self.summary.sources.append(report)
        if key == SKIP:
            report.status = "not read (syslog's copy of mail.log lines)"
            return carried
        checkpoint = self.state["sources"].get(key) if key else None
        start = _resume_offset(src, key, checkpoint, report)
        if start is None:
            if checkpoint and year is not None:
                return checkpoint.get("year"), checkpoint.get("last_month", 0)
            return carried
        cursor = checkpoint.get("cursor") if checkpoint else None
        if key and key.startswith("journal:") and cursor is None:
            cursor = _read_cursor_file(key[len("journal:") :])
        if reference is None:
            reference = (
                datetime.fromtimestamp(src.mtime, zone).date()
                if not src.is_stdin
                else datetime.now(zone).date()
            )
        if checkpoint:
            explicit_year = checkpoint.get("year") if year is not None else None
            last_month = checkpoint.get("last_month", 0) if year is not None else 0
        elif year is not None and carried is not None and carried[0] is not None:
            explicit_year, last_month = carried
        else:
            explicit_year, last_month = year, 0
        newest_ts = None
        last_ts = checkpoint.get("last_ts") if checkpoint else None
        fallback_day = int(src.mtime * 1_000_000) // _DAY_US
        journal = bool(key and key.startswith("journal:"))
        total = src.size if src.compression is None else 0

        stop = False  # set when undated lines pile up (see below)

        def jobs():
            nonlocal explicit_year, last_month, cursor
            for batch in read_batches(src, start):
                if stop:
                    return
                if cursor is not None:  # a journal on stdin: skip entries read before
                    batch, skipped = after_cursor(batch, cursor)
                    report.skipped += skipped
                    if batch is None:
                        continue
                    cursor = None  # entries come in order: the rest is new
                job = _Job(
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
                    host,
                    last_cursor(batch.data) if journal else None,
                )
                if explicit_year is not None:  # follow Dec -> Jan across batch boundaries
                    explicit_year, last_month = _advance_year(batch.data, explicit_year, last_month)
                yield job

        feed = self.correlator.feed
        add = self.writer.add
        lines = with_header = beside = 0  # of this file, for the warnings below

        def take(result: _BatchResult) -> None:
            nonlocal key, last_ts, newest_ts, lines, with_header, beside
            lines += result.lines
            with_header += sum(result.programs.values())
            beside += result.beside_lines
            for event in result.events:
                feed(event)
            for row in result.unparsed:
                if row["_day"] is None:  # no dated line before it in this batch
                    row["_day"] = last_ts // _DAY_US if last_ts is not None else fallback_day
                add("unparsed", row)
            if result.last_ts is not None:
                last_ts = result.last_ts
                newest_ts = max(newest_ts or last_ts, last_ts)
            self.programs.update(result.programs)
            self.beside.update(result.beside)
            report.lines += result.lines
            self.summary.lines += result.lines
            self.summary.unparsed += len(result.unparsed)
            self.summary.beside_mta += result.beside_lines
            self.summary.events += result.lines - len(result.unparsed) - result.beside_lines
            if journal:
                if result.cursor is None:
                    raise AnalyzerError(
                        "--cursor-file: stdin holds no journalctl -o json "
                        "entries (they carry __CURSOR)"
                    )
                self.state["sources"][key] = {
                    "path": "-",
                    "journal": True,
                    "cursor": result.cursor,
                    "offset": 0,
                    "size": 0,
                    "last_ts": last_ts,
                }
                self.cursor_files[key[len("journal:") :]] = result.cursor
            elif not src.is_stdin:
                key = key or new_checkpoint_key(src, self.state["sources"])
                self.state["sources"][key] = {
                    "path": src.path,
                    "offset": result.end,
                    "size": src.size,
                    "mtime": src.mtime,
                    "dev": src.dev,
                    "inode": src.inode,
                    "compressed": src.compression,
                    "prefix": src.prefix(result.end),
                    "year": result.year,
                    "last_month": result.last_month,
                    "last_ts": last_ts,
                }
            self.since_commit += result.lines
            if progress:
                progress(src.path, result.end if total else 0, total)
            if self.since_commit >= self.commit_lines:
                self.commit()

        # Lines of a file are held until one of them has a date: a run whose lines all
        # fail to date (a wrong --format or --year, not a log) stores none of them and
        # leaves the checkpoint before them. Past HOLD_BYTES of such lines it stops.
        held: list[_BatchResult] | None = [] if not src.is_stdin else None
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
        if newest_ts is not None and _bsd_dated(src):
            self.summary.warnings.extend(_year_warnings(src, newest_ts, year, zone))
        return explicit_year, last_month

    def commit(self) -> None:
        if self._correlator is None and self.state["correlator"] is not None:
            self.correlator  # noqa: B018 -- the property loads a version 1 checkpoint's open state
        if self._correlator is not None:
            self._correlator.settle()
        gc.collect()  # the collector is paused during a run (see _gc_paused)
        self.writer.flush()
        for table, n in self.writer.written.items():
            self.summary.rows[table] = self.summary.rows.get(table, 0) + n
        self.writer.written.clear()
        self.state["commit"] = self.writer.commit
        self.state.setdefault("parts", {}).update(self.writer.new_parts)
        if self._correlator is not None:  # else unchanged
            self.state["correlator"] = self._correlator.state()
        self.state["programs"] = dict(self.programs)
        beside = Counter(self.state.get("beside_mta", {}))
        beside.update(self.beside)
        self.beside_total.update(self.beside)
        self.state["beside_mta"] = dict(beside)
        self.beside.clear()
        self.ds.commit(self.state)
        self.writer.committed()
        self.since_commit = 0
        for path, cursor in self.cursor_files.items():
            _write_cursor_file(path, cursor)
        self.cursor_files.clear()


def _read_cursor_file(path: str) -> str | None:
    """A cursor the user put there (the checkpoint's own cursor wins when it has one)."""
    try:
        with open(path) as f:
            return f.read().strip() or None
    except FileNotFoundError:
        return None
    except OSError as e:
        raise AnalyzerError(f"{path}: cannot read the cursor file ({e.strerror})") from None


def _write_cursor_file(path: str, cursor: str) -> None:
    """After the commit: the checkpoint holds the cursor that counts; this copy is for
    `journalctl --after-cursor "$(cat FILE)"` (shorter exports)."""
    tmp = f"{path}.tmp"
    try:
        with open(tmp, "w") as f:
            f.write(cursor + "\n")
        os.replace(tmp, path)
    except OSError as e:
        raise AnalyzerError(
            f"{path}: cannot write the cursor file ({e.strerror}); the "
            "dataset's own checkpoint has it"
        ) from None


# --- the year of BSD syslog timestamps -----------------------------------------------------
FAR_FROM_MTIME_DAYS = 30  # a file's last line this much older than its mtime: a copy?


def series_references(sources: list[Source], zone) -> dict[str, object]:
    """Without --year: the date no line of each file is newer than. The newest file of a
    rotated series: its mtime. An older one: the earlier of its mtime and the date of the
    next newer file's first line (walking back through the rollovers), so a series copied
    elsewhere (every mtime the copy's) is still dated as one timeline."""
    groups: dict[tuple, list[Source]] = {}
    for src in sources:
        if not src.is_stdin and not src.empty:
            groups.setdefault(series_of(src.path), []).append(src)
    refs = {}
    for files in groups.values():  # each oldest first (`expand`)
        bound = None
        for src in reversed(files):
            ref = datetime.fromtimestamp(src.mtime, zone).date()
            if bound is not None and bound < ref:
                ref = bound
            refs[src.path] = ref
            bound = _first_date(src, zone, ref) or bound
    return refs


def _first_date(src: Source, zone, reference):
    """The date of the first dated line of a file, read with `reference` (None: none)."""
    parser = LineParser(Clock(zone, reference=reference), format=src.format, native=src.native)
    for line in head_lines(src):
        ts = parser.parse(line.rstrip("\r")).get("ts") if line else None
        if ts is not None:
            return datetime.fromtimestamp(ts / 1e6, zone).date()
    return None


def _bsd_dated(src: Source) -> bool:
    """Whether the file's lines have BSD timestamps (no year: it is guessed)."""
    head = head_lines(src, lines=1)
    return bool(head) and _month_at(head[0].encode("utf-8", "replace"), 0) != 0


def _year_warnings(src: Source, newest_ts: int, year: int | None, zone) -> list[str]:
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


def _resume_offset(
    src: Source, key: str | None, checkpoint: dict | None, report: SourceReport
) -> int | None:
    """Where to start reading a source, or None when there is nothing new."""
    if src.is_stdin and key is None:
        report.status = (
            "stdin: no checkpoint (the same lines piped again are counted "
            "again; a journalctl -o json export can use --cursor-file)"
        )
        return 0
    if src.is_stdin:
        report.status = "journal on stdin, after the checkpoint's cursor" if checkpoint else "new"
        return 0
    if src.empty:
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
        src.compression
        and checkpoint.get("compressed") == src.compression
        and checkpoint["size"] == src.size
        and checkpoint["mtime"] == src.mtime
    ):
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
    cursor: str | None = None  # of the batch's last journal entry (--cursor-file)


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
    cursor: str | None = None
    dated: int = 0  # lines with a readable date


_parsers: dict = {}


def parse_batch(job: _Job) -> _BatchResult:
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
    events, unparsed = [], []
    programs, beside = Counter(), Counter()
    lines = beside_lines = dated = 0
    last_ts = None
    offsets = None
    batch = Batch(job.offset, job.data, job.end)
    for i, line in enumerate(batch.lines()):
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
            if offsets is None:
                offsets = batch.line_offsets()
            offset, length = offsets[i]
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
                    "_day": last_ts // _DAY_US if last_ts is not None else None,
                }
            )
        elif event["family"] is None:
            beside[program] += 1
            beside_lines += 1
        elif event["event"] != "other":
            events.append(event)
    return _BatchResult(
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


def _advance_year(data: bytes, year: int, last_month: int) -> tuple[int, int]:
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
