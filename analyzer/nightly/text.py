"""The text summary of a nightly report: what cron mails. Short, plain text that reads in
a mail client, incidents first, each named by what the operator acts on.

Log content in it is shown with control characters escaped (`terminal.printable`), so a
crafted line cannot drive a terminal or forge mail headers.
"""

from __future__ import annotations

import textwrap
from datetime import UTC

from ..render.output import plain_table
from ..render.terminal import printable
from ..reports.incidents import SEVERITY_RANK
from .model import TOTALS, Report

WIDTH = 100  # mail clients show 72-100 columns; incident lines wrap with a hanging indent


def render(report: Report, html_path: str | None = None, fail_on: str = "crit") -> str:
    """The summary: a headline, the incidents (crit first), the totals against the
    trailing week, the top identity, one line per host of a fleet, the report's path."""
    start = _ts(report.since) if report.since else "the beginning"
    window = f"{start} to {_ts(report.until)} UTC"
    if report.no_data:
        lines = [f"Mail report: no data from {window}; {report.covers_text}"]
    else:
        lines = [f"Mail report {printable(', '.join(report.hosts))}: {window}"]
    crit = sum(i.severity == "crit" for i in report.incidents)
    warn = len(report.incidents) - crit
    if report.incidents:
        lines.append(
            f"{len(report.incidents)} incident(s): {crit} crit, {warn} warn"
            + _alert_note(report, fail_on)
        )
        for inc in sorted(report.incidents, key=lambda i: -SEVERITY_RANK[i.severity]):
            lines.extend(
                textwrap.wrap(
                    printable(inc.line),
                    WIDTH,
                    initial_indent=f"  {inc.severity.upper():4}  ",
                    subsequent_indent=" " * 8,
                    break_long_words=False,
                    break_on_hyphens=False,
                )
            )
    else:
        lines.append("No incidents.")
    lines.append("")
    parts = []
    for key, label in TOTALS.items():
        value = report.totals.get(key, 0)
        prev = report.previous.get(key)
        cmp = f" (avg {prev:,.0f})" if prev is not None else ""
        parts.append(f"{label} {value:,}{cmp}")
    lines.extend(textwrap.wrap("; ".join(parts), WIDTH, break_on_hyphens=False))
    if len(report.top_senders):
        top = report.top_senders.iloc[0]
        lines.append(
            f"top identity {printable(top['identity'])}: {int(top['messages']):,} "
            f"messages ({float(top['share']):.0%} of all out)"
        )
    if report.fleet is not None and report.has_fleet:
        lines.append("")  # one line per host, log text escaped by plain_table
        lines.append(
            plain_table(report.fleet, title=f"per host ({len(report.fleet)} hosts)").rstrip()
        )
    if report.previous.get("messages_out") is not None:
        lines.append(
            f"(avg: trailing-week daily average over {report.history_days:.1f} "
            "days of data, scaled to the window)"
        )
    for note in report.notes:
        lines.append(f"note: {printable(note)}")
    if html_path:
        lines.append(f"report: {printable(html_path)}")
    return "\n".join(lines) + "\n"


def _alert_note(report: Report, fail_on: str) -> str:
    if fail_on == "never":
        return ""
    n = len(report.at_least(fail_on))
    return f" ({n} at or above --fail-on {fail_on})" if n else ""


def _ts(value) -> str:

    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
