"""Fleet ingest throughput and report times: the local engine against `--engine dask`
with 1 and 2 workers.

    .venv/bin/python benchmarks/bench_fleet.py                     # 4 hosts, 1 day each
    .venv/bin/python benchmarks/bench_fleet.py --hosts 8 --days 2 --repeat 3
    .venv/bin/python benchmarks/bench_fleet.py --only reports      # the reports alone
    .venv/bin/python benchmarks/bench_fleet.py --only transfer     # MB to the client

Generates a fleet with the project's generator (cached under benchmarks/out/), then,
each into an empty dataset, times:
  - the local engine: `api.ingest` of each host's directory in turn (`host=` its name),
    with its own parse workers (ANALYZER_WORKERS, default one per core);
  - the dask engine on a `distributed.LocalCluster` of 1, then 2 worker processes (one
    thread each; the cluster is started before the clock starts, its start-up is shown
    apart), one task per host.
Prints lines/s (median of the repeats) and the speed-up over the local engine. Then,
on the fleet's dataset (`DATA/hosts/<host>/`), each report over the whole fleet and
window: wall seconds (median) and CPU seconds (this process and the workers' processes,
median) on the local engine and on the dask engine with 1 and 2 workers (clusters
started before the clock, as `--scheduler` of a running cluster). Runs alternate between
the engines; the machines here are shared and noisy.
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"


def fleet(hosts: int, days: float, messages_per_day: int, seed: int) -> tuple[Path, int]:
    from analyzer.samplegen.fleet import write_fleet

    path = OUT / f"fleet-{hosts}h-{days:g}d-{messages_per_day}-{seed}"
    truth_path = Path(f"{path}.truth.json")
    if not truth_path.exists():
        shutil.rmtree(path, ignore_errors=True)
        truth = write_fleet(
            path,
            hosts=hosts,
            days=days,
            messages_per_day=messages_per_day,
            seed=seed,
            truth_path=truth_path,
        )
    else:
        import json

        truth = json.loads(truth_path.read_text())
    return path, truth["fleet"]["lines"]


def local_engine(logs: Path, data: Path) -> None:
    from analyzer import api

    for host in sorted(p.name for p in logs.iterdir() if p.is_dir()):
        api.ingest([str(logs / host)], data=str(data), tz="UTC", host=host)


def dask_engine(logs: Path, data: Path, scheduler: str) -> None:
    from analyzer import api

    api.ingest([str(logs)], data=str(data), tz="UTC", engine="dask", scheduler=scheduler)


def timed(fn, *args) -> float:
    began = time.perf_counter()
    fn(*args)
    return time.perf_counter() - began


# report -> the api call on a fleet's dataset (`engine`, `scheduler` added)
REPORTS = {
    "top-senders": lambda data, **kw: api_call("top_senders", data, **kw),
    "relay-spikes": lambda data, **kw: api_call("relay_spikes", data, all_buckets=True, **kw),
    "suspicious-scripts": lambda data, **kw: api_call("suspicious_scripts", data, **kw),
    "auth-failures": lambda data, **kw: api_call("auth_failures", data, **kw),
    "trace --client-ip": lambda data, **kw: api_call("trace", None, data=data, **kw),
    "report": lambda data, **kw: api_call("report", data, **kw),
}


def api_call(name: str, *args, **kw):
    from analyzer import api

    if name == "trace":  # the fleet's brute-forcing IP (samplegen's fleet truth)
        kw["client_ip"] = "203.0.113.66"
    else:
        kw.setdefault("since", None)
    return getattr(api, name)(*args, tz="UTC", **kw)


def cpu_seconds(client) -> float:
    """CPU seconds of this process and, with a Dask client, of its workers' processes."""
    own = time.process_time()
    if client is None:
        return own
    return own + sum(client.run(time.process_time).values())


def report_times(logs: Path, clusters: dict, repeat: int) -> None:
    """Each report on the fleet's dataset: local, dask with 1 and with 2 workers."""
    from distributed import Client

    scratch = Path(tempfile.mkdtemp(prefix="bench-fleet-reports-"))
    try:
        data = scratch / "d"
        dask_engine(logs, data, clusters[2].scheduler_address)
        size = sum(f.stat().st_size for f in data.rglob("*") if f.is_file())
        print(f"\nreports on the fleet's dataset ({size / 1e6:.1f} MB), the whole window:")
        clients = {w: Client(c) for w, c in clusters.items()}
        engines = {"local": None, "dask 1 worker": 1, "dask 2 workers": 2}
        print(f"{'report':<20} " + " ".join(f"{e + ' s / CPU s':>26}" for e in engines))
        for report, call in REPORTS.items():
            cells = []
            for workers in engines.values():
                walls, cpus = [], []
                for _ in range(repeat):
                    client = clients[workers] if workers else None
                    kw = {}
                    if workers:
                        kw = {"engine": "dask", "scheduler": clusters[workers].scheduler_address}
                    cpu = cpu_seconds(client)
                    walls.append(timed(functools.partial(call, data, **kw)))
                    cpus.append(cpu_seconds(client) - cpu)
                cells.append(
                    f"{statistics.median(walls):>12.2f} / {statistics.median(cpus):>11.2f}"
                )
            print(f"{report:<20} " + " ".join(cells))
        for client in clients.values():
            client.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def on_the_client(snapshot_class) -> None:
    """Make `snapshot_class` (`DaskSnapshot`) work as before reports ran on Dask: every
    row a report reads comes to the client, where the row filters and the reductions
    run (`select` and `reduce` of the base `Snapshot` over the workers' reads)."""
    select = snapshot_class.select

    def rows_then_filter(self, table, since=None, until=None, columns=None, where=None):
        arrow = select(self, table, since, until, columns)
        return arrow if where is None else arrow.filter(where(arrow))

    def rows_then_reduce(self, table, reduction, since=None, until=None, columns=None):
        rows = select(self, table, since, until, columns)
        return reduction.combine([reduction.chunk(rows)])

    snapshot_class.select = rows_then_filter
    snapshot_class.reduce = rows_then_reduce
    snapshot_class.top_senders = lambda self, *args: None  # its rows, joined on the client


