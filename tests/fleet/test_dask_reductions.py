"""Reports computed on Dask (`fleet/dask_reports.py`): the reports' row filters run on
the workers (`Snapshot.select`), their aggregates are summed per part on the workers and
combined there tree-wise (`Window.reduce`, `dataset.snapshot.Reduction`), and every
report's JSON stays the local engine's, with a history before the window, in empty
windows and with ties; the aggregates combine to the same answer however the rows are
split; `--redact` finds its subjects on the chosen engine."""

from __future__ import annotations

import json
from datetime import datetime

import dask
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from dask_cluster import local_cluster
from distributed import Client
from fleet_data import ingest_fleet
from typer.testing import CliRunner

from analyzer import api
from analyzer.cli.app import app
from analyzer.cli.report_output import redactor_for
from analyzer.dataset.reading import Window, to_pandas
from analyzer.dataset.snapshot import Reduction
from analyzer.fleet import dask_reports
from analyzer.fleet.dask_reports import DaskSnapshot, engine_of, tree_combine
from analyzer.fleet.hosts import open_data
from analyzer.reports import auth, baselines, scripts, spikes
from analyzer.samplegen.fleet import write_fleet

FLEET = dict(hosts=3, messages_per_day=90, start=datetime(2026, 11, 24, 0, 0), days=2.5)
LAST_DAY = ["--since", "2026-11-26", "--until", "2026-11-26T12:00"]  # with 2 days before


@pytest.fixture(scope="module")
def cluster():
    with local_cluster() as address:
        yield address


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    root = tmp_path_factory.mktemp("dask-reductions")
    truth = write_fleet(root / "logs", **FLEET)
    data = ingest_fleet(root, truth, root / "data")
    return {"data": data, "truth": truth["fleet"]}


