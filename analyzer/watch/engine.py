"""From the incidents found in one evaluation to the alerts to emit: `open` for an
incident not tracked yet, `escalated` when its severity rose, `closed` when it has not
been found for `grace` of log time. Pure: the state is changed in place, nothing is
written or sent here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..actions.found import Found
from ..reports.incidents import SEVERITY_RANK
from .state import AlertState, Tracked

GRACE = timedelta(minutes=10)  # an incident not found for this long (log time) is closed


@dataclass
class Event:
    state: str  # open | escalated | closed
    incident: Tracked


def evaluate(
    found: list[Found],
    state: AlertState,
    newest: datetime,
    grace: timedelta = GRACE,
    actions: dict[str, list] | None = None,
) -> list[Event]:
    """The alerts of one evaluation at log time `newest`; `actions`: the proposed
    actions of each found incident (by its id), kept with it."""
    now = _iso(newest)
    current: dict[str, Found] = {}
    for f in found:
        key = f"{f.kind}\x00{f.key}"
        if key not in current or _rank(f.severity) > _rank(current[key].severity):
            current[key] = f
    events = []
    for key, f in current.items():
        tracked = state.open.get(key)
        if tracked is None:
            tracked = state.open[key] = Tracked(
                id=f.id,
                kind=f.kind,
                subject=f.subject,
                severity=f.severity,
                first_seen=_iso(f.first_seen) if f.first_seen else None,
                seen=now,
            )
            what = "open"
        elif _rank(f.severity) > _rank(tracked.severity):
            tracked.severity = f.severity
            what = "escalated"
        else:
            what = ""
        tracked.seen = now
        tracked.explanation = f.explanation()
        tracked.actions = list((actions or {}).get(f.id, []))
        if what:
            events.append(Event(what, tracked))
    for key, tracked in list(state.open.items()):
        if key not in current and newest - _time(tracked.seen) >= grace:
            del state.open[key]
            events.append(Event("closed", tracked))
    state.newest = now
    return events


def _rank(severity: str) -> int:
    return SEVERITY_RANK.get(severity, 0)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
