"""Reports of a fleet and of some hosts: `--data` of a fleet's directory reads every
host's sub-dataset as one, `--host` / `hosts=` keeps only the rows of those hosts (the
same as the host's own dataset, the same as the full result filtered by host), and
`top-senders --by host` adds up to the fleet's total. A small generated fleet, ingested
per host with the local engine (as `ingest --engine dask` lays it out)."""

from __future__ import annotations

import json
from datetime import datetime

import pandas as pd
import pytest
from typer.testing import CliRunner

from analyzer import api
from analyzer.cli.app import app
from analyzer.fleet.layout import host_dataset, is_fleet
from analyzer.samplegen.fleet import write_fleet

FLEET = dict(
    hosts=3, messages_per_day=120, start=datetime(2026, 11, 25, 23, 0), days=1.05, incident_hosts=2
)
REPORTS = ["top_senders", "relay_spikes", "suspicious_scripts", "auth_failures"]


def rows(df) -> list[str]:
    return sorted(map(repr, df.itertuples(index=False, name=None)))


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    root = tmp_path_factory.mktemp("fleet-reports")
    truth = write_fleet(root / "logs", **FLEET)
    hosts = sorted(truth["hosts"])
    data, one = root / "data", root / "one"
    for host in hosts:  # one sub-dataset per host, and every host in one dataset
        logs = [str(root / "logs" / host)]
        api.ingest(logs, data=str(host_dataset(data, host)), tz="UTC", host=host)
        api.ingest(logs, data=str(one), tz="UTC", host=host)
    assert is_fleet(data) and not is_fleet(one)
    return data, one, hosts


def report(name: str, data, **kw) -> pd.DataFrame:
    return getattr(api, name)(data, None, None, "UTC", **kw)


@pytest.mark.parametrize("name", REPORTS)
def test_a_fleet_directory_reads_as_the_whole_fleet(fleet, name):
    data, one, _ = fleet
    assert rows(report(name, data)) == rows(report(name, one))


@pytest.mark.parametrize("name", REPORTS)
def test_the_host_filter_is_the_host_alone(fleet, name):
    data, one, hosts = fleet
    for host in hosts[:2]:
        alone = report(name, host_dataset(data, host))
        assert rows(report(name, data, hosts=host)) == rows(alone)
        assert rows(report(name, one, hosts=[host])) == rows(alone)


def test_the_host_filter_equals_the_full_result_filtered(fleet):
    data, one, hosts = fleet
    for src in (data, one):
        full = api.table("messages", data=src)
        for chosen in ([hosts[0]], hosts[:2]):
            ours = api.table("messages", data=src, hosts=",".join(chosen))
            assert len(ours) and set(ours["host"]) == set(chosen)
            assert rows(ours) == rows(full[full["host"].isin(chosen)])
    ip = api.table("rejects", data=one, columns=["client_ip"])["client_ip"].mode()[0]
    full = api.trace(client_ip=ip, data=one, tz="UTC")
    for host in hosts:
        ours = api.trace(client_ip=ip, data=one, tz="UTC", hosts=host)
        assert rows(ours) == rows(full[full["host"] == host])


def test_top_senders_by_host_sums_to_the_fleet_total(fleet):
    data, one, hosts = fleet
    total = report("top_senders", data)["messages"].sum()
    by_host = report("top_senders", data, by="host")
    assert sorted(by_host["host"]) == hosts and by_host["messages"].sum() == total > 0
    for host, n in zip(by_host["host"], by_host["messages"], strict=True):
        assert n == report("top_senders", data, hosts=host)["messages"].sum()
    assert rows(report("top_senders", one, by="host")) == rows(by_host)