def run(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.stdout, result.stderr


# a local relay spike (10:00) and the end of the brute force (02:00 to 05:36)
SPIKE_DAY = ["--since", "2026-11-24T04:00", "--until", "2026-11-25T04:00"]
COMMANDS = {
    "auth-failures": (["auth-failures", "--limit", "0"], LAST_DAY),
    "auth-failures-by-username": (["auth-failures", "--by", "username", "-n", "0"], LAST_DAY),
    "relay-spikes": (["relay-spikes", "--window", "6"], SPIKE_DAY),
    "relay-spikes-all": (["relay-spikes", "--all", "--bucket", "7h", "--window", "3"], LAST_DAY),
    "suspicious-scripts": (["suspicious-scripts", "--limit", "0", "--history", "30d"], LAST_DAY),
    "trace-client-ip": (["trace", "--client-ip", "{brute}"], SPIKE_DAY),
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_report_is_the_local_engines_with_history_before_the_window(fleet, cluster, name):
    brute = fleet["truth"]["brute_force"]["client_ip"]
    words, window = COMMANDS[name]
    args = [w.format(brute=brute) for w in words]
    args += ["--format", "json", "--tz", "UTC", "--data", str(fleet["data"]), *window]
    local = run(args)
    assert local[0] == 0, local
    assert json.loads(local[1]), name  # the window has rows of every report
    assert run([*args, "--engine", "dask", "--scheduler", cluster]) == local


def test_scripts_history_and_baselines_are_counted_on_the_workers(fleet, cluster):
    window = dict(since="2026-11-26", until="2026-11-26T12:00", tz="UTC")
    local = api.report(fleet["data"], **window)
    dask_ = api.report(fleet["data"], **window, engine="dask", scheduler=cluster)
    for section in ("scripts", "volume", "auth", "relay_buckets"):
        ours, theirs = getattr(dask_, section), getattr(local, section)
        assert ours.to_json(date_format="iso") == theirs.to_json(date_format="iso"), section
        assert list(ours.dtypes) == list(theirs.dtypes), section
    assert dask_.incidents == local.incidents
    assert (local.volume["history_days"] > 1).all() and len(local.volume)


def test_the_client_receives_aggregates_not_rows(fleet, cluster, monkeypatch):
    received: list = []
    gather = DaskSnapshot._gather

    def spy(self, pieces):
        out = gather(self, pieces)
        received.extend(out)
        return out

    monkeypatch.setattr(DaskSnapshot, "_gather", spy)
    api.auth_failures(fleet["data"], tz="UTC", engine="dask", scheduler=cluster)
    failures = api.table("auth_failures", data=open_data(fleet["data"]))
    counts = [r for r in received if isinstance(r, pd.DataFrame) and "n" in r.columns]
    assert len(counts) == 1  # one combined aggregate, not one per part
    assert counts[0]["n"].sum() == len(failures) > 3 * len(counts[0])
    # of the messages, only the logins (`auth.successes`) came
    rows = [r for r in received if isinstance(r, pa.Table) and "filter_of" in r.column_names]
    assert rows and all(pc.all(pc.is_valid(t["sasl_username"])).as_py() for t in rows)


def test_combines_run_tree_wise_at_most_fan_in_at_a_time(cluster):
    sizes: list[int] = []

    def combine(parts):
        return {"n": sum(p["n"] for p in parts), "merged": len(parts)}

    pieces = [dask.delayed(lambda i: {"n": i, "merged": 1})(i) for i in range(70)]
    total = tree_combine(pieces, combine)
    with Client(cluster) as client:
        result = client.compute(total).result()
        graph = dict(total.__dask_graph__())
    assert result["n"] == sum(range(70))
    sizes = [len(v[1]) for v in graph.values() if isinstance(v, tuple) and len(v) == 2]
    combines = [k for k in graph if str(k).startswith("combine")]
    assert len(combines) == 9 + 2 + 1  # 70 -> 9 -> 2 -> 1
    assert result["merged"] == 2 and max(sizes, default=0) <= dask_reports.FAN_IN


def test_select_runs_the_row_filter_on_the_workers_and_keeps_the_order(fleet, cluster):
    def local_only(arrow):
        return pc.equal(arrow["origin"], "local")

    win = Window(open_data(fleet["data"]), None, None, "UTC")
    local = win.read("messages", ["queue_id", "origin", "host"], where=local_only)
    with engine_of("dask", cluster) as on:
        dask_ = on(win).read("messages", ["queue_id", "origin", "host"], where=local_only)
    assert len(local) and set(local["origin"]) == {"local"}
    assert dask_.to_json() == local.to_json() and list(dask_.dtypes) == list(local.dtypes)


def test_reduce_counts_the_open_rows_too(fleet, cluster):
    """The messages the correlator still holds open are not in the parts; a reduction of
    the window adds them on the client, as a read does."""
    count = Reduction(lambda arrow: arrow.num_rows, sum)
    win = Window(open_data(fleet["data"]), None, None, "UTC")
    rows = len(win.read("messages", ["first_seen"]))
    parts = win.snap.read("messages", columns=["first_seen"]).num_rows
    with engine_of("dask", cluster) as on:
        on_dask = on(win).reduce("messages", ["first_seen"], count)
    assert win.reduce("messages", ["first_seen"], count) == rows == on_dask
    assert rows > parts  # the fleet's last messages are still open


@pytest.mark.parametrize(
    "table, columns, reduction",
    [
        ("auth_failures", auth.FAILURE_COLUMNS, auth.FAILURE_COUNTS),
        ("messages", scripts.HISTORY_COLUMNS, scripts.HISTORY),
        ("rejects", ["ts"], spikes.TIME_SPAN),
        ("client_rates", auth.RATE_COLUMNS, auth.RATE_PEAKS),
        ("messages", spikes.SENDER_COLUMNS, spikes.SENDERS),
        ("deliveries", ["program", "status", "recipient_domain"], spikes.LOCAL),
    ],
    ids=["auth-failures", "scripts-history", "rejects-span", "anvil", "senders", "hosted"],
)
def test_chunks_of_any_split_combine_to_the_chunk_of_all(fleet, table, columns, reduction):
    rows = api.snapshot(open_data(fleet["data"])).read(table, columns=columns)
    whole = reduction.combine([reduction.chunk(rows)])
    assert not _same(whole, reduction.combine([reduction.chunk(rows.slice(0, 0))]))
    for cut in (1, 7, 50):
        pieces = [rows.slice(i, cut) for i in range(0, rows.num_rows, cut)][::-1]
        split = reduction.combine(
            [
                reduction.combine([reduction.chunk(p) for p in pieces[i : i + 3]])
                for i in range(0, len(pieces), 3)
            ]
        )
        assert _same(split, whole), (table, cut)


def test_hourly_and_bucket_counts_combine_exactly(fleet):
    rows = api.snapshot(open_data(fleet["data"])).read("messages", columns=baselines.COLUMNS)
    wanted = sorted(set(to_pandas(rows)["identity"].dropna()))
    hourly = Reduction(lambda a: baselines.hourly_counts(a, set(wanted)), baselines.combine_hourly)
    rejects = api.snapshot(open_data(fleet["data"])).read("rejects", columns=["ts", "reason_class"])
    grid = spikes.bucket_grid(spikes.TIME_SPAN.chunk(rejects), "7h")
    relay = spikes.relay_counter(grid)
    expected = spikes.bucket_counts(to_pandas(rejects), "7h")
    assert list(
        relay.combine([relay.chunk(rejects.slice(i, 5)) for i in range(0, len(rejects), 5)])
    ) == list(expected)
    assert expected.sum() > 0
    whole = hourly.combine([hourly.chunk(rows)])
    split = hourly.combine([hourly.chunk(rows.slice(i, 11)) for i in range(0, len(rows), 11)])
    assert _same(split.sort_index(), whole.sort_index()) and whole.sum() > 0


def test_an_empty_window_is_empty_on_both(fleet, cluster):
    window = dict(data=fleet["data"], since="2030-01-01", until=None, tz="UTC")
    for name, kw in (
        ("auth_failures", {"by": "username"}),
        ("relay_spikes", {"all_buckets": True}),
        ("suspicious_scripts", {"history": "30d"}),
    ):
        local = getattr(api, name)(**window, **kw)
        dask_ = getattr(api, name)(**window, **kw, engine="dask", scheduler=cluster)
        assert local.empty and dask_.empty, name
        assert list(dask_.dtypes) == list(local.dtypes), name
    win = Window(open_data(fleet["data"]), "2030-01-01", None, "UTC")
    with engine_of("dask", cluster) as on:
        assert on(win).reduce("auth_failures", auth.FAILURE_COLUMNS, auth.FAILURE_COUNTS).empty


def test_a_client_name_tie_is_the_alphabetically_first_however_the_rows_come():
    ts = pd.Timestamp("2026-11-26 10:00", tz="UTC")
    rows = pd.DataFrame(
        {
            "ts": [ts, ts + pd.Timedelta(minutes=1), ts + pd.Timedelta(minutes=2)] * 2,
            "client_ip": ["192.0.2.9"] * 6,
            "client_name": [
                "zz.example",
                "aa.example",
                "unknown",
                "aa.example",
                "zz.example",
                None,
            ],
            "sasl_username": ["bob", "alice", "bob", "alice", "carol", "carol"],
        }
    ).astype({"client_ip": "str", "client_name": "str", "sasl_username": "str"})
    none = auth.successes(None, None)
    for order in (rows, rows.iloc[::-1], rows.sample(frac=1, random_state=3)):
        out = auth.auth_failures(order, none)
        assert out["client_name"].tolist() == ["aa.example"]
        assert out["top_usernames"][0] == [
            {"value": "alice", "count": 2},
            {"value": "bob", "count": 2},
            {"value": "carol", "count": 2},
        ]
        split = auth.combine_failures(
            [auth.count_failures(order.iloc[:2]), auth.count_failures(order.iloc[2:])]
        )
        same = auth.auth_failures_of(split, none)
        assert same.to_json(date_format="iso") == out.to_json(date_format="iso")


def test_redact_finds_its_subjects_on_the_chosen_engine(fleet, cluster, monkeypatch):
    gathered: list = []
    gather = DaskSnapshot._gather
    monkeypatch.setattr(DaskSnapshot, "_gather", lambda s, p: gathered.append(1) or gather(s, p))
    window = (fleet["data"], "2026-11-24", "2026-11-25", "UTC")
    local = redactor_for(True, *window)
    assert not gathered
    on_dask = redactor_for(True, *window, engine="dask", scheduler=cluster)
    assert gathered  # the nightly rules' reads went to the cluster
    brute = fleet["truth"]["brute_force"]["client_ip"]
    assert (on_dask.addresses, on_dask.ips) == (local.addresses, local.ips)
    assert brute in local.ips


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k].sort_index(), b[k].sort_index()) for k in a)
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, pd.DataFrame):  # the same rows, in whatever order they were combined
        key = list(a.columns)
        left = a.sort_values(key, na_position="first").reset_index(drop=True)
        right = b.sort_values(key, na_position="first").reset_index(drop=True)
        return left.equals(right)
    if isinstance(a, pd.Series):
        return a.reset_index(drop=True).equals(b.reset_index(drop=True))
    return a == b
