"""Ingest end to end on each path, side by side with pflogsumm, in one run on one file:

    .venv/bin/python benchmarks/bench_engine.py --lines 1000000 --repeat 3

- `python`: the Python parse stage (worker processes) + the Python correlator,
- `rust`: the compiled parse core (worker processes) + the Python correlator,
- `engine`: the compiled ingest engine (`ANALYZER_ENGINE=compiled`: parse and correlate
  in Rust, Arrow rows, in one process),
- `pflogsumm` (Debian package) on the same file.

Each run is a whole process into an empty dataset (start-up included); the runs of one
round alternate between the tools. Printed: medians of wall time, lines/s, CPU seconds
(user + sys of the process tree: steadier than wall time on a shared machine), peak RSS,
and the ratio to pflogsumm's lines/s by wall time and by CPU time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
from pathlib import Path

from bench_ingest import ANALYZER, OUT, log_file, run

PATHS = {
    "python": {"ANALYZER_CORE": "python", "ANALYZER_ENGINE": "python"},
    "rust": {"ANALYZER_CORE": "rust", "ANALYZER_ENGINE": "python"},
    "engine": {"ANALYZER_CORE": "rust", "ANALYZER_ENGINE": "compiled"},
}


def bench(log: Path, repeat: int, paths: list[str], data_root: Path) -> dict[str, list]:
    runs: dict[str, list] = {name: [] for name in [*paths, "pflogsumm"]}
    for _ in range(repeat):
        for name in paths:
            data = data_root / f"engine-bench-{name}"
            shutil.rmtree(data, ignore_errors=True)
            env = {**os.environ, **PATHS[name]}
            cmd = ANALYZER + ["ingest", str(log), "--data", str(data), "--tz", "UTC"]
            runs[name].append(run(cmd, env))
        runs["pflogsumm"].append(run(["pflogsumm", str(log)]))
    return runs


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--days", type=float, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="runs per tool; medians are shown")
    ap.add_argument("--paths", default="python,rust,engine", help="which ingest paths to run")
    args = ap.parse_args()
    if not shutil.which("pflogsumm"):
        raise SystemExit("pflogsumm not found: apt-get install pflogsumm")
    log = log_file(args.lines, args.days, args.seed)
    n = sum(1 for _ in open(log, "rb"))
    paths = args.paths.split(",")
    runs = bench(log, args.repeat, paths, OUT)
    med = {k: [statistics.median(r[i] for r in v) for i in range(3)] for k, v in runs.items()}
    pfl_s, _, pfl_cpu = med["pflogsumm"]
    print(f"\n{n:,} lines, {os.cpu_count()} cores, medians of {args.repeat}\n")
    head = (
        f"{'path':>10} {'wall s':>7} {'lines/s':>9} {'CPU s':>6} {'µs/line':>8} "
        f"{'peak RSS':>9} | {'÷ pflogsumm (wall)':>18} {'(CPU)':>6}"
    )
    print(head)
    print("-" * len(head))
    for name in [*paths, "pflogsumm"]:
        wall, _, cpu = med[name]
        rss = max(r[1] for r in runs[name])
        print(
            f"{name:>10} {wall:>7.2f} {n / wall:>9,.0f} {cpu:>6.2f} {1e6 * cpu / n:>8.2f} "
            f"{rss:>7.0f}MB | {pfl_s / wall:>17.2f}x {pfl_cpu / cpu:>5.2f}x"
        )


if __name__ == "__main__":
    main()
