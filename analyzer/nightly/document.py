"""The nightly report as one JSON document (`report --json FILE`): what the page and the
summary show, for a ticket system or a script. Values as `render.output` writes them
(times ISO 8601 UTC, missing values null); every control character escaped.

    {"window": {"since", "until", "generated"}, "data", "hosts", "totals", "previous",
     "history_days", "incidents": [{severity, kind, title, subject, summary, reasons,
     section, row, hosts}], "fleet": [{host, messages, incidents, top_identity,
     top_identity_messages}] (only with more than one host), "sections": {"senders",
     "relay", "scripts", "auth"}: their rows (an incident's `row`), "notes"}
"""

from __future__ import annotations

from ..render.output import dumps, plain, records
from .model import Report


def document(report: Report) -> dict:
    """The report as JSON-ready data."""
    out = {
        "window": {
            "since": plain(report.since),
            "until": plain(report.until),
            "generated": plain(report.generated),
        },
        "data": report.data,
        "hosts": list(report.hosts),
        "totals": dict(report.totals),
        "previous": {k: plain(v) for k, v in report.previous.items()},
        "history_days": plain(report.history_days),
        "incidents": [
            {
                "severity": i.severity,
                "kind": i.kind,
                "title": i.title,
                "subject": i.subject,
                "summary": i.summary,
                "reasons": list(i.reasons),
                "section": i.section,
                "row": i.row,
                "hosts": list(i.hosts),
            }
            for i in report.incidents
        ],
        "sections": {
            "senders": records(report.top_senders),
            "relay": records(report.relay_buckets),  # every bucket: incident rows point here
            "scripts": records(report.scripts),
            "auth": records(report.auth),
        },
        "notes": list(report.notes),
    }
    if report.has_fleet:
        out["fleet"] = records(report.fleet)
    return out


def to_json(report: Report) -> str:
    return dumps(document(report), indent=2) + "\n"
