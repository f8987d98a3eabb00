"""`ingest --engine dask` on a distributed.LocalCluster of 2 worker processes: a 4-host
generated fleet, one task per host into DATA/hosts/<host>/, equals the local engine's
dataset row for row, and re-running it is exact."""

from __future__ import annotations

import shutil
from datetime import datetime

import pytest
from dask_cluster import local_cluster
from typer.testing import CliRunner

from analyzer import api
from analyzer.cli.app import app
from analyzer.dataset import checkpoint
from analyzer.dataset.store import Dataset, LockHeld
from analyzer.errors import AnalyzerError
from analyzer.fleet.layout import fleet_hosts, host_series
from analyzer.fleet.reading import fleet_snapshot, fleet_table
from analyzer.samplegen.fleet import write_fleet
from analyzer.schema import TABLES

FLEET = dict(
    hosts=4, messages_per_day=150, start=datetime(2026, 11, 25, 23, 0), days=1.05, incident_hosts=2
)


def rows(df) -> list[str]:
    """A table's rows in one canonical order (sorted by every column, as text)."""
    return sorted(map(repr, df.itertuples(index=False, name=None)))


@pytest.fixture(scope="module")
def cluster():
    with local_cluster() as address:
        yield address


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    root = tmp_path_factory.mktemp("dask")
    logs = root / "logs"
    truth = write_fleet(logs, **FLEET)
    local = root / "local"
    for host in sorted(truth["hosts"]):  # the local engine: one run per host's series
        api.ingest([str(logs / host)], data=str(local), tz="UTC", host=host)
    return root, logs, local, truth


@pytest.fixture(scope="module")
def dask_data(fleet, cluster):
    root, logs, _, _ = fleet
    data = root / "dask"
    result = CliRunner().invoke(
        app,
        ["ingest", "--engine", "dask", "--scheduler", cluster, "--data", str(data)]
        + ["--tz", "UTC", str(logs)],
    )
    assert result.exit_code == 0, result.output
    assert "ingest: " in result.output
    return data


def test_one_sub_dataset_per_host(fleet, dask_data):
    _, _, _, truth = fleet
    assert fleet_hosts(dask_data) == sorted(truth["hosts"])
    for host in truth["hosts"]:
        assert (dask_data / "hosts" / host / "_state" / "state.json").is_file()
    hosts = set(fleet_table("messages", dask_data, columns=["host"])["host"])
    assert hosts == set(truth["hosts"])


@pytest.mark.parametrize("name", sorted(TABLES))
def test_equals_the_local_engine_row_for_row(fleet, dask_data, name):
    _, _, local, _ = fleet
    ours = fleet_table(name, dask_data)
    theirs = api.table(name, data=str(local))
    assert list(ours.columns) == list(theirs.columns)
    assert len(ours) == len(theirs)
    assert rows(ours) == rows(theirs)


def test_counts_match_the_truth(fleet, dask_data):
    _, _, _, truth = fleet
    messages = fleet_table("messages", dask_data, include_open=False)
    stolen = truth["fleet"]["stolen_account"]
    assert stolen["hosts"] == ["mx1", "mx2"]
    for host in truth["hosts"]:
        assert (messages["host"] == host).sum() > 0


def test_re_running_is_exact(fleet, dask_data, cluster):
    _, logs, _, _ = fleet
    before = {name: rows(fleet_table(name, dask_data)) for name in TABLES}
    summary = api.ingest(
        [str(logs)], data=str(dask_data), tz="UTC", engine="dask", scheduler=cluster
    )
    assert summary.lines == 0 and summary.rows.get("messages", 0) == 0
    assert {s.status for s in summary.sources} == {"unchanged"}
    assert {name: rows(fleet_table(name, dask_data)) for name in TABLES} == before


