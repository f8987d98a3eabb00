"""Reports on Dask (`--engine dask`, `engine="dask"`) on the suite's 2-worker LocalCluster:
every report command's JSON is identical to the local engine's on a generated fleet (the
fleet's directory and one dataset holding every host), with --host and --since windows;
an empty window is the same empty result on both; the workers read only the window's
days and the chosen hosts' parts, from the snapshot's commit."""

from __future__ import annotations

import json
import shutil
import warnings
from dataclasses import fields
from datetime import datetime

import dask.dataframe as dd
import pandas as pd
import pytest
from dask_cluster import local_cluster
from typer.testing import CliRunner

from analyzer import api
from analyzer.cli.app import app
from analyzer.dataset.errors import PartsMissing
from analyzer.errors import AnalyzerError
from analyzer.fleet.layout import host_dataset
from analyzer.samplegen.fleet import write_fleet

FLEET = dict(
    hosts=3, messages_per_day=120, start=datetime(2026, 11, 25, 23, 0), days=1.05, incident_hosts=2
)
MID = ["--since", "2026-11-26T03:00", "--until", "2026-11-26T15:00"]  # one partition day
EVERYTHING = ["--since", "all"]


@pytest.fixture(scope="module")
def cluster():
    with local_cluster() as address:
        yield address


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """A fleet's directory (DATA/hosts/<host>/, as `ingest --engine dask` lays it out)
    and one dataset of every host; the stolen account and the brute-forcing IP."""
    root = tmp_path_factory.mktemp("dask-reports")
    truth = write_fleet(root / "logs", **FLEET)
    data, one = root / "data", root / "one"
    for host in sorted(truth["hosts"]):
        logs = [str(root / "logs" / host)]
        api.ingest(logs, data=str(host_dataset(data, host)), tz="UTC", host=host)
        api.ingest(logs, data=str(one), tz="UTC", host=host)
    return {"data": data, "one": one, "root": root, "truth": truth["fleet"]}


COMMANDS = {
    "top-senders": ["top-senders", "--limit", "0"],
    "top-senders-by-host": ["top-senders", "--by", "host", "--scope", "all"],
    "top-senders-by-ip": ["top-senders", "--by", "client-ip", "--scope", "all", "-n", "0"],
    "relay-spikes": ["relay-spikes", "--all", "--window", "6", "--min-count", "3"],
    "suspicious-scripts": ["suspicious-scripts", "--limit", "0"],
    "auth-failures": ["auth-failures", "--limit", "0"],
    "auth-failures-by-username": ["auth-failures", "--by", "username", "--limit", "0"],
    "trace-identity": ["trace", "--identity", "sasl:{stolen}"],
    "trace-client-ip": ["trace", "--client-ip", "{brute}"],
}
# (dataset, window, --host): the fleet's directory whole, some of its hosts (only their
# sub-datasets read), and one dataset of every host with a host filter (a row filter)
CASES = [("data", EVERYTHING, None), ("data", MID, "mx1,mx3"), ("one", MID, "mx2")]


