"""What `watch` remembers between iterations and across restarts: the incidents it has
alerted as open (id, severity, when last found, the latest explanation), the newest
log time it evaluated and the actions `--apply` has dealt with. One small JSON file, `DATA/_state/watch.json`, replaced
atomically (temporary file, fsync, rename, fsync of the directory): after a crash it is
the old state or the new one, never half of either."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..dataset.durable import replace_text
from ..errors import AnalyzerError

STATE_FILE = "watch.json"
VERSION = 1


@dataclass
class Tracked:
    """One incident alerted as open and not yet closed."""

    id: str
    kind: str
    subject: str
    severity: str
    first_seen: str | None  # ISO 8601 UTC
    seen: str  # the newest log time at which it was last found (ISO 8601 UTC)
    explanation: dict = field(default_factory=dict)
    actions: list = field(default_factory=list)


@dataclass
class AlertState:
    open: dict[str, Tracked] = field(default_factory=dict)  # kind + key -> incident
    newest: str | None = None  # the newest log time evaluated (ISO 8601 UTC)
    # actions `--apply` ran or refused (`applying.key_of`) -> the log time it did
    applied: dict[str, str] = field(default_factory=dict)
    sent: list[str] = field(default_factory=list)  # wall-clock times of the last hour's alerts
    held: list[dict] = field(default_factory=list)  # alerts over the hour's budget, to summarise

    def to_json(self) -> dict:
        return {
            "version": VERSION,
            "newest": self.newest,
            "open": {key: asdict(t) for key, t in self.open.items()},
            "applied": self.applied,
            "sent": self.sent,
            "held": self.held,
        }

    @classmethod
    def from_json(cls, raw: dict) -> AlertState:
        return cls(
            open={key: Tracked(**t) for key, t in raw.get("open", {}).items()},
            newest=raw.get("newest"),
            applied=dict(raw.get("applied", {})),
            sent=list(raw.get("sent", [])),
            held=list(raw.get("held", [])),
        )


def path_of(data: str | os.PathLike) -> Path:
    return Path(data) / "_state" / STATE_FILE


def load(data: str | os.PathLike) -> AlertState:
    """The state `save` last wrote, or a new one."""
    path = path_of(data)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return AlertState()
    except (OSError, ValueError) as e:
        raise AnalyzerError(f"{path}: cannot read the watch state ({e})") from None
    if not isinstance(raw, dict) or raw.get("version") != VERSION:
        raise AnalyzerError(f"{path}: not a watch state this program wrote")
    try:
        return AlertState.from_json(raw)
    except TypeError as e:
        raise AnalyzerError(f"{path}: damaged watch state ({e})") from None


def save(data: str | os.PathLike, state: AlertState) -> None:
    path = path_of(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_text(path, json.dumps(state.to_json(), indent=1, sort_keys=True))
