"""The incidents of one window as the live tools name them: the nightly report's
incidents (`analyzer.nightly.model.build`: the same rules and thresholds, from
`analyzer.config.Thresholds`), each with a stable id, the kind names of the alert
contract (`stolen_account`, `spam_script`, `relay_spike`, `auth_bruteforce`), its first
and last time and the facts of its report row (plain JSON-ready values).

Every string here (subject, summary, facts) comes from the logs: hostile.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ..nightly.model import Report
from ..reports.incidents import Incident

# the nightly report's kind -> the kind alerts and actions name
KINDS = {
    "sasl_account": "stolen_account",
    "script": "spam_script",
    "relay_spike": "relay_spike",
    "auth_brute_force": "auth_bruteforce",
    "volume_anomaly": "volume_anomaly",
}
ID_BUCKET = timedelta(hours=1)  # first_seen is rounded down to this for the id

# where each section's row keeps its first and last time
_TIMES = {
    "senders": ("first_seen", "last_seen"),
    "scripts": ("first_seen", "last_seen"),
    "auth": ("first_seen", "last_seen"),
    "relay": ("start", "end"),
    "volume": ("first_seen", "last_seen"),
}


@dataclass
class Found:
    id: str
    kind: str  # see KINDS
    severity: str  # warn | crit
    subject: str  # what the operator acts on (log text)
    summary: str
    reasons: list[str]
    title: str
    first_seen: datetime | None  # UTC
    last_seen: datetime | None
    facts: dict = field(default_factory=dict)  # the report row, JSON-ready
    key: str = ""  # what names the subject (`key_of`): the same key is the same incident
    hosts: list[str] = field(default_factory=list)  # where it was seen (log text)

    def explanation(self) -> dict:
        """The explanation fields of the nightly report's incident."""
        return {
            "title": self.title,
            "summary": self.summary,
            "reasons": list(self.reasons),
            "hosts": list(self.hosts),
            "facts": self.facts,
        }


def incident_id(kind: str, subject: str, first_seen: datetime | None) -> str:
    """A hash of kind, subject (`key_of`) and the hour first_seen falls in: the same
    incident found again (another run, a restart) has the same id."""
    bucket = ""
    if first_seen is not None:
        start = first_seen.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        bucket = start.isoformat()
    digest = hashlib.sha256("\x00".join((kind, subject, bucket)).encode("utf-8", "replace"))
    return digest.hexdigest()[:16]


def found_in(report: Report, kinds: Iterable[str] = KINDS) -> list[Found]:
    """The incidents of `report` whose nightly kind is one of `kinds` (no_data and
    data_missing describe the dataset, not an abuser: they have no actions)."""
    wanted = set(kinds)
    return [_found(report, incident) for incident in report.incidents if incident.kind in wanted]


def _found(report: Report, incident: Incident) -> Found:
    row = _row(report, incident)
    facts = {k: plain(v) for k, v in row.items()}  # NA (an Exim script's uid) as None
    first_key, last_key = _TIMES.get(incident.section or "", ("", ""))
    first = _time(row.get(first_key))
    last = _time(row.get(last_key))
    kind = KINDS.get(incident.kind, incident.kind)
    key = key_of(kind, incident.subject, facts)
    return Found(
        id=incident_id(kind, key, first),
        kind=kind,
        severity=incident.severity,
        subject=incident.subject,
        summary=incident.summary,
        reasons=list(incident.reasons),
        title=incident.title,
        first_seen=first,
        last_seen=last,
        facts=facts,
        key=key,
        hosts=list(incident.hosts),
    )


def key_of(kind: str, subject: str, facts: dict) -> str:
    """What names the incident's subject whatever the display: a script by its host,
    identity and script (its subject also shows the passwd name of the uid, when known)."""
    if kind == "spam_script":
        return "\x00".join(
            str(facts.get(k) or "") for k in ("identity", "uid", "script_path", "script", "host")
        )
    return subject


def _row(report: Report, incident: Incident) -> dict:
    frames = {
        "senders": report.top_senders,
        "relay": report.relay_buckets,
        "scripts": report.scripts,
        "auth": report.auth,
        "volume": report.volume,
    }
    frame = frames.get(incident.section or "")
    import pandas as pd

    if not isinstance(frame, pd.DataFrame) or incident.row is None or incident.row >= len(frame):
        return {}
    return dict(frame.reset_index(drop=True).iloc[incident.row])


def _time(value) -> datetime | None:
    if value is None or isinstance(value, float) and math.isnan(value):
        return None
    try:
        import pandas as pd

        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        return None
    if pd.isna(stamp):
        return None
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return stamp.to_pydatetime().astimezone(UTC)


def plain(value):
    """A report cell as a JSON value: times as ISO 8601 UTC, numpy scalars as Python's,
    NaN/NA as None, lists and dicts walked."""
    import numpy as np
    import pandas as pd

    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [plain(v) for v in value]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (pd.Timestamp, datetime)):
        t = _time(value)
        return t.isoformat().replace("+00:00", "Z") if t else None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
