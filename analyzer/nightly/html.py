"""The nightly page: one self-contained HTML string from a `nightly.Report`.

No I/O here besides reading plotly.js from the installed plotly package: the caller
writes the string. The page needs no network: plotly.js is inlined once, each chart's
figure is a JSON block drawn by one small script.

Log lines are attacker-controlled, so the page is built with one discipline:

- every piece of text that is not a literal of this module goes through `esc`
  (`html.escape`, quotes included) — cells, incident subjects, reasons, titles;
- attribute values and link targets are made here (`senders-3`), never from log text;
  there is no `href` built from data, so no `javascript:` URL can come from a log;
- chart hover texts, legend names and labels are escaped by `analyzer.render.charts` (plotly
  renders a subset of HTML in them); the figure JSON is embedded in a non-executed
  `<script type="application/json">` with `<`, `>`, `&`, U+2028/9 as `\\uXXXX`
  escapes, so neither `</script>` nor `<!--` can appear inside it;
- a Content-Security-Policy allows only the page's own two scripts (by hash): were a
  payload ever to slip through, the browser would still refuse to run it.
"""

from __future__ import annotations

import base64
import hashlib
import html
import math
from datetime import UTC, datetime

from ..reports.incidents import SEVERITY_RANK, Incident, span
from .model import TOP_SENDERS_SHOWN, TOTALS, Report

ROWS_SHOWN = 10  # rows of the scripts and AUTH tables (plus every row with an incident)
SCRIPTS_CHARTED = 15  # points of the scripts chart


