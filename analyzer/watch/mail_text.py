"""The e-mail-ready plain-text form of an alert (`--output text`): a `Subject:` line, a
blank line, then what happened, who, where (its hosts), since when, why and the proposed
actions. Every string that came from a log passes through `line()`: control characters
and the Unicode line and paragraph separators become visible escapes, so log text can
never start a line of its own (no forged `Subject:`, no forged action) nor drive a
terminal."""

from __future__ import annotations

import sys
from typing import TextIO

from ..render.terminal import printable

# what str.splitlines() and mail readers may also break on, beyond the C0/C1 controls
_SEPARATORS = {0x2028: "\\u2028", 0x2029: "\\u2029"}
SHOWN_IDS = 20  # ids of left-out alerts listed in a summary's text


def line(value: object) -> str:
    """`value` as one printable line."""
    return printable(value).translate(_SEPARATORS)


def subject(alert: dict) -> str:
    """The subject line of an alert, without the `Subject: ` prefix."""
    if alert.get("kind") == "summary":
        return f"[analyzer] {line(alert.get('subject', ''))}"
    return (
        f"[analyzer] {line(alert.get('state'))} {line(alert.get('severity'))} "
        f"{line(alert.get('kind'))}: {line(alert.get('subject'))}"
    )


def render(alert: dict) -> str:
    """The whole text of one alert, ending with a newline."""
    out = [f"Subject: {subject(alert)}", ""]
    if alert.get("kind") == "summary":
        out += _summary_body(alert)
    else:
        out += _incident_body(alert)
    return "\n".join(out) + "\n"


def _incident_body(alert: dict) -> list[str]:
    out = [
        f"What:     {line(alert.get('title'))} ({line(alert.get('kind'))})",
        f"Who:      {line(alert.get('subject'))}",
        *(
            [f"Where:    {line(', '.join(map(str, hosts)))}"]
            if (hosts := alert.get("hosts"))
            else []
        ),
        f"Since:    {line(alert.get('first_seen') or 'unknown')} (first log line), "
        f"last found {line(alert.get('last_seen'))}",
        f"State:    {line(alert.get('state'))}, severity {line(alert.get('severity'))}, "
        f"detected {line(alert.get('detected_at'))}",
        f"Incident: {line(alert.get('id'))}",
        "",
        "Why:",
        f"  {line(alert.get('summary'))}",
    ]
    out += [f"  - {line(reason)}" for reason in alert.get("reasons") or []]
    facts = alert.get("facts") or {}
    if facts:
        out += ["", "Facts:"]
        out += [
            f"  {line(key)}: {_fact(value)}"
            for key, value in facts.items()
            if value is not None and value != [] and value != {}
        ]
    out += ["", "Proposed actions (not run):"]
    actions = alert.get("actions") or []
    out += [f"  - {_action(a)}" for a in actions] or ["  none"]
    if "applied" in alert:  # under --apply: what was run this time
        out += ["", "Applied now (--apply):"]
        out += [
            f"  - {_action(a)}: {line(a.get('result'))}"
            + (f" ({line(a['reason'])})" if a.get("reason") else "")
            for a in alert["applied"]
        ] or ["  none"]
    return out


def _fact(value: object) -> str:
    """A fact's value on one line: a top list as `value (count), ...`, a list comma
    separated, a flag as yes/no."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_fact(v) for v in value)
    if isinstance(value, dict) and set(value) == {"value", "count"}:
        return f"{line(value['value'])} ({line(value['count'])})"
    return line(value)


def _action(action: dict) -> str:
    text = f"{line(action.get('what'))} {line(action.get('value'))}"
    extra = [
        f"{key} {line(action[key])}" for key in ("mta", "host", "uid", "user") if key in action
    ]
    return text + (f" ({', '.join(extra)})" if extra else "")


def _summary_body(alert: dict) -> list[str]:
    out = [
        f"What:     {line(alert.get('summary'))}",
        f"Since:    {line(alert.get('first_seen') or 'unknown')} (first log line), "
        f"last found {line(alert.get('last_seen'))}",
        f"State:    highest severity {line(alert.get('severity'))}, "
        f"detected {line(alert.get('detected_at'))}",
        "",
        "Left out, by kind and state:",
    ]
    for kind, states in (alert.get("counts") or {}).items():
        each = ", ".join(f"{n} {line(state)}" for state, n in states.items())
        out.append(f"  {line(kind)}: {each}")
    ids = list(alert.get("left_out") or [])
    out += ["", "Incidents left out:"]
    out += [f"  {line(i)}" for i in ids[:SHOWN_IDS]]
    if len(ids) > SHOWN_IDS:
        out.append(f"  and {len(ids) - SHOWN_IDS} more (in the JSON form and the state)")
    return out


class Text:
    """Each alert as e-mail-ready text on `stream` (default stdout), a blank line after
    it, flushed per alert."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream

    def __call__(self, alert: dict) -> None:
        out = self.stream or sys.stdout
        out.write(render(alert) + "\n")
        out.flush()
