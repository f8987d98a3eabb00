"""The charts of the page as plotly figure JSON, for the sections that have data."""

from __future__ import annotations

from ..model import Report

SCRIPTS_CHARTED = 15  # points of the scripts chart


def figures(report: Report) -> dict[str, str]:
    """name -> the figure as JSON (plotly.io.to_json), for the sections that have data."""
    import plotly.io as pio

    from ...render import charts

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