def test_growing_logs_resume_per_host(fleet, cluster, tmp_path):
    """Each host's series read in two runs (its newest file cut, then whole) gives the
    same dataset as one run: every task resumes from its own host's checkpoint."""
    _, logs, local, truth = fleet
    copy = tmp_path / "logs"
    shutil.copytree(logs, copy)
    for host, entry in truth["hosts"].items():
        newest = copy / host / entry["files"][-1]
        whole = newest.read_bytes()
        cut = whole[: whole.rfind(b"\n", 0, len(whole) // 2) + 1]
        newest.write_bytes(cut)
    data = tmp_path / "data"
    first = api.ingest([str(copy)], data=str(data), tz="UTC", engine="dask", scheduler=cluster)
    pinned = fleet_snapshot(data)
    as_first = {name: rows(fleet_table(name, data)) for name in TABLES}
    for host, entry in truth["hosts"].items():
        shutil.copy2(logs / host / entry["files"][-1], copy / host / entry["files"][-1])
    second = api.ingest([str(copy)], data=str(data), tz="UTC", engine="dask", scheduler=cluster)
    assert first.lines + second.lines == truth["fleet"]["lines"]
    snap = fleet_snapshot(data)
    for name in TABLES:
        assert rows(fleet_table(name, snap)) == rows(api.table(name, data=str(local))), name
        # a snapshot taken before the second run still reads the first run's commits
        assert rows(fleet_table(name, pinned)) == as_first[name], name


def test_the_fleet_snapshot_through_the_api(fleet, dask_data):
    """`api.table` reads a fleet snapshot like one dataset's: every host, open rows too."""
    _, _, local, _ = fleet
    snap = fleet_snapshot(dask_data)
    assert sorted(snap.hosts) == ["mx1", "mx2", "mx3", "mx4"]
    for name in ("messages", "deliveries", "php_mail"):
        ours = api.table(name, data=snap, since="2026-11-26", until="2026-11-27", tz="UTC")
        theirs = api.table(name, data=str(local), since="2026-11-26", until="2026-11-27", tz="UTC")
        assert rows(ours) == rows(theirs), name
    for part in (checkpoint.MESSAGES, checkpoint.SESSION_ENTRIES, checkpoint.PHP):
        per_host = [api.snapshot(dask_data / "hosts" / h).open_count(part) for h in snap.hosts]
        assert snap.open_count(part) == sum(per_host)
    held = list(snap.open_entries(checkpoint.MESSAGES))
    assert len(held) == snap.open_count(checkpoint.MESSAGES)
    assert snap.parts("messages") and all(
        p.is_relative_to(dask_data / "hosts") for p in snap.parts("messages")
    )


def test_a_local_cluster_when_no_scheduler_is_given(tmp_path):
    logs = tmp_path / "logs"
    write_fleet(logs, hosts=1, messages_per_day=40, days=0.1, incident_hosts=0)
    summary = api.ingest([str(logs)], data=str(tmp_path / "d"), tz="UTC", engine="dask")
    assert summary.lines > 0
    assert fleet_hosts(tmp_path / "d") == ["mx1"]


def test_a_held_host_lock_fails_that_host_only(fleet, cluster, tmp_path):
    _, logs, _, truth = fleet
    data = tmp_path / "d"
    (data / "hosts" / "mx2").mkdir(parents=True)
    with Dataset(data / "hosts" / "mx2").lock():
        with pytest.raises(LockHeld, match="mx2: another ingest"):
            api.ingest([str(logs)], data=str(data), tz="UTC", engine="dask", scheduler=cluster)
    for host in truth["hosts"]:  # the other hosts' tasks ran to their end
        assert Dataset(data / "hosts" / host).exists() == (host != "mx2")
    summary = api.ingest([str(logs)], data=str(data), tz="UTC", engine="dask", scheduler=cluster)
    assert {s.status for s in summary.sources if "/mx2/" not in s.path} == {"unchanged"}
    assert summary.lines == truth["hosts"]["mx2"]["truth"]["lines"]


def test_refuses_a_local_engine_dataset(fleet):
    _, logs, local, _ = fleet
    with pytest.raises(AnalyzerError, match="a dataset of the local engine"):
        api.ingest([str(logs)], data=str(local), tz="UTC", engine="dask")


def test_series_by_directory(tmp_path):
    for host in ("mx1", "mx2"):
        (tmp_path / "fleet" / host).mkdir(parents=True)
        (tmp_path / "fleet" / host / "maillog").write_text("x\n")
    fleet = tmp_path / "fleet"
    assert host_series([str(fleet)]) == {
        "mx1": [str(fleet / "mx1")],
        "mx2": [str(fleet / "mx2")],
    }
    assert host_series([str(fleet / "mx2"), str(fleet / "mx1" / "maillog")]) == {
        "mx1": [str(fleet / "mx1" / "maillog")],
        "mx2": [str(fleet / "mx2")],
    }
    assert host_series([str(fleet / "*" / "maillog")]) == {
        "mx1": [str(fleet / "mx1" / "maillog")],
        "mx2": [str(fleet / "mx2" / "maillog")],
    }
    for bad in ("-", str(tmp_path / "nowhere")):
        with pytest.raises(AnalyzerError):
            host_series([bad])
    (tmp_path / "bad name").mkdir()
    with pytest.raises(AnalyzerError, match="not a host name"):
        host_series([str(tmp_path / "bad name")])


@pytest.mark.parametrize(
    "args, message",
    [
        (["--engine", "dask", "--host", "mx1"], "--host and --cursor-file are for the local"),
        (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler is for --engine dask"),
        (["--engine", "spark"], "engine must be local or dask"),
    ],
)
def test_option_errors(tmp_path, args, message):
    (tmp_path / "mx1").mkdir()
    (tmp_path / "mx1" / "maillog").write_text("")
    result = CliRunner().invoke(
        app, ["ingest", *args, "--data", str(tmp_path / "d"), str(tmp_path / "mx1")]
    )
    assert result.exit_code != 0
    assert message in result.output


def test_the_stolen_account_is_found_on_its_hosts(fleet, dask_data):
    """Per host, the top sender of the incident window (in that host's own clock) is the
    stolen account with the truth's counts; over the fleet, it sends from exactly the
    hosts the truth names."""
    _, _, _, truth = fleet
    stolen = truth["fleet"]["stolen_account"]
    found: dict[str, int] = {}
    for host, entry in truth["hosts"].items():
        sasl = entry["truth"]["incidents"]["compromised_sasl"]
        if sasl is None:
            continue
        data = dask_data / "hosts" / host
        top = api.top_senders(data, since=sasl["start"], until=sasl["end"], tz="UTC").iloc[0]
        assert top["identity"] == "sasl:" + stolen["sasl_username"]
        assert (top["messages"], top["client_ips"]) == (sasl["messages"], sasl["client_ips"])
        found[host] = int(top["messages"])
    assert sorted(found) == stolen["hosts"]
    assert sum(found.values()) == stolen["messages"]
    messages = fleet_table("messages", dask_data, columns=["host", "identity"])
    senders = messages[messages["identity"] == "sasl:" + stolen["sasl_username"]]
    assert sorted(set(senders["host"])) == sorted(truth["hosts"])  # its normal mail too


@pytest.mark.parametrize(
    "report", ["top_senders", "relay_spikes", "auth_failures", "suspicious_scripts"]
)
def test_reports_read_a_fleet_snapshot_like_one_dataset(fleet, dask_data, report):
    """Every report given the fleet's snapshot answers what it answers on the local
    engine's one dataset of the same hosts."""
    _, _, local, _ = fleet
    window = dict(since="2026-11-26", until="2026-11-28", tz="UTC")
    ours = getattr(api, report)(fleet_snapshot(dask_data), **window)
    theirs = getattr(api, report)(str(local), **window)
    assert len(theirs) > 0, report  # the fleet has traffic of every kind
    assert ours.reset_index(drop=True).equals(theirs.reset_index(drop=True)), report
