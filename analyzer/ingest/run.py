"""sources -> events -> correlate -> store, in bounded batches, resumable and crash-safe.

One run holds the dataset lock, sets aside what a crashed run left uncommitted, reads each
source from its checkpoint, and commits (parts, then checkpoint) every COMMIT_LINES lines
and at the end. See `dataset.store` for why that is safe under `kill -9`.

The run's parts: `plan` (formats, order, checkpoints, where to start), `read_source` (one
source's batches through the workers into the correlator), `commit` (what is written and
when), `years` (the year of BSD timestamps), `summary` (what the run reports); the
per-batch parsing is the parse stage's function for the core in use (`parse.core.batch_parser`: the compiled core's or the Python reference `parse.batch.parse_batch`).
"""

from __future__ import annotations

import errno
import functools
import gc
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from ..clock import parse_zone
from ..dataset import checkpoint
from ..dataset.store import Dataset, StoreError
from ..envvars import whole_number
from ..errors import AnalyzerError
from ..parse.header import FORMATS, default_host
from ..read.sources import Source, expand, series_of
from .plan import (
    SKIP,
    SKIPPED,
    check_year,
    empty_directories,
    identify,
    order_sources,
    resume_offset,
)
from .summary import IngestSummary, Progress, SourceReport

if TYPE_CHECKING:
    from ..correlate import Passwd
    from ..parse.batch import BatchJob, BatchResult
    from .read_source import BatchMapper

# What a run imports is what it needs: a run with nothing new (cron's, every few minutes)
# ends at `_nothing_new`, before the worker pool, the compiled core and the commit's
# modules are imported; the parsers, the correlator and pyarrow come with the first source
# that has lines to read (see read_source, commit, compiled, and
# `tests/dataset/test_ingest_lean`).

# Lines between commits; a crash loses at most this much work (env ANALYZER_COMMIT_LINES:
# tests use small values).
COMMIT_LINES = 2_000_000
PARALLEL_BYTES = 8 << 20  # below this, worker processes cost more than they save
WORKERS_ENV = "ANALYZER_WORKERS"  # `parse.workers.default_workers`'s


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
    # numpy (which pyarrow imports) starts OpenBLAS threads that spin on the other core
    # for nothing: ingest does no linear algebra. Set before its first import; the
    # user's own setting wins.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    check_year(year)
    zone = parse_zone(tz)
    if format is not None and format not in FORMATS:
        raise AnalyzerError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
    commit_lines = whole_number("ANALYZER_COMMIT_LINES", COMMIT_LINES, minimum=1)
    accounts = _read_passwd(passwd) if passwd else None
    php_host_assumed = host is None  # PHP's file form then gets this machine's name
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
    summary.warnings.extend(empty_directories(paths, sources))
    if _nothing_new(ds, sources, cursor_file, wait, summary):
        summary.seconds = time.monotonic() - started
        return summary
    small = sum(s.size for s in sources) < PARALLEL_BYTES and not any(s.is_stdin for s in sources)
    from ..parse.core import announce_fallback, batch_parser
    from . import compiled
    from .commit import Committer, set_aside_uncommitted
    from .plan import mta_hosts
    from .read_source import ClockState, SourceReader
    from .years import series_references

    whole_number(WORKERS_ENV, 0)  # a wrong value is an error whichever the path
    host = host or default_host()
    try:
        # workers first: they must not inherit the lock (see workers.py)
        # the compiled ingest engine (the compiled core's default): parse + correlate in Rust
        engine = compiled.engine_for(sources, year, passwd)
        parse = engine.parse if engine else batch_parser()  # compiled or the Python reference
        announce_fallback()
        with (
            _gc_paused(),
            _pool(parse, in_process=small or engine is not None) as pool,
            ds.lock(wait),
        ):
            state = ds.state()
            set_aside_uncommitted(ds, state, summary)
            if "parts" not in state:  # a checkpoint from before the list of parts
                state["parts"] = ds.inventory(state["commit"])
            # the tables' schema files: at the first commit (`Committer.warm_up`)
            mta_in_run = any(s.format != "phpmail" for s in sources)
            run = (engine.committer if engine else Committer)(
                ds,
                state,
                frozenset(local_ips),
                summary,
                commit_lines,
                accounts,
                mta_in_run,
                php_host_assumed,
                functools.partial(mta_hosts, sources, zone, year, host),
            )
            references = (
                functools.cache(functools.partial(series_references, sources, zone))
                if year is None
                else dict
            )
            reader = SourceReader(run, pool, zone, year, host, progress, references)
            # series -> the clock state its last file ended with (an explicit year)
            carried: dict[tuple[str, str] | None, ClockState | None] = {}
            try:
                keys = identify(sources, state["sources"], cursor_file, summary)
                for src, key in zip(sources, keys):
                    rotated = series_of(src.path) if not src.is_stdin else None
                    carried[rotated] = reader.read(src, key, carried.get(rotated))
                run.commit()
            except BaseException:
                run.writer.discard()  # a failed run (disk full, ^C) leaves no parts behind
                raise
            finally:
                run.close()  # not at interpreter exit, where threads cannot take the GIL
    except OSError as e:
        if e.errno in _DISK_ERRORS and not e.filename:  # Arrow's write errors name no file
            raise StoreError(
                f"{ds.root}: {os.strerror(e.errno).lower()} while writing the "
                "dataset; it is left as of its last commit (re-run to continue "
                "from there)"
            ) from e
        raise
    summary.programs_beside_mta = dict(run.beside_total)
    correlator = run.loaded_correlator
    if correlator is not None:  # else no line was read (the open state not loaded)
        from ..dataset.php_joins import php_join_report

        summary.php = correlator.run_php_joins
        summary.php_line, warning = php_join_report(summary.php, correlator.php_waiting())
        if warning:
            summary.warnings.append(warning)
    summary.seconds = time.monotonic() - started
    return summary


