"""journald cursors of a `journalctl -o json` export piped on stdin (`--cursor-file`):
each entry's `__CURSOR`, their order, and the part of a batch after a given entry."""

from __future__ import annotations

import re

from .batches import Batch

_CURSOR = re.compile(rb'"__CURSOR"\s*:\s*"([^"\\]+)"')


def journal_cursor(line: bytes) -> str | None:
    m = _CURSOR.search(line)
    return m[1].decode("ascii", "replace") if m else None


def cursor_after(a: str, b: str) -> bool:
    """Does journal entry cursor `a` come after `b`? Within one sequence-number space
    (`s=`) the entries' sequence numbers (`i=`) order them; across spaces (another
    journal file set) their wall-clock times (`t=`) do."""
    fa, fb = _cursor_fields(a), _cursor_fields(b)
    try:
        if fa.get("s") and fa.get("s") == fb.get("s"):
            return int(fa["i"], 16) > int(fb["i"], 16)
        return int(fa["t"], 16) > int(fb["t"], 16)
    except (KeyError, ValueError):
        return a != b  # unreadable: only the very entry is known to be read


def _cursor_fields(cursor: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in cursor.split(";") if "=" in part)


def after_cursor(batch: Batch, cursor: str) -> tuple[Batch | None, int]:
    """The part of a journal batch after entry `cursor` (None: all of it was read
    before), and the number of entries dropped."""
    lines = batch.data.split(b"\n")
    for i, line in enumerate(lines):
        c = journal_cursor(line)
        if c is not None and cursor_after(c, cursor):
            if i == 0:
                return batch, 0
            skipped = sum(1 for ln in lines[:i] if ln.strip(b"\0"))
            offset = batch.offset + sum(len(ln) + 1 for ln in lines[:i])
            return Batch(offset, b"\n".join(lines[i:]), batch.end), skipped
    return None, sum(1 for ln in lines if ln.strip(b"\0"))


def last_cursor(data: bytes) -> str | None:
    """The cursor of the last entry in a batch that has one."""
    end = len(data)
    while end > 0:
        start = data.rfind(b"\n", 0, end) + 1
        c = journal_cursor(data[start:end])
        if c is not None:
            return c
        end = start - 1
    return None
