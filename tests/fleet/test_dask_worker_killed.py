"""A Dask worker killed (SIGKILL) in the middle of a host's ingest: the scheduler runs the
task again on a live worker, which resumes from that host's last checkpoint (the killed
attempt's uncommitted parts set aside), and the dataset is exactly the local engine's."""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import datetime

import distributed

from analyzer import api
from analyzer.fleet.reading import fleet_table
from analyzer.samplegen.fleet import write_fleet
from analyzer.schema import TABLES

FLEET = dict(
    hosts=2, messages_per_day=150, start=datetime(2026, 11, 26, 12, 0), days=0.5, incident_hosts=1
)


def rows(df) -> list[str]:
    return sorted(map(repr, df.itertuples(index=False, name=None)))


def test_a_worker_killed_mid_ingest_gives_the_exact_dataset(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYZER_COMMIT_LINES", "300")  # many commits: a kill lands between
    logs, local, data = tmp_path / "logs", tmp_path / "local", tmp_path / "dask"
    truth = write_fleet(logs, **FLEET)
    for host in sorted(truth["hosts"]):
        api.ingest([str(logs / host)], data=str(local), tz="UTC", host=host)
    result: dict = {}
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as watcher,
    ):

        def run() -> None:
            result["summary"] = api.ingest(
                [str(logs)],
                data=str(data),
                tz="UTC",
                engine="dask",
                scheduler=cluster.scheduler_address,
            )

        ingest = threading.Thread(target=run)
        ingest.start()
        checkpoint = data / "hosts" / "mx1" / "_state" / "state.json"
        deadline = time.monotonic() + 60
        while not checkpoint.exists() and time.monotonic() < deadline:
            time.sleep(0.002)
        assert checkpoint.exists(), "mx1's first commit never came"
        where = [w for w, keys in watcher.processing().items() if "ingest-mx1" in keys]
        assert where, "mx1's task ended before it could be killed"
        pid = watcher.run(os.getpid, workers=where)[where[0]]
        os.kill(pid, signal.SIGKILL)
        ingest.join(120)
    summary = result["summary"]
    # the retry read mx1 from its checkpoint, not from the start
    assert 0 < summary.lines < truth["fleet"]["lines"]
    for name in TABLES:
        assert rows(fleet_table(name, data)) == rows(api.table(name, data=str(local))), name
