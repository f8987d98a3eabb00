"""Ingest end to end on each path, side by side with pflogsumm, in one run on one file:

    .venv/bin/python benchmarks/bench_engine.py --lines 1000000 --repeat 3

- `python`: the Python parse stage (worker processes) + the Python correlator,
- `rust`: the compiled parse core (worker processes) + the Python correlator,
- `engine`: the compiled ingest engine (`ANALYZER_ENGINE=compiled`: parse and correlate
  in Rust, Arrow rows, in one process),
- `pflogsumm` (Debian package) on the same file,
- with `--baseline DIR`, `base`: the engine of another checkout (`DIR` holds its
  `analyzer` package with its `_core` built, e.g. `git archive` of the commit before a
  change), run with `PYTHONPATH=DIR` in the same rounds: a before/after on one machine.

Each run is a whole process into an empty dataset (start-up included); the runs of one
round alternate between the tools. After each ingest the same ingest runs again over the
unchanged file (a no-op re-run: the checkpoint says it is read to its end). Printed:
medians of wall time, lines/s, CPU seconds (user + sys of the process tree: steadier than
wall time on a shared machine), peak RSS, the ratio to pflogsumm's lines/s by wall time
and by CPU time, the re-run's CPU seconds and share of the first run's, and the load
average (`/proc/loadavg`, 1 minute) at the start and end of each tool's runs: on a shared
machine it says how far to trust the wall times.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
from pathlib import Path

from bench_ingest import ANALYZER, OUT, byte_compiled, log_file, run

PATHS = {
    "python": {"ANALYZER_CORE": "python", "ANALYZER_ENGINE": "python"},
    "rust": {"ANALYZER_CORE": "rust", "ANALYZER_ENGINE": "python"},
    "engine": {"ANALYZER_CORE": "rust", "ANALYZER_ENGINE": "compiled"},
    "base": {"ANALYZER_CORE": "rust", "ANALYZER_ENGINE": "compiled"},
}


def path_env(name: str, baseline: str | None) -> tuple[dict, str | None]:
    """The environment and working directory of a run of path `name`: `python -m` puts
    the working directory first on sys.path, so the baseline's runs start in its
    directory (from this checkout's root they would import this checkout's package)."""
    env = {**os.environ, **PATHS[name]}
    if name != "base":
        return env, None
    env["PYTHONPATH"] = str(baseline)
    return env, str(baseline)


def load() -> float:
    """The 1-minute load average."""
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def bench(
    log: Path, repeat: int, paths: list[str], data_root: Path, baseline: str | None
) -> tuple[dict[str, list], dict[str, list], dict[str, list]]:
    """(runs, no-op re-runs, load averages seen) per tool; a run is `bench_ingest.run`'s
    (wall s, peak RSS MB, CPU s)."""
    tools = [*paths, "pflogsumm"]
    runs: dict[str, list] = {name: [] for name in tools}
    again: dict[str, list] = {name: [] for name in paths}
    loads: dict[str, list] = {name: [] for name in tools}
    for _ in range(repeat):
        for name in paths:
            data = data_root / f"engine-bench-{name}"
            shutil.rmtree(data, ignore_errors=True)
            env, cwd = path_env(name, baseline)
            cmd = ANALYZER + ["ingest", str(log), "--data", str(data), "--tz", "UTC"]
            loads[name].append(load())
            runs[name].append(run(cmd, env, cwd))
            again[name].append(run(cmd, env, cwd))
            loads[name].append(load())
        loads["pflogsumm"].append(load())
        runs["pflogsumm"].append(run(["pflogsumm", str(log)]))
        loads["pflogsumm"].append(load())
    return runs, again, loads


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--days", type=float, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="runs per tool; medians are shown")
    ap.add_argument("--paths", default="python,rust,engine", help="which ingest paths to run")
    ap.add_argument("--baseline", help="a checkout whose engine runs as `base` (see above)")
    args = ap.parse_args()
    if not shutil.which("pflogsumm"):
        raise SystemExit("pflogsumm not found: apt-get install pflogsumm")
    log = log_file(args.lines, args.days, args.seed)
    n = sum(1 for _ in open(log, "rb"))
    paths = args.paths.split(",") + (["base"] if args.baseline else [])
    byte_compiled(Path(__file__).resolve().parents[1], *([args.baseline] if args.baseline else []))
    runs, again, loads = bench(log, args.repeat, paths, OUT, args.baseline)

    def median(v: list) -> list[float]:
        return [statistics.median(r[i] for r in v) for i in range(3)]

    med = {k: median(v) for k, v in runs.items()}
    pfl_s, _, pfl_cpu = med["pflogsumm"]
    print(f"\n{n:,} lines, {os.cpu_count()} cores, medians of {args.repeat}\n")
    head = (
        f"{'path':>10} {'wall s':>7} {'lines/s':>9} {'CPU s':>6} {'µs/line':>8} "
        f"{'peak RSS':>9} | {'÷ pflogsumm (wall)':>18} {'(CPU)':>6} | "
        f"{'re-run CPU s':>12} {'(share)':>7} | {'load':>9}"
    )
    print(head)
    print("-" * len(head))
    for name in [*paths, "pflogsumm"]:
        wall, _, cpu = med[name]
        rss = max(r[1] for r in runs[name])
        rerun = "-".rjust(12) + " " * 8
        if name in again:
            re_cpu = median(again[name])[2]
            rerun = f"{re_cpu:>12.2f} {re_cpu / cpu:>6.1%}"
        print(
            f"{name:>10} {wall:>7.2f} {n / wall:>9,.0f} {cpu:>6.2f} {1e6 * cpu / n:>8.2f} "
            f"{rss:>7.0f}MB | {pfl_s / wall:>17.2f}x {pfl_cpu / cpu:>5.2f}x | {rerun} | "
            f"{min(loads[name]):>4.1f}-{max(loads[name]):<4.1f}"
        )


if __name__ == "__main__":
    main()