def esc(value) -> str:
    """Text as HTML: escaped, missing -> empty."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    return html.escape(str(value), quote=True)


def embed_json(text: str) -> str:
    """JSON made safe inside `<script type="application/json">`: the characters that could
    end the element or open a comment become `\\uXXXX` escapes (still the same JSON)."""
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def render(report: Report, *, title: str | None = None) -> str:
    """The whole page for `report`."""
    charts = _charts(report)
    by_section = _incidents_by_row(report.incidents)
    body = "\n".join(
        [
            _header(report, title),
            "<main>",
            _headline(report),
            _incident_list(report.incidents),
            _nav(),
            _senders_section(report, charts.get("senders"), by_section.get("senders", {})),
            _relay_section(report, charts.get("relay"), by_section.get("relay", {})),
            _scripts_section(report, charts.get("scripts"), by_section.get("scripts", {})),
            _auth_section(report, charts.get("auth"), by_section.get("auth", {})),
            _footer(report),
            "</main>",
        ]
    )
    blocks = "\n".join(
        f'<script type="application/json" class="chart-data" data-chart="chart-{name}">'
        f"{embed_json(fig)}</script>"
        for name, fig in charts.items()
    )
    plotly_js = _plotly_js() if charts else ""
    scripts = [s for s in (plotly_js, _BOOT if charts else "") if s]
    for s in scripts:
        if "</script" in s.lower() or "<!--" in s:  # pragma: no cover - plotly's own text
            raise ValueError("a script to inline contains </script or <!--")
    csp = (
        "default-src 'none'; "
        + "script-src "
        + (" ".join(f"'sha256-{_sha256(s)}'" for s in scripts) or "'none'")
        + "; style-src 'unsafe-inline'; img-src data:; font-src data:; "
        "base-uri 'none'; form-action 'none'"
    )
    head_title = title or _page_title(report)
    return "".join(
        [
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
            f'<meta http-equiv="Content-Security-Policy" content="{esc(csp)}">\n',
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
            '<meta name="referrer" content="no-referrer">\n',
            f"<title>{esc(head_title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n",
            body,
            "\n",
            blocks,
            "\n",
            *(f"<script>{s}</script>\n" for s in scripts),
            "</body>\n</html>\n",
        ]
    )


# --- pieces of the page -------------------------------------------------------------------------


def _page_title(report: Report) -> str:
    worst = _worst(report.incidents)
    mark = f"[{worst.upper()}] " if worst else ""
    if report.no_data:
        return f"{mark}Mail report: no data, {_window(report)}"
    return f"{mark}Mail report {', '.join(report.hosts)}, {_window(report)}"


def _header(report: Report, title: str | None) -> str:
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
        f'<span>window <b data-testid="window">{esc(_window(report))}</b> ({esc(length)})</span>'
        f"{where}"
        f'<span>generated <b data-testid="generated">{esc(_ts(report.generated))}</b></span>'
        f"<span>data <code>{esc(report.data)}</code></span></p>\n"
        "</header>"
    )


def _window(report: Report) -> str:
    start = _ts(report.since) if report.since else "the beginning"
    return f"{start} to {_ts(report.until)}"


def _headline(report: Report) -> str:
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


def _incident_list(incidents: list[Incident]) -> str:
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


def _nav() -> str:
    return (
        '<nav class="toc"><a href="#senders">Top senders</a><a href="#relay">'
        'Relay-denied spikes</a><a href="#scripts">Suspicious scripts</a>'
        '<a href="#auth">AUTH brute force</a></nav>'
    )


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


def _senders_section(report: Report, chart, incidents: dict) -> str:
    frame = report.top_senders
    rows = _rows_to_show(frame, TOP_SENDERS_SHOWN, incidents)
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
    return _section(
        "senders",
        "Top senders",
        intro,
        chart,
        _table("senders", frame, rows, cols, incidents),
        "No outgoing messages in the window.",
    )


def _relay_section(report: Report, chart, incidents: dict) -> str:
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
    table = _table("relay", frame, spikes, cols, incidents) if spikes else ""
    empty = "No relay-denied spikes in the window." if len(frame) else "No rejects in the window."
    return _section("relay", "Relay-denied spikes", intro, chart, table, empty)


def _scripts_section(report: Report, chart, incidents: dict) -> str:
    frame = report.scripts
    rows = _rows_to_show(frame, ROWS_SHOWN, incidents)
    cols = [("uid", "uid", "id")]
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
        "Local submissions (PHP mail(), sendmail, cron) by uid and script, scored by "
        "the signs of a spam script: volume against its own history "
        f"({esc(t.history)}), a new script, a burst in one hour, bounce rate, recipient "
        "fan-out, a path in uploads/tmp/cache or a random-looking name. Incident from "
        f"score {t.score_warn}/{t.score_crit} (warn/crit) and {t.min_messages} messages."
    )
    return _section(
        "scripts",
        "Suspicious scripts",
        intro,
        chart,
        _table("scripts", frame, rows, cols, incidents),
        "No local submissions in the window.",
    )


def _auth_section(report: Report, chart, incidents: dict) -> str:
    frame = report.auth
    rows = _rows_to_show(frame, ROWS_SHOWN, incidents)
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
    return _section(
        "auth",
        "SMTP AUTH brute force",
        intro,
        chart,
        _table("auth", frame, rows, cols, incidents),
        "No SMTP AUTH failures in the window.",
    )


def _footer(report: Report) -> str:
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


# --- tables ---------------------------------------------------------------------------------------


def _rows_to_show(frame, n: int, incidents: dict) -> list[int]:
    if frame is None or not len(frame):
        return []
    rows = list(range(min(n, len(frame))))
    rows += sorted(r for r in incidents if r >= n and r < len(frame))
    return rows


def _table(section: str, frame, rows: list[int], cols, incidents: dict) -> str:
    if frame is None or not len(frame) or not rows:
        return ""
    present = [
        (c, h, k) for c, h, k in cols if c in frame.columns and _has_values(frame[c].iloc[rows])
    ]
    head = "".join(f'<th class="{_align(k)}">{esc(h)}</th>' for _, h, k in present)
    body = []
    for i in rows:
        record = frame.iloc[i]
        marks = incidents.get(i, [])
        sev = max((inc.severity for _, inc in marks), key=SEVERITY_RANK.get, default=None)
        flag = "".join(
            f'<a class="badge {esc(inc.severity)}" href="#incident-{n}" '
            f'title="incident {n}">{esc(inc.severity.upper())}</a>'
            for n, inc in marks
        )
        cells = [f'<td class="flag">{flag}</td>']
        for col, _, kind in present:
            cells.append(f'<td class="{_align(kind)}">{_cell(record, col, kind)}</td>')
        cls = f' class="{esc(sev)}"' if sev else ""
        body.append(f'<tr id="{esc(section)}-{i}"{cls}>' + "".join(cells) + "</tr>")
    more = len(frame) - len(rows)
    caption = f"<caption>{len(rows):,} of {len(frame):,} rows</caption>" if more > 0 else ""
    return (
        f'<div class="scroll"><table class="data">{caption}<thead><tr><th></th>{head}'
        f"</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _align(kind: str) -> str:
    if kind in ("num", "pct", "dec", "growth", "id"):
        return "r"
    return "t" if kind in ("time", "span") else "l"


def _cell(record, col: str, kind: str) -> str:
    from ..render.output import plain, table_cell

    value = record[col]
    if kind == "span":
        return esc(span(record["start"], record["end"]))
    if kind == "time":
        v = plain(value)
        return esc(v.replace("T", " ").replace("Z", "")[5:16]) if isinstance(v, str) else ""
    if kind == "pct":
        v = plain(value)
        return esc(f"{v:.0%}") if isinstance(v, (int, float)) and not isinstance(v, bool) else ""
    if kind == "dec":
        v = plain(value)
        return esc(f"{v:,.1f}") if isinstance(v, (int, float)) else ""
    if kind == "growth":
        v = plain(value)
        if not isinstance(v, (int, float)):
            return '<span class="muted">-</span>'
        usual = plain(record.get("usual"))
        text = f"{v:.0f}x" if v >= 10 else f"{v:.1f}x"
        tip = f"usual {usual:.1f} in a window this long" if isinstance(usual, float) else ""
        return f'<span title="{esc(tip)}">{esc(text)}</span>'
    if kind == "script":
        path = plain(record.get("script_path"))
        script = plain(value)
        shown = path if isinstance(path, str) and path else script
        return esc(shown) if shown is not None else '<span class="muted">(no script)</span>'
    if kind == "reasons":
        items = plain(value) or []
        return "<br>".join(esc(x) for x in items) if isinstance(items, list) else esc(items)
    if kind == "responsible":
        parts = [f"<b>{esc(value)}</b>" if isinstance(plain(value), str) else ""]
        domain = plain(record.get("responsible_domain"))
        if isinstance(domain, str) and domain:
            parts.append(esc(domain))
        accounts = plain(record.get("responsible_accounts")) or []
        if isinstance(accounts, list) and accounts:
            parts.append(_lines(accounts))
        return "<br>".join(p for p in parts if p)
    if kind == "lines":
        v = plain(value)
        return _lines(v) if isinstance(v, list) else esc(v)
    if kind == "list":
        v = plain(value)
        if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            more = f' <span class="muted">+{len(v) - 3}</span>' if len(v) > 3 else ""
            return (
                ", ".join(
                    f'{esc(x.get("value"))}&nbsp;<span class="muted">'
                    f"({int(x.get('count', 0)):,})</span>"
                    for x in v[:3]
                )
                + more
            )
        if isinstance(v, list):
            more = f' <span class="muted">+{len(v) - 3}</span>' if len(v) > 3 else ""
            return ", ".join(esc(x) for x in v[:3]) + more
        return esc(v)
    if kind == "num":
        v = plain(value)
        return (
            esc(f"{v:,}")
            if isinstance(v, int) and not isinstance(v, bool)
            else esc(table_cell(value, col))
        )
    return esc(table_cell(value, col))


def _lines(items: list, n: int = 3) -> str:
    """A short list, one item per line: `value (count)` for [{value, count}]."""
    out = []
    for x in items[:n]:
        if isinstance(x, dict):
            out.append(
                f'<span class="item">{esc(x.get("value"))} <span class="muted">'
                f"({int(x.get('count', 0)):,})</span></span>"
            )
        else:
            out.append(f'<span class="item">{esc(x)}</span>')
    if len(items) > n:
        out.append(f'<span class="muted">+{len(items) - n} more</span>')
    return "<br>".join(out)


def _has_values(column) -> bool:
    """Whether any cell of the column (a Series) has something to show."""
    from ..render.output import plain

    for v in column:
        v = plain(v)
        if v not in (None, "", []) and v is not False:
            return True
    return False


def _incidents_by_row(incidents: list[Incident]) -> dict[str, dict[int, list]]:
    out: dict[str, dict[int, list]] = {}
    for n, inc in enumerate(incidents, 1):
        if inc.section and inc.row is not None:
            out.setdefault(inc.section, {}).setdefault(inc.row, []).append((n, inc))
    return out


def _worst(incidents: list[Incident]) -> str | None:
    return max((i.severity for i in incidents), key=SEVERITY_RANK.get, default=None)


# --- charts -------------------------------------------------------------------------------------


def _charts(report: Report) -> dict[str, str]:
    """name -> the figure as JSON (plotly.io.to_json), for the sections that have data."""
    import plotly.io as pio

    from ..render import charts

    figs = {}
    if len(report.sender_timeline):
        figs["senders"] = charts.top_senders(report.sender_timeline, "")
    if len(report.relay_buckets):
        figs["relay"] = charts.relay_spikes(report.relay_buckets, "")
    if len(report.scripts):
        shown = report.scripts.head(SCRIPTS_CHARTED)
        fig = charts.suspicious_scripts(shown, "")
        # label only the points worth a look: the rest would pile up on one another
        warn = report.thresholds.scripts.score_warn
        fig.data[0].text = tuple(
            label if score >= warn else "" for label, score in zip(fig.data[0].text, shown["score"])
        )
        fig.data[0].textposition = "middle left"
        figs["scripts"] = fig
    if len(report.auth_timeline):
        figs["auth"] = charts.auth_failures(report.auth_timeline, "")
    out = {}
    for name, fig in figs.items():
        fig.update_layout(
            title=dict(text=""),
            height=340,
            margin=dict(l=56, r=16, t=16, b=44),
            font=dict(family="system-ui, sans-serif", size=12),
            paper_bgcolor="rgba(0,0,0,0)",
        )
        out[name] = pio.to_json(fig, validate=False, engine="json")
    return out


def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def _ts(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


# the one script of the page besides plotly.js: draw every chart from its JSON block
_BOOT = """(function () {
  "use strict";
  var config = {displaylogo: false, responsive: true,
                modeBarButtonsToRemove: ["select2d", "lasso2d"]};
  var blocks = document.querySelectorAll("script.chart-data");
  for (var i = 0; i < blocks.length; i++) {
    var fig = JSON.parse(blocks[i].textContent);
    var div = document.getElementById(blocks[i].getAttribute("data-chart"));
    if (div) { Plotly.newPlot(div, fig.data, fig.layout, config); }
  }
})();"""

_CSS = """
:root { --fg:#1d2330; --muted:#6b7280; --line:#e5e7eb; --bg:#f6f7f9; --card:#fff;
  --crit:#c62828; --crit-bg:#fdecea; --warn:#b26a00; --warn-bg:#fff4e0; --ok:#2e7d32;
  --link:#1a56db; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color:var(--fg); background:var(--bg); }
header.top { background:#1d2330; color:#fff; padding:18px 28px 14px; }
header.top h1 { margin:0 0 6px; font-size:20px; font-weight:600; }
header.top h1 .hosts { font-weight:400; color:#cbd5e1; margin-left:6px; }
header.top .meta { margin:0; color:#cbd5e1; font-size:13px; display:flex; flex-wrap:wrap;
  gap:4px 22px; }
header.top .meta b { color:#fff; font-weight:500; }
header.top code { color:#e2e8f0; }
main { max-width:1280px; margin:0 auto; padding:18px 28px 40px; }
h2 { font-size:17px; margin:0 0 8px; }
a { color:var(--link); text-decoration:none; }
a:hover { text-decoration:underline; }
.cards { display:grid; grid-template-columns:repeat(auto-fit, minmax(170px, 1fr)); gap:12px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px;
  padding:12px 14px; min-width:0; }
.card.wide { grid-column:span 2; }
.card .label { color:var(--muted); font-size:12px; text-transform:uppercase;
  letter-spacing:.04em; }
.card .value { font-size:26px; font-weight:600; margin:2px 0; font-variant-numeric:tabular-nums; }
.card .value.small { font-size:16px; overflow-wrap:anywhere; margin:8px 0 4px; }
.cmp { font-size:12px; }
.cmp.up { color:var(--crit); } .cmp.down { color:var(--ok); } .cmp.flat { color:var(--fg); }
.muted { color:var(--muted); }
section.incidents, section.report { background:var(--card); border:1px solid var(--line);
  border-radius:8px; padding:16px 18px; margin-top:16px; }
.counts { margin-left:8px; font-size:13px; font-weight:400; }
.badge { display:inline-block; font-size:11px; font-weight:700; letter-spacing:.04em;
  padding:1px 7px; border-radius:10px; color:#fff; vertical-align:1px; }
.badge.crit { background:var(--crit); } .badge.warn { background:var(--warn); }
.badge.none { background:#9ca3af; }
a.badge { color:#fff; text-decoration:none; margin-right:3px; }
ol.incident-list { list-style:none; margin:8px 0 0; padding:0; }
li.incident { display:flex; gap:12px; align-items:flex-start; padding:9px 12px;
  border-left:4px solid; border-radius:4px; margin-bottom:8px; }
li.incident.crit { border-color:var(--crit); background:var(--crit-bg); }
li.incident.warn { border-color:var(--warn); background:var(--warn-bg); }
li.incident .badge { margin-top:2px; min-width:44px; text-align:center; }
li.incident .title { font-weight:500; }
li.incident .subject { overflow-wrap:anywhere; }
li.incident .text { color:#374151; font-size:13px; overflow-wrap:anywhere; }
li.incident .more { font-size:12px; margin-left:6px; }
li.incident:target, tr:target { outline:2px solid var(--link); }
p.ok { color:var(--ok); margin:4px 0 0; }
nav.toc { display:flex; gap:18px; margin:18px 2px 0; font-size:13px; }
p.intro { color:#374151; margin:0 0 6px; max-width:980px; }
p.empty { color:var(--muted); font-style:italic; }
.chart { width:100%; height:340px; }
.scroll { overflow-x:auto; }
table.data { border-collapse:collapse; width:100%; font-size:12.5px; margin-top:6px;
  font-variant-numeric:tabular-nums; }
table.data caption { caption-side:bottom; text-align:left; color:var(--muted); padding-top:4px; }
table.data th { text-align:left; font-weight:600; color:#374151; border-bottom:2px solid var(--line);
  padding:5px 8px; white-space:nowrap; }
table.data td { border-bottom:1px solid var(--line); padding:5px 8px; vertical-align:top;
  overflow-wrap:break-word; max-width:360px; }
table.data .r { text-align:right; white-space:nowrap; }
table.data .t { white-space:nowrap; }
table.data .item { white-space:nowrap; }
table.data td.flag { width:1%; white-space:nowrap; padding-right:0; }
tr.crit td:first-child { box-shadow:inset 3px 0 var(--crit); }
tr.warn td:first-child { box-shadow:inset 3px 0 var(--warn); }
tr.crit { background:#fff8f7; } tr.warn { background:#fffcf5; }
footer { color:var(--muted); font-size:12px; margin-top:20px; }
"""
