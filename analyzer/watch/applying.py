"""`watch --apply`: which proposed actions of the open incidents are due, once each.

An action is due when its kind is enabled for its incident's severity (`Applier.enabled`)
and it was not dealt with before: the alert state records every action handed to the
applier (incident id, kind, value, host) before it runs, and is saved before it runs, so
a restart never applies one twice (a crash in between loses that action rather than
repeating it; the actions log shows it has no outcome). Records older than `KEEP` of log
time whose incident is closed are forgotten, so the state stays small over months.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ..actions.apply import Applier, Outcome
from ..actions.plan import Action
from .state import AlertState

KEEP = timedelta(days=7)


def key_of(incident: str, action: dict) -> str:
    return "\x00".join((incident, action["what"], action["value"], action.get("host") or ""))


def due(state: AlertState, applier: Applier) -> list[Action]:
    """The actions to apply now (recorded in `state` as dealt with, at its newest time)."""
    now = state.newest or ""
    out = []
    for tracked in state.open.values():
        for entry in tracked.actions:
            key = key_of(tracked.id, entry)
            if key in state.applied or not applier.enabled(entry["what"], tracked.severity):
                continue
            state.applied[key] = now
            out.append(
                Action(
                    entry["what"],
                    tracked.id,
                    tracked.kind,
                    entry["value"],
                    mta=entry.get("mta"),
                    host=entry.get("host"),
                    uid=entry.get("uid"),
                    user=entry.get("user"),
                )
            )
    _forget(state)
    return out


def _forget(state: AlertState) -> None:
    if not state.newest:
        return
    horizon = _time(state.newest) - KEEP
    live = {t.id for t in state.open.values()}
    for key, when in list(state.applied.items()):
        if key.split("\x00", 1)[0] not in live and (not when or _time(when) < horizon):
            del state.applied[key]


def attach(alerts: list[dict], outcomes: list[Outcome]) -> None:
    """Each alert of an incident gets `applied`: the outcomes of its actions this time."""
    by_incident: dict[str, list[dict]] = {}
    for o in outcomes:
        by_incident.setdefault(o.action.incident, []).append(o.to_json())
    for a in alerts:
        if a.get("kind") != "summary":
            a["applied"] = by_incident.get(a["id"], [])


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
