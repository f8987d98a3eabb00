"""Exim and Sendmail ingest end to end on each path, side by side in one run on one file
per MTA:

    .venv/bin/python benchmarks/bench_engine_mta.py --lines 1000000 --repeat 3

- `python`: the Python parse stage (worker processes) + the Python correlator,
- `rust`: the compiled parse core (worker processes) + the Python correlator,
- `engine`: the compiled ingest engine (`ANALYZER_ENGINE=compiled`: parse and correlate
  in Rust, Arrow rows, in one process),
- with `--baseline DIR`, `base`: the engine of another checkout (`DIR` holds its
  `analyzer` package with its `_core` built, e.g. `git archive` of the commit before a
  change), run with `PYTHONPATH=DIR` in the same rounds: a before/after on one machine.

`--kinds exim,sendmail,postfix` adds the Postfix log of `bench_engine.py` (same size):
then each path's CPU µs per line on Exim and Sendmail is also shown as a ratio to the same
path's on Postfix (the target: within 1.5x).

The logs are the generator's (`analyzer.samplegen.mta.write_mta`: Exim's own main log,
Sendmail syslog; 30 days; cached in `benchmarks/out/`). Each run is a whole process into
an empty dataset (start-up included); the runs of one round alternate between the paths.
Printed per MTA: medians of wall time, lines/s, CPU seconds (user + sys of the process
tree: steadier than wall time on a shared machine), peak RSS, and each path's CPU ratio
to the Python path's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
from pathlib import Path

from bench_engine import load, path_env
from bench_ingest import ANALYZER, OUT, byte_compiled, log_file, run

KINDS = ("exim", "sendmail")


def bench(
    log: Path, repeat: int, paths: list[str], data_root: Path, baseline: str | None
) -> tuple[dict[str, list], dict[str, list]]:
    """(runs, load averages seen) per path; a run is `bench_ingest.run`'s (wall s, peak
    RSS MB, CPU s)."""
    runs: dict[str, list] = {name: [] for name in paths}
    loads: dict[str, list] = {name: [] for name in paths}
    for _ in range(repeat):
        for name in paths:
            data = data_root / f"engine-mta-bench-{name}"
            shutil.rmtree(data, ignore_errors=True)
            env, cwd = path_env(name, baseline)
            cmd = ANALYZER + ["ingest", str(log), "--data", str(data), "--tz", "UTC"]
            loads[name].append(load())
            runs[name].append(run(cmd, env, cwd))
            loads[name].append(load())
    return runs, loads


def medians(runs: dict[str, list]) -> dict[str, list[float]]:
    return {k: [statistics.median(r[i] for r in v) for i in range(3)] for k, v in runs.items()}


def report(
    kind: str, n: int, repeat: int, paths: list[str], runs: dict[str, list], loads: dict
) -> None:
    med = medians(runs)
    base_cpu = med[paths[0]][2]
    print(f"\n{kind}: {n:,} lines, {os.cpu_count()} cores, medians of {repeat}\n")
    head = (
        f"{'path':>8} {'wall s':>7} {'lines/s':>9} {'CPU s':>6} {'µs/line':>8} "
        f"{'peak RSS':>9} | {'CPU vs ' + paths[0]:>14} | {'load':>9}"
    )
    print(head)
    print("-" * len(head))
    for name in paths:
        wall, _, cpu = med[name]
        rss = max(r[1] for r in runs[name])
        print(
            f"{name:>8} {wall:>7.2f} {n / wall:>9,.0f} {cpu:>6.2f} {1e6 * cpu / n:>8.2f} "
            f"{rss:>7.0f}MB | {base_cpu / cpu:>13.2f}x | "
            f"{min(loads[name]):>4.1f}-{max(loads[name]):<4.1f}"
        )


def to_postfix(per_line: dict[str, dict[str, float]], paths: list[str]) -> None:
    """Each path's CPU µs per line on Exim and Sendmail ÷ the same path's on Postfix."""
    print("\nCPU per line ÷ Postfix's (same path)\n")
    print(f"{'path':>8} " + " ".join(f"{k:>9}" for k in per_line if k != "postfix"))
    for name in paths:
        ratios = [
            v[name] / per_line["postfix"][name] for k, v in per_line.items() if k != "postfix"
        ]
        print(f"{name:>8} " + " ".join(f"{r:>8.2f}x" for r in ratios))


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--days", type=float, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="runs per path; medians are shown")
    ap.add_argument("--paths", default="python,rust,engine", help="which ingest paths to run")
    ap.add_argument("--kinds", default=",".join(KINDS), help="which MTAs' logs (and postfix)")
    ap.add_argument("--baseline", help="a checkout whose engine runs as `base` (see above)")
    args = ap.parse_args()
    paths = args.paths.split(",") + (["base"] if args.baseline else [])
    byte_compiled(Path(__file__).resolve().parents[1], *([args.baseline] if args.baseline else []))
    per_line: dict[str, dict[str, float]] = {}
    for kind in args.kinds.split(","):
        log = log_file(args.lines, args.days, args.seed, kind)
        n = sum(1 for _ in open(log, "rb"))
        runs, loads = bench(log, args.repeat, paths, OUT, args.baseline)
        report(kind, n, args.repeat, paths, runs, loads)
        per_line[kind] = {name: cpu / n for name, (_, _, cpu) in medians(runs).items()}
    if "postfix" in per_line and len(per_line) > 1:
        to_postfix(per_line, paths)


if __name__ == "__main__":
    main()
