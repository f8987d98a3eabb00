"""The document: head, Content-Security-Policy (the inlined scripts by hash), body."""

from __future__ import annotations

import base64
import hashlib

from ..model import Report
from .assets import BOOT, CSS
from .escape import embed_json, esc
from .figures import figures
from .sections import (
    auth_section,
    fleet_section,
    relay_section,
    scripts_section,
    senders_section,
    volume_section,
)
from .summary import footer, header, headline, incident_list, nav, window_text
from .tables import incidents_by_row, worst_severity


def render(report: Report, *, title: str | None = None) -> str:
    """The whole page for `report`."""
    charts = figures(report)
    by_section = incidents_by_row(report.incidents)
    body = "\n".join(
        [
            header(report, title),
            "<main>",
            headline(report),
            incident_list(report.incidents),
            nav(report.has_fleet),
            fleet_section(report),
            senders_section(report, charts.get("senders"), by_section.get("senders", {})),
            relay_section(report, charts.get("relay"), by_section.get("relay", {})),
            scripts_section(report, charts.get("scripts"), by_section.get("scripts", {})),
            auth_section(report, charts.get("auth"), by_section.get("auth", {})),
            volume_section(report, by_section.get("volume", {})),
            footer(report),
            "</main>",
        ]
    )
    blocks = "\n".join(
        f'<script type="application/json" class="chart-data" data-chart="chart-{name}">'
        f"{embed_json(fig)}</script>"
        for name, fig in charts.items()
    )
    plotly_js = _plotly_js() if charts else ""
    scripts = [s for s in (plotly_js, BOOT if charts else "") if s]
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
            f"<title>{esc(head_title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
            body,
            "\n",
            blocks,
            "\n",
            *(f"<script>{s}</script>\n" for s in scripts),
            "</body>\n</html>\n",
        ]
    )


def _page_title(report: Report) -> str:
    worst = worst_severity(report.incidents)
    mark = f"[{worst.upper()}] " if worst else ""
    if report.no_data:
        return f"{mark}Mail report: no data, {window_text(report)}"
    return f"{mark}Mail report {', '.join(report.hosts)}, {window_text(report)}"


def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
