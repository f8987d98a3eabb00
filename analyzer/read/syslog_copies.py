"""Lines syslog writes to several files: Debian's and Ubuntu's rsyslog write every mail
line to mail.log and, by priority, the same line again to mail.info, mail.warn and
mail.err. Those are subsets of mail.log: reading both would count their lines twice."""

from __future__ import annotations

from collections.abc import Iterable

from .sources import Source, series

SYSLOG_ALL, SYSLOG_COPIES = "mail.log", ("mail.info", "mail.warn", "mail.err")


def syslog_copies(sources: list[Source], read_before: Iterable[str | None]) -> dict[int, str]:
    """Sources (by index) whose lines syslog also wrote to a mail.log of the same
    directory that is read in this run or was read before -> that mail.log's path.
    Reading both would count each of their lines twice."""
    full: dict[str, str] = {}
    for path in [s.path for s in sources if not s.is_stdin] + list(read_before):
        if path and path != "-" and series(path)[1] == SYSLOG_ALL:
            full.setdefault(series(path)[0], path)
    return {
        i: full[d]
        for i, s in enumerate(sources)
        if not s.is_stdin
        for d, stem in [series(s.path)]
        if stem in SYSLOG_COPIES and d in full
    }


def copies_read_before(path: str, read_before: Iterable[str | None]) -> list[str]:
    """For a mail.log: the files of its directory that hold copies of its lines and were
    read before (their lines are now counted twice); else none."""
    d, stem = series(path)
    if stem != SYSLOG_ALL:
        return []
    return sorted(
        {
            p
            for p in read_before
            if p and p != "-" and series(p)[0] == d and series(p)[1] in SYSLOG_COPIES
        }
    )
