"""Plotly figures of the report results, and `write_chart` to save one as a
self-contained HTML file (plotly.js embedded: opens offline).

Log content is attacker-controlled and plotly renders a subset of HTML in titles, legend
names, tick labels and hover text. Every log-derived string goes through `esc` (and only
there) before it reaches a figure; the figures take report results and do no I/O.
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Callable

import plotly.graph_objects as go

from ..errors import AnalyzerError

_LAYOUT = dict(
    template="plotly_white",
    hovermode="closest",
    legend=dict(orientation="v", yanchor="top", y=1, xanchor="left", x=1.02),
    margin=dict(l=60, r=20, t=60, b=50),
)


def esc(value) -> str:
    """Text for a plotly label: HTML-escaped (`<`, `>`, `&`, quotes), missing -> ``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return ""
    except ImportError:  # pragma: no cover
        pass
    # plotly decodes numeric character references and only a few named ones (lt, gt,
    # amp, ...): `&quot;` would show literally, `&#34;` shows as a quote
    return html.escape(str(value), quote=True).replace("&quot;", "&#34;")


def _tops(entries, n: int = 3) -> str:
    """[{value, count}] -> `a (3), b (1)` (escaped)."""
    if not isinstance(entries, list) or not entries:
        return "-"
    return ", ".join(f"{esc(e['value'])} ({int(e['count'])})" for e in entries[:n])


def _title(text: str) -> dict:
    return dict(text=esc(text), x=0.01, xanchor="left")


def stacked_volume(
    timeline, title: str, value: str = "messages", y_title: str = "messages"
) -> go.Figure:
    """Stacked bars of `value` per bucket, one trace per `key` (the order of first
    appearance, which is the report's order when the timeline was built from it)."""
    fig = go.Figure()
    _per_key(fig, timeline, value, esc(y_title), go.Bar)
    fig.update_layout(
        barmode="stack",
        title=_title(title),
        xaxis_title="time (UTC)",
        yaxis_title=esc(y_title),
        **_LAYOUT,
    )
    return fig


def _per_key(fig: go.Figure, timeline, value: str, unit: str, trace, **style) -> None:
    """One `trace` (go.Bar, go.Scatter) per `key` of a timeline, in the order of first
    appearance (the report's order when the timeline was built from it): `value` per
    bucket, the key and the count in `unit` (already escaped) on hover."""
    for key in dict.fromkeys(timeline["key"]):
        part = timeline[timeline["key"] == key]
        name = esc(key)
        fig.add_trace(
            trace(
                x=part["bucket"],
                y=part[value],
                name=name,
                hovertext=[f"{name}<br>{int(v)} {unit}" for v in part[value]],
                hoverinfo="x+text",
                **style,
            )
        )


def top_senders(timeline, title: str = "Top senders: messages over time") -> go.Figure:
    """`api.sender_timeline` of the top senders as stacked bars."""
    return stacked_volume(timeline, title)


def relay_spikes(buckets, title: str = "Relay-denied rejects") -> go.Figure:
    """Every bucket of `api.relay_spikes(all_buckets=True)`: the counts, the baseline
    and the band up to the spike threshold, spikes marked and explained on hover."""
    fig = go.Figure()
    x = buckets["start"]
    fig.add_trace(
        go.Scatter(
            x=x,
            y=buckets["baseline"],
            name="baseline (trailing median)",
            mode="lines",
            line=dict(color="rgba(90,90,90,0.8)", dash="dot"),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=buckets["threshold"],
            name="spike threshold",
            mode="lines",
            line=dict(color="rgba(90,90,90,0.3)"),
            fill="tonexty",
            fillcolor="rgba(120,120,120,0.15)",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=buckets["count"],
            name="relay-denied rejects",
            mode="lines+markers",
            line=dict(color="#1f77b4"),
            marker=dict(size=4),
            hovertext=[
                f"{int(c)} rejects, {int(lc)} local"
                for c, lc in zip(buckets["count"], buckets["local_count"])
            ],
            hoverinfo="x+text",
        )
    )
    spikes = buckets[buckets["spike"].astype(bool)]
    if len(spikes):
        hover = []
        for row in spikes.itertuples(index=False):
            lines = [
                f"<b>spike: {int(row.count)} rejects</b> (baseline {row.baseline:.1f})",
                f"local {int(row.local_count)}, internet {int(row.internet_count)}",
                f"clients: {_tops(row.top_clients)}",
                f"senders: {_tops(row.top_senders)}",
            ]
            if isinstance(row.responsible_domain, str) or isinstance(row.responsible, str):
                lines.append(
                    f"likely responsible: {esc(row.responsible)} ({esc(row.responsible_domain)})"
                )
            if isinstance(row.responsible_accounts, list) and row.responsible_accounts:
                lines.append("accounts: " + ", ".join(esc(a) for a in row.responsible_accounts[:3]))
            hover.append("<br>".join(lines))
        fig.add_trace(
            go.Scatter(
                x=spikes["start"],
                y=spikes["count"],
                name="spike",
                mode="markers",
                marker=dict(color="#d62728", size=12, symbol="diamond"),
                hovertext=hover,
                hoverinfo="x+text",
            )
        )
    fig.update_layout(
        title=_title(title),
        xaxis_title="bucket start (UTC)",
        yaxis_title="rejects per bucket",
        **_LAYOUT,
    )
    return fig