def transfer(logs: Path, cluster, repeat: int) -> None:
    """MB of results gathered to the client and CPU seconds (client and workers) of each
    report on Dask, rows to the client (as before) against reductions on the workers."""
    from dask.sizeof import sizeof
    from distributed import Client

    from analyzer.fleet.dask_reports import DaskSnapshot

    received = [0]
    gather = DaskSnapshot._gather

    def weighed(self, pieces):
        out = gather(self, pieces)
        received[0] += sum(sizeof(r) for r in out)
        return out

    DaskSnapshot._gather = weighed
    originals = DaskSnapshot.select, DaskSnapshot.reduce, DaskSnapshot.top_senders
    scratch = Path(tempfile.mkdtemp(prefix="bench-fleet-transfer-"))
    try:
        data = scratch / "d"
        dask_engine(logs, data, cluster.scheduler_address)
        client = Client(cluster)
        kw = {"engine": "dask", "scheduler": cluster.scheduler_address}
        spikes_only = {"relay-spikes (spikes)": lambda d, **k: api_call("relay_spikes", d, **k)}
        calls = {**REPORTS, **spikes_only}
        print(f"\nMB to the client and CPU s (client + workers), median of {repeat}:")
        print(f"{'report':<22} {'rows: MB':>9} {'CPU s':>7} {'workers: MB':>12} {'CPU s':>7}")
        for report, call in calls.items():
            cells = []
            for design in ("rows", "workers"):
                DaskSnapshot.select, DaskSnapshot.reduce, DaskSnapshot.top_senders = originals
                if design == "rows":
                    on_the_client(DaskSnapshot)
                sizes, cpus = [], []
                for _ in range(repeat):
                    received[0] = 0
                    cpu = cpu_seconds(client)
                    call(data, **kw)
                    cpus.append(cpu_seconds(client) - cpu)
                    sizes.append(received[0] / 1e6)
                cells.append(f"{statistics.median(sizes):>9.2f} {statistics.median(cpus):>7.2f}")
            print(f"{report:<22} {cells[0]} {cells[1]:>20}")
        client.close()
    finally:
        DaskSnapshot._gather = gather
        DaskSnapshot.select, DaskSnapshot.reduce, DaskSnapshot.top_senders = originals
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hosts", type=int, default=4)
    ap.add_argument("--days", type=float, default=1.0)
    ap.add_argument("--messages-per-day", type=int, default=2400)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--only",
        choices=["ingest", "reports", "transfer"],
        help="time only ingest or the reports, or weigh what reports send to the client",
    )
    args = ap.parse_args(argv)

    from distributed import LocalCluster

    logs, lines = fleet(args.hosts, args.days, args.messages_per_day, args.seed)
    size = sum(f.stat().st_size for f in logs.rglob("*") if f.is_file())
    print(f"fleet: {args.hosts} hosts, {lines:,} lines, {size / 1e6:.1f} MB on disk ({logs})")
    print(f"cores this process may use: {len(os.sched_getaffinity(0))}")
    clusters = {}
    for workers in (1, 2):
        began = time.perf_counter()
        clusters[workers] = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        )
        print(f"LocalCluster of {workers}: started in {time.perf_counter() - began:.1f} s")
    seconds: dict[str, list[float]] = {"local": [], "dask 1 worker": [], "dask 2 workers": []}
    try:
        if args.only == "reports":
            report_times(logs, clusters, args.repeat)
            return 0
        if args.only == "transfer":
            transfer(logs, clusters[2], args.repeat)
            return 0
        for _ in range(args.repeat):
            for name in seconds:
                scratch = Path(tempfile.mkdtemp(prefix="bench-fleet-"))
                try:
                    if name == "local":
                        seconds[name].append(timed(local_engine, logs, scratch / "d"))
                    else:
                        cluster = clusters[1 if "1" in name else 2]
                        seconds[name].append(
                            timed(dask_engine, logs, scratch / "d", cluster.scheduler_address)
                        )
                finally:
                    shutil.rmtree(scratch, ignore_errors=True)
        base = statistics.median(seconds["local"])
        print(f"\n{'engine':<16} {'median s':>9} {'lines/s':>10} {'vs local':>9}  runs")
        for name, runs in seconds.items():
            med = statistics.median(runs)
            print(
                f"{name:<16} {med:>9.2f} {lines / med:>10,.0f} {base / med:>8.2f}x  "
                + " ".join(f"{s:.2f}" for s in runs)
            )
        if args.only != "ingest":
            report_times(logs, clusters, args.repeat)
    finally:
        for cluster in clusters.values():
            cluster.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
