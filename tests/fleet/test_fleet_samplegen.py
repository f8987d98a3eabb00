"""The generator's fleet mode: every host its own server (queue ids, clock, volume), logs
rotated per day and older days gzipped, one stolen account on several hosts, exact truth."""

from __future__ import annotations

import gzip
import json
import re
from datetime import datetime

import pytest

from analyzer.samplegen.__main__ import main
from analyzer.samplegen.fleet import plan_fleet, write_fleet

ARGS = dict(
    hosts=4,
    messages_per_day=150,
    start=datetime(2026, 11, 25, 23, 0),
    days=1.05,
    incident_hosts=2,
)
POSTFIX_ID = re.compile(r"postfix/\w+\[\d+\]: ([0-9A-F]{10,12}):")
EXIM_ID = re.compile(r"^\S+ \S+ (\w{6}-\w{6}-\w{2}) ")


def read_lines(path) -> list[str]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return f.read().splitlines()


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    out = tmp_path_factory.mktemp("fleet") / "logs"
    truth = write_fleet(out, truth_path=f"{out}.truth.json", **ARGS)
    return out, truth


def test_each_host_is_its_own_server(fleet):
    out, truth = fleet
    hosts = truth["hosts"]
    assert sorted(hosts) == ["mx1", "mx2", "mx3", "mx4"]
    assert [hosts[h]["mta"] for h in sorted(hosts)] == ["postfix", "exim", "postfix", "exim"]
    assert hosts["mx1"]["clock_skew_seconds"] == 0
    assert any(hosts[h]["clock_skew_seconds"] != 0 for h in hosts)
    assert len({hosts[h]["messages_per_day"] for h in hosts}) == 4
    ids: dict[str, set[str]] = {}
    for name, host in hosts.items():
        files = sorted((out / name).iterdir())
        assert [f.name for f in files] == sorted(host["files"])
        lines = [line for n in host["files"] for line in read_lines(out / name / n)]
        assert len(lines) == host["truth"]["lines"]
        if host["mta"] == "postfix":
            assert all(f" {name} " in line[:32] for line in lines)
            found = {m.group(1) for line in lines if (m := POSTFIX_ID.search(line))}
        else:
            found = {m.group(1) for line in lines if (m := EXIM_ID.match(line))}
        assert found
        ids[name] = found
    for a in ids:
        for b in ids:
            if a < b:
                assert not ids[a] & ids[b], (a, b)  # each host its own queue-id space


def test_rotated_series_oldest_compressed_and_time_ordered(fleet):
    out, truth = fleet
    seen_gz = False
    for name, host in truth["hosts"].items():
        files = host["files"]
        base = files[-1]
        assert files[-1] == base and (len(files) < 2 or files[-2] == f"{base}.1")
        for age, f in enumerate(reversed(files)):
            if age >= 2:
                assert f == f"{base}.{age}.gz"
                seen_gz = True
                with open(out / name / f, "rb") as raw:
                    assert raw.read(2) == b"\x1f\x8b"
        mtimes = [(out / name / f).stat().st_mtime for f in files]
        assert mtimes == sorted(mtimes)
        stamps = [line[:19] for f in files for line in read_lines(out / name / f)]
        if host["mta"] == "exim":
            assert stamps == sorted(stamps)
    assert seen_gz


def test_clock_skew_moves_each_hosts_log(fleet):
    _, truth = fleet
    for host in truth["hosts"].values():
        own_start = datetime.fromisoformat(host["truth"]["start"])
        assert (own_start - ARGS["start"]).total_seconds() == host["clock_skew_seconds"]
        assert abs(host["clock_skew_seconds"]) <= 90


def test_stolen_account_on_several_hosts(fleet):
    _, truth = fleet
    fleetwide = truth["fleet"]
    stolen = fleetwide["stolen_account"]
    assert stolen["sasl_username"] == "info@bakery-berlin.example"
    assert stolen["hosts"] == ["mx1", "mx2"]
    per_host = [
        truth["hosts"][h]["truth"]["incidents"]["compromised_sasl"]["messages"]
        for h in stolen["hosts"]
    ]
    assert stolen["messages"] == sum(per_host) > 0
    assert fleetwide["brute_force"]["hosts"] == ["mx1", "mx2"]
    assert truth["hosts"]["mx3"]["truth"]["incidents"]["compromised_sasl"] is None
    assert fleetwide["lines"] == sum(h["truth"]["lines"] for h in truth["hosts"].values())
    assert fleetwide["messages"] == sum(
        h["truth"]["messages"]["total"] for h in truth["hosts"].values()
    )


def test_deterministic_and_command_line(fleet, tmp_path):
    out, truth = fleet
    again = tmp_path / "again"
    assert (
        main(
            [
                "fleet",
                "--hosts",
                "4",
                "--messages-per-day",
                "150",
                "--start",
                "2026-11-25T23:00",
                "--days",
                "1.05",
                "--incident-hosts",
                "2",
                "--out",
                str(again),
                "--quiet",
            ]
        )
        == 0
    )
    for name, host in truth["hosts"].items():
        for f in host["files"]:
            assert (again / name / f).read_bytes() == (out / name / f).read_bytes()
    assert json.loads((tmp_path / "again.truth.json").read_text()) == json.loads(
        (out.parent / "logs.truth.json").read_text()
    )


def test_refuses_a_directory_with_logs(fleet, capsys):
    out, _ = fleet
    assert main(["fleet", "--hosts", "1", "--out", str(out), "--quiet"]) == 1
    assert "holds logs already" in capsys.readouterr().err


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"hosts": 0}, "at least one host"),
        ({"mtas": ("qmail",)}, "MTAs are"),
        ({"incident_hosts": 5}, "incident_hosts"),
        ({"max_skew": -1}, "must not be negative"),
    ],
)
def test_plan_rejects_nonsense(kw, message):
    with pytest.raises(ValueError, match=message):
        plan_fleet(**{"hosts": 4, **kw})
