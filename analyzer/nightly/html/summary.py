"""The top and bottom of the page: header, headline cards against the trailing week,
the incident list, the section links and the footer."""

from __future__ import annotations

from datetime import UTC, datetime

from ...reports.incidents import Incident
from ..model import TOTALS, Report
from .escape import esc


def header(report: Report, title: str | None) -> str:
    hours = report.window_days * 24
    length = f"{hours:.0f} h" if hours < 72 else f"{report.window_days:.1f} days"
    if report.no_data:  # no host to name: say what the dataset holds instead
        hosts = ""
        where = (
            f'<span data-testid="no-data"><b>no data</b> in the window; '
            f"{esc(report.covers_text)}</span>"
        )
    else:
        hosts = ", ".join(report.hosts)
        where = f'<span>host(s) <b data-testid="hosts">{esc(hosts)}</b></span>'
    return (
        '<header class="top">\n'
        f'<h1>{esc(title or "Mail abuse report")} <span class="hosts">{esc(hosts)}</span></h1>\n'
        '<p class="meta">'
        f'<span>window <b data-testid="window">{esc(window_text(report))}</b> ({esc(length)})</span>'
        f"{where}"
        f'<span>generated <b data-testid="generated">{esc(utc_time(report.generated))}</b></span>'
        f"<span>data <code>{esc(report.data)}</code></span></p>\n"
        "</header>"
    )


def window_text(report: Report) -> str:
    start = utc_time(report.since) if report.since else "the beginning"
    return f"{start} to {utc_time(report.until)}"


def headline(report: Report) -> str:
    cards = []
    for key, label in TOTALS.items():
        value = report.totals.get(key, 0)
        cards.append(
            f'<div class="card" data-metric="{esc(key)}">'
            f'<div class="label">{esc(label)}</div>'
            f'<div class="value" data-value="{int(value)}">{int(value):,}</div>'
            f"{_comparison(value, report.previous.get(key), report.history_days)}</div>"
        )
    top = report.top_senders
    if len(top):
        first = top.iloc[0]
        who = (
            f'<div class="value small" data-testid="top-identity">'
            f'<a href="#senders-0">{esc(first["identity"])}</a></div>'
            f'<div class="cmp"><span data-testid="top-messages" '
            f'data-value="{int(first["messages"])}">{int(first["messages"]):,}</span> '
            f"messages, {float(first['share']):.0%} of all out"
            f"{_usual(first)}</div>"
        )
    else:
        who = '<div class="value small" data-testid="top-identity">none</div>'
    cards.insert(
        1,
        f'<div class="card wide" data-metric="top_identity">'
        f'<div class="label">top identity</div>{who}</div>',
    )
    return (
        '<section id="summary" class="summary">\n<div class="cards">'
        + "".join(cards)
        + "</div>\n</section>"
    )


def _comparison(value, previous, history_days: float) -> str:
    if previous is None:
        return '<div class="cmp muted">no earlier data to compare</div>'
    days = f"{history_days:.0f}-day" if history_days >= 1 else f"{history_days * 24:.0f}-hour"
    base = f"{days} avg {previous:,.0f}"
    if previous < 0.5:
        change = "new" if value else "none before either"
        cls = "up" if value else "flat"
    else:
        ratio = value / previous - 1
        change = f"{ratio:+.0%}"
        cls = "up" if ratio > 0.5 else "down" if ratio < -0.5 else "flat"
    return (
        f'<div class="cmp {cls}" title="trailing {esc(days)} daily average, scaled to '
        f'the window">{esc(change)} <span class="muted">vs {esc(base)}</span></div>'
    )


def _usual(row) -> str:
    usual = row.get("usual")
    if usual is None or usual != usual:
        return ""
    return f' <span class="muted">(usual {float(usual):,.0f})</span>'


def incident_list(incidents: list[Incident]) -> str:
    crit = sum(i.severity == "crit" for i in incidents)
    warn = sum(i.severity == "warn" for i in incidents)
    head = (
        f'<h2 id="incidents">Incidents <span class="counts">'
        f'<span class="badge {"crit" if crit else "none"}" data-testid="crit-count" '
        f'data-value="{crit}">{crit} crit</span> '
        f'<span class="badge {"warn" if warn else "none"}" data-testid="warn-count" '
        f'data-value="{warn}">{warn} warn</span>'
        "</span></h2>"
    )
    if not incidents:
        return (
            f'<section class="incidents">{head}<p class="ok">No incidents: nothing in '
            "the window reached a threshold.</p></section>"
        )
    items = []
    for n, inc in enumerate(incidents, 1):
        target = f"{inc.section}-{inc.row}" if inc.section and inc.row is not None else None
        link = f'<a class="more" href="#{esc(target)}">details</a>' if target else ""
        items.append(
            f'<li id="incident-{n}" class="incident {esc(inc.severity)}" '
            f'data-kind="{esc(inc.kind)}" data-severity="{esc(inc.severity)}">'
            f'<span class="badge {esc(inc.severity)}">{esc(inc.severity.upper())}</span>'
            f'<div class="what"><div class="title">{esc(inc.title)} '
            f'<b class="subject">{esc(inc.subject)}</b> {link}</div>'
            f'<div class="text">{esc(inc.summary)}</div></div></li>'
        )
    return (
        f'<section class="incidents">{head}<ol class="incident-list">'
        + "".join(items)
        + "</ol></section>"
    )


def nav(fleet: bool = False) -> str:
    return (
        '<nav class="toc">'
        + ('<a href="#fleet">Hosts</a>' if fleet else "")
        + '<a href="#senders">Top senders</a><a href="#relay">'
        'Relay-denied spikes</a><a href="#scripts">Suspicious scripts</a>'
        '<a href="#auth">AUTH brute force</a><a href="#volume">Usual volume</a></nav>'
    )


def footer(report: Report) -> str:
    notes = "".join(f"<li>{esc(n)}</li>" for n in report.notes)
    hist = (
        f"{report.history_days:.1f} days of data before the window"
        if report.history_days > 0
        else "no data in the week before the window"
    )
    return (
        "<footer><p>Times are UTC. Comparisons use the trailing week ("
        f"{esc(hist)}). Thresholds and rules: <code>docs/report.md</code>; set them in "
        "the configuration file or with <code>--threshold SECTION.NAME=VALUE</code>.</p>"
        + (f'<ul class="notes">{notes}</ul>' if notes else "")
        + "</footer>"
    )


def utc_time(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return str(value)
