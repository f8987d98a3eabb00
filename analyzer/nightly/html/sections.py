"""One section per report: its intro (the rule and thresholds), chart slot and table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..model import TOP_SENDERS_SHOWN, Report
from .escape import esc
from .tables import data_table, rows_to_show

if TYPE_CHECKING:
    import pandas as pd

ROWS_SHOWN = 10  # rows of the scripts and AUTH tables (plus every row with an incident)


def _section(
    name: str, title: str, intro: str, chart: str | None, table: str, empty: str | None = None
) -> str:
    parts = [
        f'<section id="{name}" class="report">',
        f"<h2>{title}</h2>",
        f'<p class="intro">{intro}</p>',
    ]
    if chart:
        parts.append(
            f'<div class="chart" id="chart-{name}" role="img" '
            f'aria-label="{esc(title)} chart"></div>'
        )
    parts.append(table if table else f'<p class="empty">{esc(empty or "No rows.")}</p>')
    parts.append("</section>")
    return "\n".join(parts)


def _top_rows_section(
    name: str,
    title: str,
    intro: str,
    chart: str | None,
    frame: pd.DataFrame,
    shown: int,
    cols: list[tuple[str, str, str]],
    incidents: dict,
    empty: str,
) -> str:
    """A section whose table has the first `shown` rows and every row with an incident."""
    rows = rows_to_show(frame, shown, incidents)
    table = data_table(name, frame, rows, cols, incidents)
    return _section(name, title, intro, chart, table, empty)


def senders_section(report: Report, chart, incidents: dict) -> str:
    frame = report.top_senders
    cols = [
        ("identity", "identity", "text"),
        ("messages", "messages", "num"),
        ("growth", "vs usual", "growth"),
        ("share", "share", "pct"),
        ("recipients", "recipients", "num"),
        ("recipient_domains", "rcpt domains", "num"),
        ("client_ips", "client IPs", "num"),
        ("peak_hour_messages", "peak hour", "num"),
        ("bounce_rate", "bounce rate", "pct"),
        ("first_seen", "first", "time"),
        ("last_seen", "last", "time"),
    ]
    t = report.thresholds.senders
    intro = (
        "Outgoing mail (SASL and local submissions, SMTP relayed outside the hosted "
        "domains) by accountable identity. A SASL account is an incident from "
        f"{t.min_messages} messages with {t.client_ips_warn}/{t.client_ips_crit}+ "
        f"client IPs, {t.peak_hour_warn}/{t.peak_hour_crit}+ messages in one hour, "
        f"{t.growth_warn:g}/{t.growth_crit:g}x its usual volume or a bounce rate of "
        f"{t.bounce_rate_warn:.0%}/{t.bounce_rate_crit:.0%} (warn/crit). "
        "<i>vs usual</i>: the window against the identity's trailing-week average."
    )
    return _top_rows_section(
        "senders",
        "Top senders",
        intro,
        chart,
        frame,
        TOP_SENDERS_SHOWN,
        cols,
        incidents,
        "No outgoing messages in the window.",
    )


def relay_section(report: Report, chart, incidents: dict) -> str:
    frame = report.relay_buckets
    spikes = [i for i in range(len(frame)) if bool(frame["spike"].iloc[i])] if len(frame) else []
    cols = [
        ("start", "hour", "span"),
        ("count", "rejects", "num"),
        ("baseline", "baseline", "dec"),
        ("local_count", "local", "num"),
        ("top_clients", "top clients", "lines"),
        ("top_senders", "top senders", "lines"),
        ("top_helos", "HELO", "lines"),
        ("responsible", "likely responsible", "responsible"),
    ]
    r = report.thresholds.relay
    intro = (
        '"Relay access denied" (and equivalents) per '
        f"{esc(r.bucket)}; a spike exceeds the median of the {r.window} buckets before "
        f"it by {r.z:g} robust spreads and has at least {r.min_count} rejects. A spike "
        "from clients on this server (loopback or its own addresses) is a customer's "
        "web app sending without SMTP AUTH: the sender and hosted domain say whose. "
        f"Incident from {r.local_warn}/{r.local_crit} local rejects (warn/crit), or "
        f"{r.internet_warn}/{r.internet_crit} for internet-only spikes."
    )
    if len(frame):
        total = int(frame["count"].sum())
        intro += f" {total:,} relay-denied rejects in the window, {len(spikes)} spike(s)."
    table = data_table("relay", frame, spikes, cols, incidents) if spikes else ""
    empty = "No relay-denied spikes in the window." if len(frame) else "No rejects in the window."
    return _section("relay", "Relay-denied spikes", intro, chart, table, empty)


def scripts_section(report: Report, chart, incidents: dict) -> str:
    frame = report.scripts
    # in a fleet a uid is an account of one server: the host says which
    cols = [("host", "host", "text")] if report.has_fleet else []
    cols += [("uid", "uid", "id")]
    if "user" in frame.columns:
        cols.append(("user", "user", "text"))
    cols += [
        ("script", "script", "script"),
        ("messages", "messages", "num"),
        ("recipients", "recipients", "num"),
        ("recipient_domains", "rcpt domains", "num"),
        ("peak_hour_messages", "peak hour", "num"),
        ("bounce_rate", "bounce rate", "pct"),
        ("first_seen", "first", "time"),
        ("score", "score", "num"),
        ("reasons", "reasons", "reasons"),
    ]
    t = report.thresholds.scripts
    intro = (
        "Local submissions (PHP mail(), sendmail, cron) by host, uid and script, scored by "
        "the signs of a spam script: volume against its own history "
        f"({esc(t.history)}), a new script, a burst in one hour, bounce rate, recipient "
        "fan-out, a path in uploads/tmp/cache or a random-looking name. Incident from "
        f"score {t.score_warn}/{t.score_crit} (warn/crit) and {t.min_messages} messages."
    )
    return _top_rows_section(
        "scripts",
        "Suspicious scripts",
        intro,
        chart,
        frame,
        ROWS_SHOWN,
        cols,
        incidents,
        "No local submissions in the window.",
    )


def auth_section(report: Report, chart, incidents: dict) -> str:
    frame = report.auth
    cols = [
        ("client_ip", "client IP", "text"),
        ("client_name", "name", "text"),
        ("failures", "failures", "num"),
        ("usernames", "usernames", "num"),
        ("max_connection_rate", "conn./min", "num"),
        ("top_usernames", "tried", "lines"),
        ("first_seen", "first", "time"),
        ("last_seen", "last", "time"),
        ("succeeded_as", "then logged in as", "lines"),
        ("first_success", "at", "time"),
        ("messages_after", "messages after", "num"),
    ]
    t = report.thresholds.auth
    intro = (
        "SMTP AUTH failures by client IP. Incident from "
        f"{t.failures_warn}/{t.failures_crit} failures (warn/crit); an IP that failed "
        f"{t.success_min_failures}+ times and then logged in is crit: the account it "
        "logged in as is compromised."
    )
    if len(frame):
        intro += (
            f" {int(frame['failures'].sum()):,} failures from {len(frame):,} "
            "client IPs in the window."
        )
        if frame["usernames"].isna().all():  # Postfix < 3.8: no username on failures
            intro += " Usernames tried: not logged by this server."
    return _top_rows_section(
        "auth",
        "SMTP AUTH brute force",
        intro,
        chart,
        frame,
        ROWS_SHOWN,
        cols,
        incidents,
        "No SMTP AUTH failures in the window.",
    )


def volume_section(report: Report, incidents: dict) -> str:
    """Accounts against their own hourly history (`reports.baselines`): the ones furthest
    above their usual volume first, every row with an incident among them (the target of
    a `volume_anomaly`'s details link)."""
    frame = report.volume
    t = report.thresholds.baselines
    intro = (
        f"Each account's busiest 60 minutes in the window against its usual hourly volume "
        f"(the {t.quantile:.0%} quantile of its messages per hour over the {t.days} days "
        f"before; known after {t.min_days:g} days of data). Incident at "
        f"{t.factor_warn:g}/{t.factor_crit:g}x its usual volume and at least "
        f"{t.floor_warn}/{t.floor_crit} messages (warn/crit)."
    )
    rows: list[int] = []
    if frame is not None and len(frame):
        factor = frame["factor"].fillna(-1.0).tolist()  # no history: last
        by_factor = sorted(range(len(frame)), key=lambda r: -factor[r])
        rows = [r for r in by_factor if r in incidents]
        rows += [r for r in by_factor[:ROWS_SHOWN] if r not in incidents]
    cols = [
        ("identity", "account", "text"),
        ("messages", "messages", "num"),
        ("peak", "busiest 60 min", "num"),
        ("peak_start", "from", "time"),
        ("usual", "usual an hour", "dec"),
        ("factor", "x usual", "dec"),
        ("history_days", "days of history", "dec"),
    ]
    table = data_table("volume", frame, rows, cols, incidents)
    return _section("volume", "Accounts above their usual volume", intro, None, table,
                    "No account sent in the window.")  # fmt: skip


def fleet_section(report: Report) -> str:
    """Per host of a fleet: messages out, incidents whose subject it saw, top identity.
    Nothing when the window has one host."""
    frame = report.fleet
    if frame is None or not report.has_fleet:
        return ""
    cols = [
        ("host", "host", "text"),
        ("messages", "messages out", "num"),
        ("incidents", "incidents", "num"),
        ("top_identity", "top identity", "text"),
        ("top_identity_messages", "its messages", "num"),
    ]
    intro = (
        f"{len(frame)} hosts logged in the window. The reports below count the whole "
        "fleet; an incident whose login or client IP is active on several hosts is one "
        "incident naming them."
    )
    table = data_table("fleet", frame, list(range(len(frame))), cols, {})
    return _section("fleet", "Hosts", intro, None, table)