def suspicious_scripts(result, title: str = "Suspicious scripts: score vs volume") -> go.Figure:
    """Score against messages (log scale), one marker per (uid, script); hover lists
    the reasons."""
    labels, hover = [], []
    for row in result.itertuples(index=False):
        script = row.script if isinstance(row.script, str) else "(no script)"
        label = f"uid {esc(row.uid)}: {esc(script)}"
        labels.append(label)
        reasons = "<br>".join(esc(r) for r in (row.reasons or [])) or "no signs"
        hover.append(
            f"<b>{label}</b><br>{int(row.messages)} messages, score {int(row.score)}<br>{reasons}"
        )
    # only scored rows are labelled on the plot: the harmless crowd at 0 would overprint
    shown = [label if score > 0 else "" for label, score in zip(labels, result["score"])]
    fig = go.Figure(
        go.Scatter(
            x=result["messages"],
            y=result["score"],
            mode="markers+text",
            text=shown,
            textposition="top left",
            cliponaxis=False,
            hovertext=hover,
            hoverinfo="text",
            marker=dict(
                size=10,
                color=result["score"],
                colorscale="OrRd",
                showscale=True,
                colorbar=dict(title="score"),
                line=dict(width=1, color="#444"),
            ),
        )
    )
    fig.update_layout(
        title=_title(title),
        xaxis_title="messages in the window",
        yaxis_title="score",
        xaxis_type="log",
        showlegend=False,
        **_LAYOUT,
    )
    return fig


def auth_failures(timeline, title: str = "SMTP AUTH failures over time") -> go.Figure:
    """`api.auth_failure_timeline`: one line per client IP (or username)."""
    fig = go.Figure()
    _per_key(fig, timeline, "failures", "failures", go.Scatter, mode="lines+markers")
    fig.update_layout(
        title=_title(title), xaxis_title="time (UTC)", yaxis_title="failures per bucket", **_LAYOUT
    )
    return fig


def counts_bar(values, title: str, x_title: str = "", y_title: str = "count") -> go.Figure:
    """Horizontal bars of a [{value, count}] list or a value -> count mapping/Series
    (e.g. an identity's recipient domains or client IPs)."""
    if isinstance(values, list):
        pairs = [(e["value"], e["count"]) for e in values]
    else:
        pairs = list(values.items())
    pairs = pairs[::-1]  # largest on top
    fig = go.Figure(
        go.Bar(
            x=[c for _, c in pairs],
            y=[esc(v) for v, _ in pairs],
            orientation="h",
            hovertext=[f"{esc(v)}: {c}" for v, c in pairs],
            hoverinfo="text",
        )
    )
    fig.update_layout(
        title=_title(title),
        xaxis_title=esc(y_title),
        yaxis_title=esc(x_title),
        showlegend=False,
        **_LAYOUT,
    )
    return fig


# the report results that have a chart (`api.chart`), by report name
CHARTS: dict[str, Callable[..., go.Figure]] = {
    "top-senders": top_senders,
    "relay-spikes": relay_spikes,
    "suspicious-scripts": suspicious_scripts,
    "auth-failures": auth_failures,
    "counts": counts_bar,
}


def chart(report: str, result, title: str | None = None) -> go.Figure:
    """The figure of `report`'s `result` (see `api.chart`); `title`: the figure's default
    title when None (the report name for `counts`)."""
    if report not in CHARTS:
        raise AnalyzerError(f"no chart for {report!r}: one of {', '.join(CHARTS)}")
    make = CHARTS[report]
    if title is None:
        return make(result) if report != "counts" else make(result, report)
    return make(result, title)


def write_chart(fig: go.Figure, path: str | os.PathLike) -> None:
    """Write `fig` as one HTML file with plotly.js embedded (no network needed)."""
    try:
        fig.write_html(
            os.fspath(path),
            include_plotlyjs=True,
            full_html=True,
            include_mathjax=False,
            config={"displaylogo": False},
        )
    except OSError as e:
        raise AnalyzerError(f"cannot write chart {os.fspath(path)!r}: {e.strerror or e}") from None
