"""A flood of incidents is summarised, not sent one by one: of the alerts of one
iteration at most `limit` are sent (the most severe first: crit before warn, open and
escalated before closed; in their order otherwise), and the rest become one alert of
kind `summary` with their counts by kind and state and their ids. The alert state has
recorded every incident before this, so a left-out incident is not sent later either
(only its `closed` alert, which is rate limited the same way)."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, datetime, timedelta

from ..reports.incidents import SEVERITY_RANK
from .state import AlertState

MAX_ALERTS = 20  # alerts sent per iteration before the rest is summarised
PER_HOUR = 100  # alerts sent per hour (wall clock), summaries aside
HOUR = timedelta(hours=1)
_BRIEF = ("id", "kind", "state", "severity", "first_seen", "last_seen")
_STATE_RANK = {"open": 0, "escalated": 0, "closed": 1}


def limit(alerts: list[dict], most: int | None = MAX_ALERTS) -> tuple[list[dict], list[dict]]:
    """(the alerts to send, the alerts left out); `most` None or 0: no limit. The
    alerts to send keep their order; a summary of the left-out ones is `summary()`."""
    if not most or len(alerts) <= most:
        return list(alerts), []
    ranked = sorted(
        range(len(alerts)),
        key=lambda i: (
            -SEVERITY_RANK.get(str(alerts[i].get("severity")), 0),
            _STATE_RANK.get(str(alerts[i].get("state")), 2),
            i,
        ),
    )
    kept = set(ranked[:most])
    return (
        [a for i, a in enumerate(alerts) if i in kept],
        [a for i, a in enumerate(alerts) if i not in kept],
    )


def throttle(
    made: list[dict],
    state: AlertState,
    most: int | None = MAX_ALERTS,
    per_hour: int | None = PER_HOUR,
    now: datetime | None = None,
) -> tuple[list[dict], list[dict]]:
    """(the alerts to send, with a summary of the rest; the alerts left out) for the
    alerts `made` in one iteration: at most `most` of them, and at most `per_hour` alerts
    in the hour before `now` (wall clock, `state.sent`). When the hour's budget is spent,
    the alerts are held in `state.held` and summarised in one alert as soon as the budget
    allows again (a summary is sent beyond the budget: at most `per_hour` + 1 an hour
    when the flood goes on). None or 0: no limit."""
    when = (now or datetime.now(UTC)).astimezone(UTC)
    stamp = when.isoformat(timespec="seconds").replace("+00:00", "Z")
    if not per_hour:
        kept, left = limit(made, most)
        return kept + ([summary(left, stamp)] if left else []), left
    horizon = when - HOUR
    state.sent = [t for t in state.sent if _time(t) > horizon]
    room = per_hour - len(state.sent)
    if room <= 0:
        state.held += [{k: a.get(k) for k in _BRIEF} for a in made]
        return [], list(made)
    kept, left = limit(made, min(most, room) if most else room)
    left = [*state.held, *left]
    state.held = []
    out = kept + ([summary(left, stamp)] if left else [])
    state.sent += [stamp] * len(out)
    return out, left


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def summary(left_out: list[dict], detected_at: str) -> dict:
    """The one alert that stands for `left_out`: the fields of an alert (kind and state
    `summary`, the highest severity among them, the span of their log times, a reason
    per kind and state, no facts nor actions) plus their counts by kind and state and
    their ids."""
    counts: dict[str, dict[str, int]] = {}
    for (kind, state), n in sorted(Counter((a["kind"], a["state"]) for a in left_out).items()):
        counts.setdefault(kind, {})[state] = n
    ids = [a["id"] for a in left_out]
    firsts = [a["first_seen"] for a in left_out if a.get("first_seen")]
    lasts = [a["last_seen"] for a in left_out if a.get("last_seen")]
    severity = max(
        (a.get("severity", "warn") for a in left_out), key=lambda s: SEVERITY_RANK.get(s, 0)
    )
    by_kind = ", ".join(f"{sum(states.values())} {kind}" for kind, states in counts.items())
    text = f"{len(left_out)} more alerts not sent one by one: {by_kind}"
    digest = hashlib.sha256("\x00".join(["summary", detected_at, *ids]).encode())
    return {
        "id": digest.hexdigest()[:16],
        "kind": "summary",
        "state": "summary",
        "subject": f"{len(left_out)} more alerts",
        "severity": severity,
        "first_seen": min(firsts) if firsts else None,
        "last_seen": max(lasts) if lasts else None,
        "detected_at": detected_at,
        "title": "Alert flood summarised",
        "summary": text,
        "reasons": [
            f"{n} {kind} {state}" for kind, states in counts.items() for state, n in states.items()
        ],
        "facts": {},
        "actions": [],
        "counts": counts,
        "left_out": ids,
    }