class _InProcess:
    """The worker pool's `map` without workers: each batch parsed in this process."""

    def __init__(self, parse: Callable[[BatchJob], BatchResult]):
        self.parse = parse

    def map(self, jobs: Iterable[BatchJob], /) -> Iterator[BatchResult]:
        return map(self.parse, jobs)


def _pool(
    parse: Callable[[BatchJob], BatchResult], in_process: bool
) -> AbstractContextManager[BatchMapper]:
    """The worker processes, one per core, or none (the compiled engine correlates as it
    parses; a small run): then `parse.workers` and multiprocessing are not imported."""
    if in_process:
        return nullcontext(_InProcess(parse))
    from ..parse.workers import OrderedPool, default_workers

    return OrderedPool(parse, default_workers())


def _nothing_new(
    ds: Dataset, sources: list[Source], cursor_file: str | None, wait: float, summary: IngestSummary
) -> bool:
    """Whether the checkpoint shows every source read to its end (the same content, and
    a size or archive as recorded: `plan.resume_offset`). Then the run ends here, under
    the lock, having read and written nothing, with the reports and warnings the whole
    way would give; its only difference: the whole way commits (a new commit number,
    the same checkpoint). Anything else goes the whole way, which also repairs what only
    it can: a source with lines to read, stdin, the note of a run that died writing, a
    checkpoint to migrate or to complete (an older version's; `mta_seen` first set), a
    table without its schema file."""
    if not sources or any(s.is_stdin for s in sources) or ds.debris_noted():
        return False
    if ds.tables_missing():
        return False  # `Dataset.ensure_tables` writes their schema files, with pyarrow
    planned = IngestSummary()
    with ds.lock(wait):
        state = ds.state()
        if (
            state["version"] != checkpoint.VERSION
            or checkpoint.inline_open_state(state) is not None
            or "parts" not in state
            or (not state.get("mta_seen") and any(s.format != "phpmail" for s in sources))
        ):
            return False
        checkpoints = {key: dict(cp) for key, cp in state["sources"].items()}
        keys = identify(sources, checkpoints, cursor_file, planned)
        if checkpoints != state["sources"]:  # re-keyed: the whole way commits that
            return False
        for src, key in zip(sources, keys):
            report = SourceReport(src.path, "new")
            if key == SKIP:
                report.status = SKIPPED
            elif resume_offset(src, key, checkpoints.get(key) if key else None, report) is not None:
                return False
            planned.sources.append(report)
    summary.sources.extend(planned.sources)
    summary.warnings.extend(planned.warnings)
    return True


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


def _read_passwd(path: str) -> Passwd:
    from ..correlate import Passwd

    try:
        accounts = Passwd.read(path)
    except OSError as e:
        raise AnalyzerError(f"{path}: cannot read the passwd file ({e.strerror})") from None
    if not accounts:
        raise AnalyzerError(f"{path}: no passwd entries (name:x:uid:gid:gecos:home:shell)")
    return accounts


@contextmanager
def _gc_paused() -> Iterator[None]:
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
