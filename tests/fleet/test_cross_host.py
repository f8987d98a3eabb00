"""Incidents across hosts and the nightly report's fleet section, on a generated fleet:
the stolen account and the brute-forcing IP the generator plants on two of three hosts
are one incident each, naming exactly the truth's hosts (the third host, where the
account's owner sends a few messages of their own, is only mentioned); one host's
dataset reads as before; the fleet section (model, text, JSON, page) has one row per
host and adds up to the fleet's totals."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime

import pandas as pd
import pytest
from typer.testing import CliRunner

from analyzer import api
from analyzer.cli.app import app
from analyzer.fleet.layout import host_dataset
from analyzer.nightly import html, text
from analyzer.nightly.document import document
from analyzer.nightly.fleet import FLEET_COLUMNS
from analyzer.samplegen.fleet import write_fleet

FLEET = dict(
    hosts=3, messages_per_day=120, start=datetime(2026, 11, 25, 23, 0), days=1.05, incident_hosts=2
)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    root = tmp_path_factory.mktemp("cross-host")
    truth = write_fleet(root / "logs", **FLEET)
    for host in sorted(truth["hosts"]):
        api.ingest(
            [str(root / "logs" / host)],
            data=str(host_dataset(root / "data", host)),
            tz="UTC",
            host=host,
        )
    report = api.report(root / "data", None, None, "UTC")
    return root / "data", truth["fleet"], report


def one(report, kind: str, subject: str):
    found = [i for i in report.incidents if i.kind == kind and i.subject == subject]
    assert len(found) == 1, [(i.kind, i.subject) for i in report.incidents]
    return found[0]


def test_the_stolen_account_is_one_incident_naming_the_truths_hosts(fleet):
    _, truth, report = fleet
    stolen = truth["stolen_account"]
    assert len(stolen["hosts"]) == 2  # the third host's owner sends a few of their own
    inc = one(report, "sasl_account", stolen["sasl_username"])
    assert inc.hosts == sorted(stolen["hosts"])
    assert f"(on 2 hosts: {', '.join(sorted(stolen['hosts']))})" in inc.summary
    other = sorted(set(report.hosts) - set(stolen["hosts"]))
    assert any(r.startswith(f"also seen on {other[0]} (") for r in inc.reasons), inc.reasons


def test_the_brute_force_ip_is_one_incident_naming_the_truths_hosts(fleet):
    _, truth, report = fleet
    brute = truth["brute_force"]
    inc = one(report, "auth_brute_force", brute["client_ip"])
    assert inc.hosts == sorted(brute["hosts"])
    per_host = [f"{h} ({brute['failures'] // 2:,} failures)" for h in sorted(brute["hosts"])]
    assert f"on 2 hosts: {', '.join(per_host)}" in inc.reasons


def test_one_hosts_dataset_reads_as_before(fleet):
    data, truth, _ = fleet
    host = truth["stolen_account"]["hosts"][0]
    alone = api.report(host_dataset(data, host), None, None, "UTC")
    inc = one(alone, "sasl_account", truth["stolen_account"]["sasl_username"])
    assert inc.hosts == [host]
    assert "hosts" not in inc.summary and not any("host" in r for r in inc.reasons)
    assert alone.fleet is None and not alone.has_fleet
    assert "per host" not in text.render(alone)
    assert "fleet" not in document(alone)
    assert 'id="fleet"' not in html.render(alone)


def test_the_fleet_section_adds_up(fleet):
    data, _, report = fleet
    frame = report.fleet
    assert list(frame.columns) == FLEET_COLUMNS
    assert list(frame["host"]) == report.hosts == ["mx1", "mx2", "mx3"]
    assert frame["messages"].sum() == report.totals["messages_out"]
    for row in frame.itertuples(index=False):
        own = api.top_senders(data, None, None, "UTC", hosts=row.host)
        assert row.messages == own["messages"].sum()
        assert (row.top_identity, row.top_identity_messages) == (
            own["identity"].iloc[0],
            own["messages"].iloc[0],
        )
        assert row.incidents == sum(row.host in i.hosts for i in report.incidents)
    assert frame.set_index("host")["incidents"].to_dict()["mx3"] == 0


def test_the_fleet_section_in_text_json_and_page(fleet):
    _, _, report = fleet
    summary = text.render(report)
    assert "per host (3 hosts)" in summary
    for row in report.fleet.itertuples(index=False):
        assert any(
            line.split()[:3] == [row.host, f"{row.messages:,}", str(row.incidents)]
            for line in summary.splitlines()
        )
    doc = json.loads(json.dumps(document(report)))
    assert doc["fleet"] == [
        {k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
        for r in report.fleet.to_dict("records")
    ]
    assert {tuple(i["hosts"]) for i in doc["incidents"] if i["kind"] == "sasl_account"} == {
        ("mx1", "mx2")
    }
    page = html.render(report)
    assert '<a href="#fleet">Hosts</a>' in page
    assert '<tr id="fleet-2"><td class="flag"></td><td class="l">mx3</td>' in page


def test_host_names_are_escaped_in_the_fleet_section(fleet):
    _, _, report = fleet
    hostile = '<img src=x onerror="alert(1)">'
    frame = pd.DataFrame(
        [[hostile, 1, 0, f"sasl:{hostile}", 1], ["mx\x1b[2J", 2, 0, None, 0]],
        columns=FLEET_COLUMNS,
    )
    crafted = dataclasses.replace(report, fleet=frame)
    page = html.render(crafted)
    assert hostile not in page and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    summary = text.render(crafted)
    assert "\x1b" not in summary and "mx\\x1b[2J" in summary


def test_report_json_on_stdout(fleet):
    data, truth, _ = fleet
    result = CliRunner().invoke(
        app, ["report", "--data", str(data), "--since", "all", "--json", "-", "--fail-on", "never"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [r["host"] for r in doc["fleet"]] == ["mx1", "mx2", "mx3"]
    stolen = [i for i in doc["incidents"] if i["kind"] == "sasl_account"]
    assert [i["hosts"] for i in stolen] == [sorted(truth["stolen_account"]["hosts"])]
