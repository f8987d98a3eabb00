"""From incidents to the actions that contain them, every value validated and checked
against the allowlist:

- `block_ip`: the client IP of a brute force or of an internet relay-denied spike;
- `refuse_login`: the SASL login of a stolen account, and the accounts a brute force
  logged in as;
- `hold_queue`: each message of that identity still in the queue at the last ingest
  (`complete` false, not rejected), by queue id, with the MTA that holds it;
- `stop_script`: the script file of a spam script, with its uid and account name;
  `locate_script` when the log gave only its file name (the X-PHP-Originating-Script
  header), to find it by name and uid.

A local relay-denied spike (a web app without SMTP AUTH) names a sender, not something
to block: it gets no action (the script behind it shows up as a spam script when the app
sends through the local MTA).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from . import validate
from .allowlist import Allowlist
from .found import Found

ACTIONS = ("block_ip", "refuse_login", "hold_queue", "stop_script", "locate_script")


@dataclass(frozen=True)
class Action:
    what: str  # one of ACTIONS
    incident: str  # the incident's id
    kind: str  # the incident's kind
    value: str  # the validated IP, login, queue id, path or file name
    mta: str | None = None  # hold_queue: postfix | exim; refuse_login: the MTA of its mail
    host: str | None = None  # hold_queue, stop_script: the (validated) host it is on
    uid: int | None = None  # stop_script
    user: str | None = None  # stop_script: the (validated) account name, when known


@dataclass
class Plan:
    incidents: list[Found]
    actions: list[Action] = field(default_factory=list)
    skipped: validate.Skipped = field(default_factory=validate.Skipped)
    allowlisted: Counter = field(default_factory=Counter)  # what -> actions not proposed
    unsupported: Counter = field(default_factory=Counter)  # e.g. Sendmail queue holds

    def of(self, incident: Found) -> list[Action]:
        return [a for a in self.actions if a.incident == incident.id]


def plan(
    incidents: Iterable[Found],
    allow: Allowlist,
    data: str | os.PathLike | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    users: dict[int, str] | None = None,
) -> Plan:
    """The actions of `incidents`; `data`, `since`, `until`: where queued messages are
    looked up (no `data`: no hold_queue actions)."""
    found = list(incidents)
    out = Plan(found)
    holds: list[tuple[Found, str]] = []  # (incident, identity whose queue to hold)
    for incident in found:
        make = _MAKERS.get(incident.kind)
        if make is not None:
            holds += make(incident, out, allow, users or {})
    if holds and data is not None:
        _hold(holds, out, data, since, until)
    return out


def _mta(program) -> str:
    """`postfix/submission/smtpd` -> postfix, `exim` -> exim, `sm-mta` -> sm-mta."""
    text = str(program or "")
    return "postfix" if text.startswith("postfix") else text.split("/")[0]


def _stolen_account(incident: Found, out: Plan, allow: Allowlist, users) -> list:
    identity = incident.facts.get("identity")
    login = identity[5:] if isinstance(identity, str) and identity.startswith("sasl:") else None
    return _refuse(incident, out, allow, login)


def _volume_anomaly(incident: Found, out: Plan, allow: Allowlist, users) -> list:
    """An account above its usual volume: a SASL login is refused (and its queue held),
    a local account's queued mail is held."""
    identity = incident.facts.get("identity")
    if not isinstance(identity, str):
        return []
    if identity.startswith("sasl:"):
        return _refuse(incident, out, allow, identity[5:])
    uid = validate.uid(identity[4:]) if identity.startswith("uid:") else None
    name = identity[5:] if identity.startswith("user:") else None
    if allow.uid(uid) or allow.user(name):
        out.allowlisted["hold_queue"] += 1
        return []
    return [(incident, identity)]


def _auth_bruteforce(incident: Found, out: Plan, allow: Allowlist, users) -> list:
    _block(incident, out, allow, incident.facts.get("client_ip", incident.subject))
    holds: list = []
    if incident.facts.get("succeeded_later"):
        for login in incident.facts.get("succeeded_as") or []:
            holds += _refuse(incident, out, allow, login)
    return holds


def _relay_spike(incident: Found, out: Plan, allow: Allowlist, users) -> list:
    if not incident.facts.get("local_count"):  # probes from the internet: block the top client
        _block(incident, out, allow, incident.subject)
    return []


