"""Planning a run's sources before any line is read: the format of each and their order
(`order_sources`), the checkpoint each resumes from or that it is not read at all
(`identify`), where reading starts (`resume_offset`), and the MTA hosts the run's files
cover (`mta_hosts`, for PHP entries that name no host)."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from ..clock import Clock
from ..errors import AnalyzerError
from ..parse.header import sniff_format
from ..read.checkpoints import match_checkpoints, new_checkpoint_key, share_new_copies
from ..read.sources import Source, head_lines
from ..read.syslog_copies import copies_read_before, syslog_copies
from .summary import IngestSummary, SourceReport

FIRST_YEAR = 1990  # --year below this is a typo, not a log
SKIP = "skip"  # a source this run does not read (see `identify`)
SKIPPED = "not read (syslog's copy of mail.log lines)"  # its status


def check_year(year: int | None) -> None:
    """A BSD timestamp's year must be plausible: a typo would date every line wrongly."""
    if year is None:
        return
    latest = datetime.now().year + 1
    if not FIRST_YEAR <= year <= latest:
        raise AnalyzerError(
            f"--year {year} is out of range: give a year from {FIRST_YEAR} to {latest}"
        )


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


def empty_directories(paths: list[str], sources: list[Source]) -> list[str]:
    """A directory named on the command line that gave no file is worth a word."""
    dirs = {os.path.normpath(os.path.dirname(s.path)) for s in sources if not s.is_stdin}
    return [
        f"{p}: no files in this directory"
        for p in paths
        if p != "-" and os.path.isdir(p) and os.path.normpath(p) not in dirs
    ]


def identify(
    sources: list[Source],
    checkpoints: dict[str, dict],
    cursor_file: str | None,
    summary: IngestSummary,
) -> list[str | None]:
    """The checkpoint key of each source (None: new; SKIP: not read). Checkpoints of the
    old form (keyed by the first line) are re-keyed here; copies of one log in other
    directories share one key (`read.checkpoints`); syslog's copies of mail.log lines
    are skipped when their mail.log is (or was) read."""
    keys = match_checkpoints(sources, checkpoints)
    for i, (src, key) in enumerate(zip(sources, keys)):
        if key is not None and "prefix" not in checkpoints[key]:  # migrate the old form
            cp = checkpoints.pop(key)
            cp["prefix"] = src.prefix(cp["offset"])
            new_key = new_checkpoint_key(src, checkpoints)
            checkpoints[new_key] = cp
            keys[i] = new_key
        if src.is_stdin and cursor_file is not None:
            keys[i] = "journal:" + os.path.abspath(cursor_file)
    share_new_copies(sources, keys, checkpoints)
    read_before: list[str | None] = [cp.get("path") for cp in checkpoints.values()]
    for i, full in syslog_copies(sources, read_before).items():
        keys[i] = SKIP
        summary.warnings.append(
            f"{sources[i].path}: not read: syslog writes each of its lines to {full} too, "
            "which is read (reading both would count them twice)"
        )
    for src, key in zip(sources, keys):
        if key is None and not src.is_stdin:
            copies = copies_read_before(src.path, read_before)
            if copies:
                summary.warnings.append(
                    f"{src.path}: holds the lines already read from {', '.join(copies)}: "
                    "they are counted twice (ingest mail.log only)"
                )
    return keys


def resume_offset(
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
    same_file = (checkpoint.get("dev"), checkpoint.get("inode")) == (src.dev, src.inode)
    copy = not same_file and _copy_elsewhere(src.path, checkpoint["path"])
    if copy:
        report.status = f"copy of {checkpoint['path']}, resumed"
    elif checkpoint["path"] != src.path:
        report.status = f"rotated (was {os.path.basename(checkpoint['path'])})"
    else:
        report.status = "resumed"
    if src.compression is None and src.size < checkpoint["offset"]:
        if copy:  # an older copy: all it holds was read from the other
            report.status = f"copy of {checkpoint['path']}, already read"
            return None
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
    offset: int = checkpoint["offset"]
    return offset


def _copy_elsewhere(path: str, other: str) -> bool:
    """The same file name in another directory or URL (`read.checkpoints.copy_of`)."""
    return path != other and os.path.basename(path) == os.path.basename(other)


def mta_hosts(
    sources: list[Source], zone: ZoneInfo | timezone, year: int | None, host: str
) -> dict[str, list[int]]:
    """Host -> [first line, mtime] (UTC µs) of the run's MTA files, from their first lines:
    PHP entries that name no host join to the one MTA host of their time, and files are
    read one after the other (see `Correlator.expect_hosts`)."""
    from ..parse.events import LineParser  # the parser: only when a correlator is made

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
