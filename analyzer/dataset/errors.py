"""What can keep a dataset from being used as asked: the errors (locked, no dataset,
an unreadable checkpoint) and the warning of committed parts gone missing."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from ..errors import AnalyzerError


class StoreError(AnalyzerError):
    """The dataset cannot be used as asked (locked, unreadable state, ...)."""


class NoDataset(StoreError):
    """Nothing ingested at this data directory yet; `hint`: how else to name one."""

    def __init__(self, root: Path | str, hint: str = ""):
        super().__init__(
            f"{root}: no dataset here yet; run `analyzer ingest` first"
            + (f" ({hint})" if hint else "")
        )


class LockHeld(StoreError):
    exit_code = 75  # EX_TEMPFAIL: cron wrappers may retry


class PartsMissing(UserWarning):
    """Committed parts that are gone or unreadable: what is read undercounts."""

    def __init__(self, root: Path, parts: list[dict]):
        self.parts = parts
        by_table: dict[str, int] = defaultdict(int)
        for p in parts:
            by_table[p["table"]] += p["rows"] or 0
        rows = ", ".join(f"{t} {n:,} rows" for t, n in sorted(by_table.items()))
        super().__init__(
            f"{root}: {len(parts):,} committed part file(s) missing or unreadable "
            f"({rows}): results undercount; `analyzer status` lists them"
        )
