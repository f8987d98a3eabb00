"""What a run reports: the summary it returns (lines, events, rows written, each source's
status, warnings) and the progress callback it calls as it goes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

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