def test_an_unknown_host_is_an_empty_result_and_a_note(fleet):
    data, one, hosts = fleet
    for src in (data, one):
        assert report("top_senders", src, hosts="nope").empty
        note = api.unknown_hosts(src, "nope," + hosts[0])
        assert note == f"no host nope in the dataset; its hosts: {', '.join(hosts)}"
        assert api.unknown_hosts(src, hosts[0]) is None
    result = CliRunner().invoke(
        app, ["top-senders", "--data", str(data), "--since", "all", "--host", "nope"]
    )
    assert result.exit_code == 0, result.output
    assert "no host nope in the dataset" in result.output


@pytest.mark.parametrize(
    "command",
    [
        ["top-senders"],
        ["top-senders", "--by", "host"],
        ["relay-spikes", "--all"],
        ["suspicious-scripts"],
        ["auth-failures"],
    ],
)
def test_every_report_command_reads_a_fleet(fleet, command):
    data, one, hosts = fleet
    args = ["--since", "all", "--format", "json"]
    runner = CliRunner()
    ours = runner.invoke(app, [*command, "--data", str(data), *args])
    theirs = runner.invoke(app, [*command, "--data", str(one), *args])
    assert ours.exit_code == theirs.exit_code == 0, ours.output
    assert json.loads(ours.stdout) and sorted(map(str, json.loads(ours.stdout))) == sorted(
        map(str, json.loads(theirs.stdout))
    )
    picked = runner.invoke(app, [*command, "--data", str(data), *args, "--host", hosts[1]])
    alone = runner.invoke(app, [*command, "--data", str(host_dataset(data, hosts[1])), *args])
    assert picked.exit_code == 0, picked.output
    assert picked.stdout == alone.stdout


def test_trace_and_report_read_a_fleet(fleet):
    data, one, hosts = fleet
    runner = CliRunner()
    ip = api.table("rejects", data=one, columns=["client_ip"])["client_ip"].mode()[0]
    args = ["--client-ip", ip, "--since", "all", "--format", "json"]
    ours = runner.invoke(app, ["trace", *args, "--data", str(data)])
    assert ours.exit_code == 0, ours.output
    theirs = runner.invoke(app, ["trace", *args, "--data", str(one)])
    assert sorted(map(str, json.loads(ours.stdout))) == sorted(map(str, json.loads(theirs.stdout)))
    window = ["--since", "2026-11-25", "--until", "2026-11-27", "--tz", "UTC", "--quiet"]
    for src in (data, one):
        out = runner.invoke(app, ["report", "--data", str(src), *window])
        assert out.exit_code in (0, 2), out.output
        assert all(h in out.stdout for h in hosts)
    only = runner.invoke(app, ["report", "--data", str(data), *window, "--hosts", hosts[0]])
    assert only.exit_code in (0, 2), only.output
    assert hosts[0] in only.stdout and hosts[1] not in only.stdout
    result = api.report(data, "2026-11-25", "2026-11-27", "UTC", hosts=hosts[0])
    assert result.hosts == [hosts[0]]


def test_status_of_a_fleet_lists_each_host(fleet):
    data, _, hosts = fleet
    info = api.status(data)
    assert info["fleet"] and sorted(info["hosts"]) == hosts
    for host in hosts:
        own = api.status(host_dataset(data, host))
        assert info["hosts"][host]["messages"] == own["tables"]["messages"]["rows"] > 0
        assert info["hosts"][host]["sources"] == len(own["sources"]) > 0
        assert info["hosts"][host]["last_line"] == max(s["last_line"] for s in own["sources"])
    result = CliRunner().invoke(app, ["status", "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert all(h in result.stdout for h in hosts) and "last line" in result.stdout


def test_trace_of_an_unknown_host_is_a_note_not_an_error(fleet):
    data, one, hosts = fleet
    ip = api.table("rejects", data=one, columns=["client_ip"])["client_ip"].mode()[0]
    for src in (data, one):
        result = CliRunner().invoke(
            app, ["trace", "--client-ip", ip, "--data", str(src), "--host", "mx9,nope"]
        )
        assert result.exit_code == 0, result.output
        assert f"no host mx9, nope in the dataset; its hosts: {', '.join(hosts)}" in result.output
