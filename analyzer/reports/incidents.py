"""Incidents: what the nightly report tells an operator to act on, derived from the report
results by the thresholds of `analyzer.config` (documented in `docs/report.md`).

Pure functions: report DataFrames in, a list of `Incident` out. Each incident is named by
what the operator acts on — the SASL account to lock, the script (path or uid + name) to
remove, the sender address and hosted domain of the app that tries to relay, the IP to
block — and points at its row in the report's section (`section`, `row`).

Strings in an incident come from the logs: whoever renders them escapes them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..config import AuthThresholds, RelayThresholds, ScriptThresholds, SenderThresholds, Thresholds

SEVERITY_RANK = {"warn": 1, "crit": 2}
SECTIONS = ("senders", "relay", "scripts", "auth", "volume")


@dataclass
class Incident:
    severity: str  # warn | crit
    kind: str  # sasl_account | script | relay_spike | auth_brute_force | no_data
    # | data_missing
    subject: str  # what the operator acts on (from the logs)
    summary: str  # what was seen, without the subject (from the logs)
    reasons: list[str] = field(default_factory=list)
    section: str | None = None  # senders | relay | scripts | auth (None: the whole report)
    row: int | None = None  # row of that section's table
    hosts: list[str] = field(default_factory=list)  # where the subject was seen (`on_hosts`)

    @property
    def title(self) -> str:
        return KIND_TITLES.get(self.kind, self.kind)

    @property
    def line(self) -> str:
        """One line naming the subject, for the text summary."""
        return f"{KIND_LABELS.get(self.kind, self.kind)} {self.subject}: {self.summary}"


KIND_TITLES = {
    "sasl_account": "SASL account: stolen password?",
    "script": "Local script sending spam?",
    "relay_spike": "Relay-denied spike",
    "auth_brute_force": "SMTP AUTH brute force",
    "no_data": "No data",
    "data_missing": "Dataset damaged",
    "volume_anomaly": "Account above its usual volume",
}
KIND_LABELS = {
    "sasl_account": "SASL account",
    "script": "script",
    "relay_spike": "relay-denied spike from",
    "auth_brute_force": "AUTH brute force from",
    "no_data": "no data in",
    "data_missing": "parts missing in",
    "volume_anomaly": "account",
}


# a host takes part in a cross-host incident with this share of its subject's activity
# (or half an even share, when the subject is spread over more than 10 hosts)
MIN_HOST_SHARE = 0.05


def on_hosts(incident: Incident, activity: dict[str, int], unit: str) -> Incident:
    """Name the hosts of an incident whose subject (a login, a client IP) was seen on
    several: one incident, not one per host (the reports count fleet-wide). `activity`:
    host -> the subject's rows there (`unit`: messages, failures, rejects). A host with
    a small share (a customer's own use beside the abuse) is only mentioned. On one host
    the text stays as it was."""
    total = sum(activity.values())
    if not total:
        return incident
    floor = min(MIN_HOST_SHARE, 1 / (2 * len(activity)))
    named = {h: n for h, n in activity.items() if n / total >= floor}
    incident.hosts = sorted(named)
    if len(named) > 1:
        incident.summary += f" (on {len(named)} hosts: {', '.join(incident.hosts)})"
        incident.reasons.append(
            f"on {len(named)} hosts: "
            + ", ".join(f"{h} ({named[h]:,} {unit})" for h in incident.hosts)
        )
    minor = sorted(h for h in activity if h not in named)
    if minor and len(activity) > 1:
        incident.reasons.append(
            "also seen on " + ", ".join(f"{h} ({activity[h]:,} {unit})" for h in minor)
        )
    return incident


def at_least(incidents: list[Incident], level: str) -> list[Incident]:
    """The incidents of severity `level` or above (`never`: none)."""
    if level == "never":
        return []
    rank = SEVERITY_RANK[level]
    return [i for i in incidents if SEVERITY_RANK[i.severity] >= rank]


def level(value, warn, crit) -> str | None:
    """`crit` when value >= crit, `warn` when >= warn, else None (missing -> None)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if value >= crit:
        return "crit"
    if value >= warn:
        return "warn"
    return None


def worst(levels) -> str | None:
    found = [lv for lv in levels if lv]
    return max(found, key=SEVERITY_RANK.__getitem__) if found else None


def find_incidents(
    senders=None,
    spikes=None,
    scripts=None,
    auth=None,
    thresholds: Thresholds | None = None,
    users: dict[int, str] | None = None,
    window_days: float = 1.0,
    volume=None,
) -> list[Incident]:
    """Every incident of the four reports, crit first, then in report order.

    `senders`: `api.top_senders(by="identity")`, optionally with a `usual` column (the
    messages the identity sends in a window this long by its trailing-week average;
    missing when there is no history; `window_days`: the window's length); `spikes`: `api.relay_spikes` (spikes only or
    every bucket: the `spike` column tells); `scripts`: `api.suspicious_scripts`;
    `auth`: `api.auth_failures(by="client-ip")`; `users`: uid -> user name; `volume`:
    `reports.baselines.volume_in` (each account against its own hourly history).
    """
    t = thresholds or Thresholds()
    found: list[Incident] = []
    if senders is not None:
        found += sender_incidents(senders, t.senders, window_days)
    if spikes is not None:
        found += relay_incidents(spikes, t.relay)
    if scripts is not None:
        found += script_incidents(scripts, t.scripts, users or {})
    if auth is not None:
        found += auth_incidents(auth, t.auth)
    if volume is not None:
        from .baselines import volume_incidents  # it builds on this module's Incident

        found += volume_incidents(volume, t.baselines, users)
    order = {name: i for i, name in enumerate(SECTIONS)}
    found.sort(
        key=lambda i: (
            -SEVERITY_RANK[i.severity],
            order.get(i.section or "", 9),
            i.row if i.row is not None else -1,
        )
    )
    return found


def sender_incidents(top, t: SenderThresholds, window_days: float = 1.0) -> list[Incident]:
    """SASL accounts with the signs of a stolen password (see SenderThresholds)."""
    out: list[Incident] = []
    if top is None or top.empty or "identity" not in top.columns:
        return out
    has_usual = "usual" in top.columns
    for row, r in enumerate(top.itertuples(index=False)):
        identity = r.identity
        if not isinstance(identity, str) or not identity.startswith("sasl:"):
            continue
        if r.messages < t.min_messages:
            continue
        signs = []
        ips = int(r.client_ips)
        signs.append(
            (level(ips, t.client_ips_warn, t.client_ips_crit), f"logged in from {ips} client IPs")
        )
        peak = int(r.peak_hour_messages)
        signs.append(
            (level(peak, t.peak_hour_warn, t.peak_hour_crit), f"{peak} messages in one hour")
        )
        if has_usual and not _missing(r.usual):
            usual = max(float(r.usual), t.usual_floor * window_days)
            growth = r.messages / usual if usual > 0 else math.inf
            what = f"{growth:.0f}x" if growth >= 10 else f"{growth:.1f}x"
            signs.append(
                (
                    level(growth, t.growth_warn, t.growth_crit),
                    f"{what} its usual volume ({float(r.usual):.0f} expected)",
                )
            )
        final = int(r.sent) + int(r.bounced)
        if final >= t.min_messages:
            signs.append(
                (
                    level(r.bounce_rate, t.bounce_rate_warn, t.bounce_rate_crit),
                    f"bounce rate {float(r.bounce_rate):.0%}",
                )
            )
        severity = worst(lv for lv, _ in signs)
        if not severity:
            continue
        account = identity.split(":", 1)[1]
        reasons = [text for lv, text in signs if lv]
        out.append(
            Incident(
                severity,
                "sasl_account",
                account,
                f"{int(r.messages):,} messages to {int(r.recipients):,} recipients; "
                + ", ".join(reasons),
                reasons,
                "senders",
                row,
            )
        )
    return out


def relay_incidents(spikes, t: RelayThresholds) -> list[Incident]:
    """Relay-denied spikes: local ones (an app on this server) by their local rejects,
    internet-only ones when very large."""
    out: list[Incident] = []
    if spikes is None or spikes.empty:
        return out
    rows = spikes.reset_index(drop=True)
    for row, r in enumerate(rows.itertuples(index=False)):
        if not bool(r.spike):
            continue
        count, local = int(r.count), int(r.local_count)
        when = span(r.start, r.end)
        baseline = f"baseline {float(r.baseline):.0f}"
        if local > 0:
            severity = level(local, t.local_warn, t.local_crit)
            if not severity:
                continue
            subject = _first_text(
                r.responsible,
                r.responsible_domain,
                _top_value(r.top_senders),
                _top_value(r.top_clients),
                default="(unknown sender)",
            )
            reasons = [f"{local:,} of {count:,} rejects from clients on this server"]
            domain = r.responsible_domain if isinstance(r.responsible_domain, str) else None
            if domain and domain != subject:
                reasons.append(f"hosted domain {domain}")
            accounts = (
                list(r.responsible_accounts)
                if isinstance(r.responsible_accounts, (list, tuple))
                else []
            )
            if accounts:
                reasons.append("accounts of that domain: " + ", ".join(map(str, accounts[:3])))
            summary = (
                f"{local:,} rejects {when} UTC from clients on this server "
                f"({count:,} in all, {baseline}): a web app sending without SMTP AUTH"
            )
            if domain and domain != subject:
                summary += f"; hosted domain {domain}"
            if accounts:
                summary += "; its accounts: " + ", ".join(map(str, accounts[:3]))
        else:
            severity = level(count, t.internet_warn, t.internet_crit)
            if not severity:
                continue
            subject = _first_text(_top_value(r.top_clients), default="(unknown client)")
            clients = len(r.top_clients) if isinstance(r.top_clients, list) else 0
            reasons = [f"{count:,} rejects from the internet", f"top client {subject}"]
            summary = f"{count:,} rejects {when} UTC from the internet ({baseline})" + (
                f"; {clients - 1} more clients in the top list" if clients > 1 else ""
            )
        out.append(Incident(severity, "relay_spike", subject, summary, reasons, "relay", row))
    return out


def script_incidents(scripts, t: ScriptThresholds, users: dict[int, str]) -> list[Incident]:
    """(host, uid, script) rows whose suspicious-scripts score reaches the thresholds. In
    a fleet (rows of several hosts) the subject and summary name the script's host: a
    uid is an account of one server, the script to remove is on that one."""
    out: list[Incident] = []
    if scripts is None or scripts.empty:
        return out
    hosts = scripts["host"] if "host" in scripts.columns else None
    fleet = hosts is not None and hosts.dropna().nunique() > 1
    for row, r in enumerate(scripts.itertuples(index=False)):
        if int(r.messages) < t.min_messages:
            continue
        severity = level(int(r.score), t.score_warn, t.score_crit)
        if not severity:
            continue
        who = uid_label(r.uid, users, getattr(r, "identity", None))
        script = _first_text(getattr(r, "script_path", None), r.script, default="(no script)")
        host = _first_text(getattr(r, "host", None), default="")
        subject = f"{script} of {who}" + (f" on {host}" if fleet and host else "")
        reasons = [str(x) for x in (r.reasons if isinstance(r.reasons, (list, tuple)) else [])]
        summary = (
            f"{int(r.messages):,} messages to {int(r.recipients):,} recipients, "
            f"score {int(r.score)}" + (": " + "; ".join(reasons) if reasons else "")
        ) + (f" (on {host})" if fleet and host else "")
        incident = Incident(severity, "script", subject, summary, reasons, "scripts", row)
        incident.hosts = [host] if host else []
        out.append(incident)
    return out


def auth_incidents(auth, t: AuthThresholds) -> list[Incident]:
    """Client IPs brute-forcing SMTP AUTH; crit when one later logged in."""
    out: list[Incident] = []
    if auth is None or auth.empty:
        return out
    for row, r in enumerate(auth.itertuples(index=False)):
        failures = int(r.failures)
        severity = level(failures, t.failures_warn, t.failures_crit)
        succeeded = bool(r.succeeded_later) and failures >= t.success_min_failures
        if succeeded:
            severity = "crit"
        if not severity:
            continue
        ip = str(r.client_ip)
        tried = (
            f"{failures:,} failures (usernames not logged)"
            if _missing(r.usernames)
            else f"{failures:,} failures on {int(r.usernames):,} usernames"
        )
        reasons = [tried, span(r.first_seen, r.last_seen) + " UTC"]
        peak = getattr(r, "max_connection_rate", None)
        if peak is not None and not _missing(
            peak
        ):  # anvil's view of the same client adds to the picture
            reasons.append(f"up to {int(peak):,} connections a minute (anvil)")
        summary = f"{tried} {span(r.first_seen, r.last_seen)} UTC"
        if succeeded:
            accounts = (
                ", ".join(map(str, r.succeeded_as))
                if isinstance(r.succeeded_as, (list, tuple)) and len(r.succeeded_as)
                else "an account"
            )
            after = int(r.messages_after)
            reasons.append(
                f"then logged in as {accounts} at {_hm(r.first_success)} UTC"
                f" and sent {after:,} messages"
            )
            summary += (
                f", then logged in as {accounts} at {_hm(r.first_success)} UTC "
                f"({after:,} messages): lock that account, block the IP"
            )
        out.append(Incident(severity, "auth_brute_force", ip, summary, reasons, "auth", row))
    return out


def uid_label(uid, users: dict[int, str], identity=None) -> str:
    """`uid 1017 (site1017)` with the passwd name when known."""
    if _missing(uid):
        return str(identity) if isinstance(identity, str) else "unknown uid"
    name = users.get(int(uid))
    return f"uid {int(uid)} ({name})" if name else f"uid {int(uid)}"


def _top_value(entries):
    if isinstance(entries, (list, tuple)) and entries:
        return entries[0].get("value") if isinstance(entries[0], dict) else None
    return None


def _first_text(*values, default: str = "") -> str:
    for v in values:
        if isinstance(v, str) and v:
            return v
    return default


def _hm(ts) -> str:
    try:
        return ts.strftime("%H:%M")
    except (AttributeError, ValueError):
        return "?"


def span(start, end) -> str:
    """`2026-11-26 10:00-11:00` (the end's date shown only when it differs; an end at
    midnight belongs to the day before)."""
    try:
        first = start.strftime("%Y-%m-%d %H:%M")
        same = (
            end.date() == start.date()
            or (end - start).total_seconds() <= 3600
            and end.strftime("%H:%M") == "00:00"
        )
        return f"{first}-{end.strftime('%H:%M') if same else end.strftime('%Y-%m-%d %H:%M')}"
    except (AttributeError, ValueError, TypeError):
        return "?"


def _missing(value) -> bool:
    if value is None or type(value).__name__ == "NAType":  # pandas' NA of nullable columns
        return True
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return False
