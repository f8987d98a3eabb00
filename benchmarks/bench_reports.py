"""Benchmark of the report commands, process start included.

    .venv/bin/python benchmarks/bench_reports.py [--lines 5000000] [--days 30] [--runs 5]

Generates a Postfix log with the sample generator (`write_postfix`: LINES lines over DAYS
days), ingests it once into benchmarks/out/reports-<lines>-<days>d/data (cached: a re-run
with the same parameters reuses it; gitignored), then runs each report command as a
subprocess RUNS times and prints the median, min and max wall time. Windows are given as
absolute ISO times relative to the end of the data (`--since <end - 1d>`), so the figures
do not depend on today's date. Targets (issue 3): top-senders --since 1d under 1.0 s,
every report under 3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
ANALYZER = [str(ROOT / ".venv" / "bin" / "analyzer")]
if not Path(ANALYZER[0]).exists():  # not in the project venv: run the module
    ANALYZER = [sys.executable, "-m", "analyzer"]


def dataset(lines: int, days: float) -> Path:
    """The ingested dataset for these parameters, built on first use."""
    from analyzer import api
    from analyzer.samplegen import write_postfix

    base = OUT / f"reports-{lines}-{days:g}d"
    data = base / "data"
    done = base / "ingested.json"
    if done.exists():
        return data
    base.mkdir(parents=True, exist_ok=True)
    log = base / "maillog"
    t = time.perf_counter()
    truth = write_postfix(log, target_lines=lines, days=days)
    print(f"generated {truth['lines']:,} lines in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    t = time.perf_counter()
    summary = api.ingest([str(log)], data=str(data), tz="UTC", year=2026)
    seconds = time.perf_counter() - t
    print(
        f"ingested {summary.lines:,} lines, {summary.messages:,} messages in {seconds:.1f} s",
        file=sys.stderr,
    )
    done.write_text(
        json.dumps(
            {
                "lines": truth["lines"],
                "messages": summary.messages,
                "ingest_seconds": round(seconds, 1),
            }
        )
    )
    log.unlink()  # the dataset is what the benchmark needs; the log is 0.7 GB
    return data


def data_end(data: Path) -> datetime:
    from analyzer import api

    last = api.status(str(data))["tables"]["messages"]["last"]
    return datetime.fromisoformat(last.replace("Z", "+00:00"))


def some_queue_id(data: Path, since: str) -> str:
    from analyzer import api

    msgs = api.table("messages", data=str(data), since=since, columns=["queue_id", "origin"])
    return str(msgs[msgs["origin"] == "sasl"]["queue_id"].iloc[0])


def time_command(args: list[str], env: dict, runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU (user + sys) seconds of each run; CPU time is what a busy machine
    inflates least."""
    import resource

    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        proc = subprocess.run(
            ANALYZER + args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        walls.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if proc.returncode != 0:
            raise SystemExit(f"analyzer {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
    return walls, cpus


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lines", type=int, default=5_000_000)
    p.add_argument("--days", type=float, default=30)
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args(argv)

    data = dataset(args.lines, args.days)
    # an installed package has its bytecode; a checkout under PYTHONDONTWRITEBYTECODE=1
    # would compile every changed module in every timed process
    import compileall

    compileall.compile_dir(str(ROOT / "analyzer"), quiet=1)
    end = data_end(data)
    iso = lambda dt: dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    day, week = iso(end - timedelta(days=1)), iso(end - timedelta(days=7))
    qid = some_queue_id(data, day)
    env = {**os.environ, "ANALYZER_DATA": str(data)}
    env.pop("COLUMNS", None)

    cases = [
        (["top-senders", "--since", day], 1.0),
        (["top-senders", "--since", day, "--by", "sender-domain"], 3.0),
        (["relay-spikes", "--since", day], 3.0),
        (["suspicious-scripts", "--since", day], 3.0),
        (["auth-failures", "--since", day], 3.0),
        (["trace", qid, "--since", week], 3.0),
        (["top-senders", "--since", week], 3.0),
        (["relay-spikes", "--since", "all", "--all"], 3.0),
        (["top-senders", "--since", "all"], None),
        (["--help"], None),
    ]
    print(
        f"dataset: {data} (data ends {iso(end)}); {args.runs} runs each, process start included",
        file=sys.stderr,
    )
    load = os.getloadavg()[0]
    rows = []
    for cmd, target in cases:
        walls, cpus = time_command(cmd, env, args.runs)
        med = statistics.median(walls)
        verdict = "" if target is None else ("ok" if med < target else "SLOW")
        rows.append(
            (
                " ".join(cmd).replace(day, "<end-1d>").replace(week, "<end-7d>"),
                med,
                min(walls),
                max(walls),
                statistics.median(cpus),
                target,
                verdict,
            )
        )
    width = max(len(r[0]) for r in rows)
    print(f"{'command':<{width}}  median   min      max      cpu      target")
    for name, med, lo, hi, cpu, target, verdict in rows:
        tgt = f"< {target:.1f} s" if target else ""
        print(
            f"{name:<{width}}  {med:5.2f} s  {lo:5.2f} s  {hi:5.2f} s  {cpu:5.2f} s  "
            f"{tgt:<7} {verdict}"
        )
    print(
        f"(wall: median/min/max of {args.runs} runs; cpu: median user+sys; load average "
        f"{load:.2f} -> {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs)"
    )
    return 1 if any(r[6] == "SLOW" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