def _spam_script(incident: Found, out: Plan, allow: Allowlist, users) -> list:
    facts = incident.facts
    uid = validate.uid(facts.get("uid"))
    if facts.get("uid") is not None and uid is None:
        out.skipped["uid"] += 1
    name = facts.get("user") or (users.get(uid) if uid is not None else None)
    user = validate.user(name) if name else None
    if name and user is None:
        out.skipped["user name"] += 1
    host = validate.host(facts["host"]) if facts.get("host") else None
    if facts.get("host") and host is None:
        out.skipped["host"] += 1
    raw = facts.get("script_path")
    if isinstance(raw, str) and raw and not raw.endswith("/"):  # a file, not Exim's cwd
        path = validate.path(raw)
        if path is None:
            out.skipped["path"] += 1
        elif allow.path(path) or allow.uid(uid) or allow.user(user):
            out.allowlisted["stop_script"] += 1
        else:
            out.actions.append(
                Action(
                    "stop_script", incident.id, incident.kind, path, host=host, uid=uid, user=user
                )
            )
    elif isinstance(script := facts.get("script"), str) and script:
        name = validate.filename(script)
        if name is None:
            out.skipped["file name"] += 1
        elif allow.uid(uid) or allow.user(user):
            out.allowlisted["locate_script"] += 1
        else:
            out.actions.append(
                Action(
                    "locate_script", incident.id, incident.kind, name, host=host, uid=uid, user=user
                )
            )
    identity = facts.get("identity")
    if not isinstance(identity, str):
        return []
    if allow.uid(uid) or allow.user(user):  # its queue is not held either
        return []
    return [(incident, identity)]


def _block(incident: Found, out: Plan, allow: Allowlist, raw) -> None:
    address = validate.ip(raw)
    if address is None:
        out.skipped["IP"] += 1
    elif allow.ip(address):
        out.allowlisted["block_ip"] += 1
    else:
        out.actions.append(Action("block_ip", incident.id, incident.kind, address))


def _refuse(incident: Found, out: Plan, allow: Allowlist, raw) -> list:
    login = validate.login(raw)
    if login is None:
        out.skipped["login"] += 1
        return []
    if allow.login(login):
        out.allowlisted["refuse_login"] += 1
        return []
    out.actions.append(Action("refuse_login", incident.id, incident.kind, login))
    return [(incident, f"sasl:{raw}")]


_MAKERS = {
    "stolen_account": _stolen_account,
    "auth_bruteforce": _auth_bruteforce,
    "relay_spike": _relay_spike,
    "spam_script": _spam_script,
    "volume_anomaly": _volume_anomaly,
}


def _hold(holds, out: Plan, data, since, until) -> None:
    """hold_queue actions for the messages of each identity still queued."""
    from ..dataset.reading import table

    columns = ["host", "queue_id", "identity", "program", "complete", "rejected"]
    messages = table("messages", data=data, since=since, until=until, columns=columns)
    # which MTA accepted each login's mail: Exim has no check_sasl_access map
    for i, a in enumerate(out.actions):
        if a.what == "refuse_login":
            programs = messages.loc[messages["identity"] == f"sasl:{a.value}", "program"]
            mtas = {_mta(p) for p in programs.dropna()}
            if len(mtas) == 1:
                out.actions[i] = replace(a, mta=mtas.pop())
    queued = messages[~messages["complete"].fillna(False).astype(bool)]
    queued = queued[~queued["rejected"].fillna(False).astype(bool)]
    seen: set[tuple[str, str]] = set()
    for incident, identity in holds:
        rows = queued[queued["identity"] == identity]
        for r in rows.itertuples(index=False):
            mta = _mta(r.program)
            if mta not in ("postfix", "exim"):
                out.unsupported[f"hold_queue ({mta or 'unknown MTA'})"] += 1
                continue
            qid = validate.queue_id(r.queue_id, mta)
            where = validate.host(r.host)
            if qid is None or where is None:
                out.skipped["queue id" if qid is None else "host"] += 1
                continue
            if (where, qid) in seen:
                continue
            seen.add((where, qid))
            out.actions.append(
                Action("hold_queue", incident.id, incident.kind, qid, mta=mta, host=where)
            )
