"""`--redact` on every report command and in every output format, on the sample day: no
address or client IP of the data that is not an incident's subject appears unmasked in
the output (each is searched for), the subjects still do, and without `--redact` the
same output does name other people (so the search can fail)."""

from __future__ import annotations

import html
import json
import re

import pytest
from typer.testing import CliRunner

from analyzer import api
from analyzer.cli.app import app
from analyzer.render.redact import subjects_of

WINDOW = ["--since", "2026-11-26", "--until", "2026-11-27", "--tz", "UTC"]
COMMANDS = {
    "top-senders": ["top-senders", "--limit", "0"],
    "top-senders-by-sender": ["top-senders", "--by", "sender", "--limit", "0"],
    "relay-spikes": ["relay-spikes", "--all"],
    "suspicious-scripts": ["suspicious-scripts", "--limit", "0"],
    "auth-failures": ["auth-failures", "--limit", "0"],
    "trace": ["trace", "--client-ip", "203.0.113.66"],
}
CHARTS = ["top-senders", "relay-spikes", "suspicious-scripts", "auth-failures"]
# where a dataset keeps addresses and client IPs
PEOPLE = {
    "messages": ["sender", "sasl_username", "client_ip"],
    "deliveries": ["recipient", "orig_recipient"],
    "rejects": ["sender", "recipient", "client_ip", "sasl_username"],
    "auth_failures": ["client_ip", "sasl_username"],
    "notices": ["sender", "recipient", "client_ip"],
}
_IP = re.compile(r"^[0-9a-fA-F:.]+$")
_IPV4_IN_TEXT = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?!\d|\.\d)")


@pytest.fixture(scope="module")
def people(sample):
    """(addresses, IPs) of the sample that are no subject, and the subjects."""
    report = api.report(sample.data, "2026-11-26", "2026-11-27", "UTC")
    subjects = {s.lower() for s in subjects_of(report.incidents)}
    addresses, ips = set(), set()
    for name, columns in PEOPLE.items():
        frame = api.table(name, data=sample.data, columns=columns)
        for col in columns:
            for value in frame[col].dropna().unique():
                value = str(value).lower()
                if value in subjects:
                    continue
                if "@" in value and value.rpartition("@")[0]:
                    addresses.add(value)
                elif _IP.match(value) and ("." in value or ":" in value):
                    ips.add(value)
    assert len(addresses) > 100 and len(ips) > 20  # the sample has people to hide
    return addresses, ips, subjects


def readable(text: str) -> str:
    """The output as a reader sees it: HTML entities and JSON escapes undone, plotly.js
    itself (megabytes without log data) left out, lower case."""
    big = max(text.split("</script>"), key=len)
    if len(big) > 1_000_000:  # plotly.js
        text = text.replace(big, "")
    text = text.replace("\\u003c", "<").replace("\\u003e", ">").replace("\\u0026", "&")
    text = text.replace("\\/", "/")
    return html.unescape(text).lower()


def leaks(output: str, people) -> set[str]:
    """The non-subject addresses and IPs found unmasked in `output`."""
    addresses, ips, subjects = people
    text = readable(output)
    for s in sorted(subjects, key=len, reverse=True):  # `o@x` inside a subject `info@x`
        text = text.replace(s, "\x00")
    found = {a for a in addresses if a in text}
    found |= ips & set(_IPV4_IN_TEXT.findall(text))
    found |= {ip for ip in ips if ":" in ip and ip in text}
    return found


def run(args: list[str]) -> str:
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (0, 2), result.output
    return result.stdout


def check(plain: str, redacted: str, people, names_people: bool = True) -> None:
    """`redacted` names no one but the subjects, and every subject `plain` names.
    `names_people`: `plain` names someone else (the search can fail)."""
    assert bool(leaks(plain, people)) == names_people
    assert not leaks(redacted, people), sorted(leaks(redacted, people))[:10]
    _, _, subjects = people
    shown = {s for s in subjects if s in readable(plain)}
    assert shown == {s for s in subjects if s in readable(redacted)}


# every command in JSON (with its chart), table and CSV of the commands with the most text
CASES = [(name, "json") for name in COMMANDS] + [
    (name, fmt)
    for fmt in ("table", "csv")
    for name in ("top-senders-by-sender", "relay-spikes", "auth-failures", "trace")
]


@pytest.mark.parametrize("name, fmt", CASES)
def test_every_report_in_every_format_and_chart(sample, people, name, fmt, tmp_path):
    """(JSON runs also write the chart, to check it too.)"""
    charts = tmp_path / "plain.html", tmp_path / "redacted.html"
    chart = fmt == "json" and name in CHARTS
    outputs = []
    for path, extra in zip(charts, ([], ["--redact"])):
        args = [*COMMANDS[name], *WINDOW, "--data", str(sample.data), "--format", fmt, *extra]
        outputs.append(run(args + (["--chart", str(path)] if chart else [])))
    scripts = name == "suspicious-scripts"  # uids and scripts: the sample names no one there
    check(*outputs, people, names_people=not scripts)
    if chart:
        check(*(p.read_text() for p in charts), people, names_people=not scripts)


def test_the_nightly_report_page_json_and_text(sample, people, tmp_path):
    outputs = {}
    for mode in ("plain", "redacted"):
        page, doc = tmp_path / f"{mode}.html", tmp_path / f"{mode}.json"
        args = ["report", *WINDOW, "--data", str(sample.data), "--fail-on", "never"]
        args += ["--html", str(page), "--json", str(doc)]
        text = run(args + (["--redact"] if mode == "redacted" else []))
        outputs[mode] = {"page": page.read_text(), "json": doc.read_text(), "text": text}
    for form in ("page", "json", "text"):
        check(outputs["plain"][form], outputs["redacted"][form], people)
    doc = json.loads(outputs["redacted"]["json"])
    assert {i["subject"].lower() for i in doc["incidents"]} >= {
        "info@bakery-berlin.example",
        "203.0.113.66",
    }


def test_redacted_json_on_stdout_too(sample, people):
    args = ["report", "--json", "-", "--fail-on", "never", *WINDOW, "--data", str(sample.data)]
    plain, redacted = run(args), run([*args, "--redact"])
    json.loads(redacted)
    check(plain, redacted, people)