def run(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.stdout, result.stderr


def command(fleet, name: str, data: str, window: list[str], host: str | None) -> list[str]:
    words = [
        w.format(
            stolen=fleet["truth"]["stolen_account"]["sasl_username"],
            brute=fleet["truth"]["brute_force"]["client_ip"],
        )
        for w in COMMANDS[name]
    ]
    words += ["--format", "json", "--tz", "UTC", "--data", str(fleet[data]), *window]
    return words + (["--host", host] if host else [])


@pytest.mark.parametrize("case", CASES, ids=["fleet-all", "fleet-hosts-mid", "one-host-mid"])
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_report_is_the_local_engines(fleet, cluster, name, case):
    args = command(fleet, name, *case)
    local = run(args)
    dask = run([*args, "--engine", "dask", "--scheduler", cluster])
    assert local[0] == 0, local
    assert dask == local
    rows = json.loads(local[1])
    if case[0] == "data" and case[2] is None:  # the whole fleet: every report has rows
        assert rows, name


def test_the_nightly_report_is_the_local_engines(fleet, cluster):
    window = dict(since="2026-11-26T00:00", until="2026-11-27T00:00", tz="UTC")
    local = api.report(fleet["data"], **window)
    dask = api.report(fleet["data"], **window, engine="dask", scheduler=cluster)
    assert local.incidents and local.hosts == ["mx1", "mx2", "mx3"]
    for f in fields(local):
        ours, theirs = getattr(dask, f.name), getattr(local, f.name)
        if f.name == "generated":
            continue
        if isinstance(theirs, pd.DataFrame):
            assert ours.to_json(date_format="iso") == theirs.to_json(date_format="iso"), f.name
            assert list(ours.dtypes) == list(theirs.dtypes), f.name
        else:
            assert ours == theirs, f.name


def test_the_report_command_prints_the_same_summary(fleet, cluster):
    args = ["report", "--data", str(fleet["data"]), "--tz", "UTC", "--hosts", "mx1,mx2"]
    args += ["--since", "2026-11-26", "--until", "2026-11-27", "--fail-on", "never"]
    local = run(args)
    assert local[0] == 0 and "incident" in local[1].lower(), local
    assert run([*args, "--engine", "dask", "--scheduler", cluster]) == local


REPORTS = {
    "top_senders": {},
    "relay_spikes": {"all_buckets": True},
    "suspicious_scripts": {},
    "auth_failures": {},
    "trace": {"client_ip": "203.0.113.66"},
}


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_an_empty_window_is_empty_on_both(fleet, cluster, name):
    window = dict(data=fleet["data"], since="2030-01-01", until=None, tz="UTC")
    local = getattr(api, name)(**window, **REPORTS[name])
    dask = getattr(api, name)(**window, **REPORTS[name], engine="dask", scheduler=cluster)
    assert local.empty and dask.empty
    assert list(dask.columns) == list(local.columns)
    assert list(dask.dtypes) == list(local.dtypes)


def test_an_empty_window_is_the_same_error_on_the_command_line(fleet, cluster):
    args = ["top-senders", "--data", str(fleet["data"]), "--since", "2030-01-01", "-f", "json"]
    local = run(args)
    assert local[0] == 1 and "no messages since 2030-01-01" in local[2]
    assert run([*args, "--engine", "dask", "--scheduler", cluster]) == local


def test_workers_read_only_the_windows_days_and_the_chosen_hosts(fleet, cluster, monkeypatch):
    read: list[str] = []
    original = dd.read_parquet

    def spy(files, *args, **kwargs):
        read.extend(files)
        return original(files, *args, **kwargs)

    monkeypatch.setattr(dd, "read_parquet", spy)
    api.top_senders(
        fleet["data"],
        "2026-11-26T03:00",
        "2026-11-26T15:00",
        "UTC",
        hosts="mx1,mx3",
        engine="dask",
        scheduler=cluster,
    )
    assert read, "nothing was read on the cluster"
    assert {f.split("/hosts/")[1].split("/")[0] for f in read} == {"mx1", "mx3"}
    assert {f.split("/date=")[1].split("/")[0] for f in read} == {"2026-11-26"}


def test_a_report_reads_the_snapshots_commit(fleet, cluster, tmp_path):
    """A snapshot taken before another host's ingest is read as it was, by the workers
    too: the parts the later commit adds are not read."""
    data = tmp_path / "grow"
    logs = fleet["root"] / "logs"
    api.ingest([str(logs / "mx1")], data=str(data), tz="UTC", host="mx1")
    snap = api.snapshot(data)
    before = api.top_senders(snap, tz="UTC", by="host", scope="all")
    api.ingest([str(logs / "mx2")], data=str(data), tz="UTC", host="mx2")
    after = api.top_senders(
        snap, tz="UTC", by="host", scope="all", engine="dask", scheduler=cluster
    )
    assert list(after["host"]) == ["mx1"]
    assert after.to_json(date_format="iso") == before.to_json(date_format="iso")
    now = api.top_senders(data, tz="UTC", by="host", scope="all", engine="dask", scheduler=cluster)
    assert sorted(now["host"]) == ["mx1", "mx2"]


def test_a_missing_part_is_warned_of_and_the_rest_read(fleet, cluster, tmp_path):
    data = tmp_path / "fleet"
    shutil.copytree(fleet["data"], data)
    part = sorted((data / "hosts" / "mx2" / "auth_failures").glob("date=*/part-*.parquet"))[0]
    part.unlink()
    results = {}
    for engine, scheduler in (("local", None), ("dask", cluster)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            results[engine] = api.auth_failures(data, tz="UTC", engine=engine, scheduler=scheduler)
        assert any(isinstance(w.message, PartsMissing) for w in caught), engine
    assert results["dask"].to_json(date_format="iso") == results["local"].to_json(date_format="iso")
    assert len(results["local"])


def test_engine_errors_are_one_line(fleet):
    with pytest.raises(AnalyzerError, match="engine must be local or dask, not 'spark'"):
        api.top_senders(fleet["data"], engine="spark")
    with pytest.raises(AnalyzerError, match="--scheduler is for --engine dask"):
        api.auth_failures(fleet["data"], scheduler="tcp://127.0.0.1:8786")
    code, out, err = run(["top-senders", "--data", str(fleet["data"]), "--engine", "spark"])
    assert code == 2 and "'spark' is not one of" in err
