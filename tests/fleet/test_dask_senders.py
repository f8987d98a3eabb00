"""top-senders on Dask (`fleet/dask_senders.py`): the join of messages and deliveries runs
per host on the workers and the client receives a partial tally per sender, not rows;
the table is the local engine's, exactly, for every `--by` and scope, in windows with a
history before them, deferred deliveries after them, open rows, none at all, for some
hosts only, with `--limit`, of a fleet and of one dataset holding several hosts."""

from __future__ import annotations

import json
from datetime import datetime

import pandas as pd
import pyarrow as pa
import pytest
from dask_cluster import local_cluster
from fleet_data import generated_fleet, ingest_fleet
from typer.testing import CliRunner

from analyzer.cli.app import app
from analyzer.dataset.reading import Window
from analyzer.fleet.dask_reports import DaskSnapshot, engine_of
from analyzer.fleet.hosts import open_data, window_of
from analyzer.reports import senders, senders_partial
from analyzer.reports.common import hosted_domains
from analyzer.samplegen.fleet import write_fleet

FLEET = dict(hosts=3, messages_per_day=90, start=datetime(2026, 11, 24, 0, 0), days=2.5)
WINDOWS = {
    "last-day": ("2026-11-26", "2026-11-26T12:00"),  # 2 days before it
    "deferred-after": ("2026-11-25T07:30", "2026-11-25T08:00"),  # deliveries after the end
    "everything": (None, None),  # the open rows too
    "empty": ("2030-01-01", None),
}


@pytest.fixture(scope="module")
def cluster():
    with local_cluster() as address:
        yield address


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    root = tmp_path_factory.mktemp("dask-senders")
    truth = write_fleet(root / "logs", **FLEET)
    data = ingest_fleet(root, truth, root / "data")
    return {"data": data, "hosts": sorted(truth["hosts"])}


@pytest.fixture(scope="module")
def one_dataset(tmp_path_factory):
    """The fleet of `fleet_data` (Postfix and Exim hosts) ingested into one dataset."""
    root = tmp_path_factory.mktemp("dask-senders-one")
    return ingest_fleet(root, generated_fleet(root), root / "data", one_dataset=True)


@pytest.fixture(scope="module")
def on_dask(cluster):
    """`on(window)`: the window read on the cluster (one client for the module)."""
    with engine_of("dask", cluster) as on:
        yield on


def _on_both(on, data, window, hosts=None, **kw) -> tuple[pd.DataFrame, pd.DataFrame]:
    """top-senders of `window` on the local engine and on the cluster (`on`)."""
    win = window_of(data, *WINDOWS[window], "UTC", hosts)
    local = senders.top_senders_in(win, **kw)
    return local, senders.top_senders_in(on(win), **kw)


@pytest.mark.parametrize("window", sorted(WINDOWS))
@pytest.mark.parametrize("by", sorted(senders.BY))
def test_every_by_and_scope_is_the_local_engines(fleet, on_dask, window, by):
    for scope in senders.SCOPES:
        local, dask_ = _on_both(on_dask, fleet["data"], window, by=by, scope=scope)
        pd.testing.assert_frame_equal(dask_, local)
        assert dask_.to_json(date_format="iso") == local.to_json(date_format="iso")
        if window != "empty" and scope == "all":
            assert len(local), (window, by)


def test_a_window_whose_deliveries_come_after_it(fleet, on_dask):
    """Messages of the window are delivered after its end: those deliveries count."""
    win = window_of(fleet["data"], *WINDOWS["deferred-after"], "UTC", None)
    msgs = win.read("messages", ["last_seen"])
    assert msgs["last_seen"].max() > pd.Timestamp(win.hi)
    local, dask_ = _on_both(on_dask, fleet["data"], "deferred-after", scope="all")
    pd.testing.assert_frame_equal(dask_, local)
    assert local["deferred"].sum() > 0


def test_some_hosts_and_one_dataset_of_several_hosts(fleet, one_dataset, on_dask):
    for hosts in ([fleet["hosts"][0]], fleet["hosts"][1:]):
        for by in ("identity", "host", "client-ip"):
            local, dask_ = _on_both(on_dask, fleet["data"], "everything", hosts, by=by, scope="all")
            pd.testing.assert_frame_equal(dask_, local)
            assert set(local.get("host", pd.Series(hosts))) <= set(hosts)
    for by in sorted(senders.BY):
        for scope in senders.SCOPES:
            local, dask_ = _on_both(on_dask, one_dataset, "everything", by=by, scope=scope)
            pd.testing.assert_frame_equal(dask_, local)
    one_host = fleet["hosts"][:1]  # the same names: mx1, ...
    local, dask_ = _on_both(on_dask, one_dataset, "everything", one_host, by="host", scope="all")
    pd.testing.assert_frame_equal(dask_, local)
    assert list(local["host"]) == one_host


def test_the_client_receives_a_tally_not_rows(fleet, on_dask, monkeypatch):
    received: list = []
    gather = DaskSnapshot._gather

    def spy(self, pieces):
        out = gather(self, pieces)
        received.extend(out)
        return out

    monkeypatch.setattr(DaskSnapshot, "_gather", spy)
    local, dask_ = _on_both(on_dask, fleet["data"], "everything", by="sender", scope="all")
    pd.testing.assert_frame_equal(dask_, local)
    assert not [r for r in received if isinstance(r, pa.Table | pd.DataFrame)]
    (tally,) = [r for r in received if isinstance(r, dict)]  # one, combined on the workers
    messages = open_data(fleet["data"]).read("messages", columns=["queue_id"]).num_rows
    assert len(tally["sums"]) == len(local) < messages / 3


@pytest.mark.parametrize("args", [["--by", "sasl", "--limit", "3"], ["--by", "host", "-n", "0"]])
def test_the_command_prints_the_local_json(fleet, cluster, args):
    since, until = WINDOWS["last-day"]
    words = ["top-senders", *args, "--format", "json", "--tz", "UTC"]
    words += ["--data", str(fleet["data"]), "--since", since, "--until", until]
    words += ["--host", ",".join(fleet["hosts"][:2])]
    local = CliRunner().invoke(app, words)
    assert local.exit_code == 0, local.output
    assert json.loads(local.stdout)
    dask_ = CliRunner().invoke(app, [*words, "--engine", "dask", "--scheduler", cluster])
    assert (dask_.exit_code, dask_.stdout) == (0, local.stdout)


def test_partials_of_any_split_of_the_hosts_combine_to_the_whole(fleet):
    """Per host, in any grouping and order, the partial tallies give `top_senders`."""
    win = Window(open_data(fleet["data"]), None, None, "UTC")
    msgs = win.read("messages", senders.message_columns("identity"))
    dels = win.deliveries_of(msgs, senders.DELIVERY_COLUMNS)
    hosted = hosted_domains(dels, msgs["sasl_username"])
    whole = senders.top_senders(msgs, dels, "identity", "outgoing", hosted)

    def part(host):
        return senders_partial.partial(
            msgs[msgs["host"] == host], dels[dels["host"] == host], "identity", "outgoing", hosted
        )

    first, *rest = fleet["hosts"]
    tallies = [part(h) for h in reversed(fleet["hosts"])]
    nested = senders_partial.combine(
        [part(first), senders_partial.combine([part(h) for h in rest])]
    )
    for tally in (senders_partial.combine(tallies), nested):
        pd.testing.assert_frame_equal(senders_partial.finish(tally, "identity"), whole)
    assert len(whole) > 1
