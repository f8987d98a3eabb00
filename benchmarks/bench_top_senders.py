"""`analyzer top-senders --since 1d` (and the other commands on the Arrow path:
`auth-failures --since 1d`, `status`; and those still on pandas, for their start:
`relay-spikes`, `suspicious-scripts`, `trace`) before and after (issue 11 point 4): CPU
seconds (user + sys) and wall time of the whole process, start included.

    .venv/bin/python benchmarks/bench_top_senders.py [--before main] [--runs 5]
        [--lines 5000000] [--days 30] [--commands top-senders,auth-failures,status,...]

"Before" is the package of `--before` (a commit: default `main`), extracted once into
benchmarks/out/before-<commit> (gitignored) and run by the same interpreter with that
checkout first on PYTHONPATH; "after" is this checkout. The dataset is the one of
`bench_reports.py` (LINES lines over DAYS days, built on first use). The two commands
alternate run by run, so a change of load hits both; the load average is printed beside
each figure. Reports the medians and the after/before ratios.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_reports import OUT, data_end, dataset, some_queue_id  # noqa: E402


def before_tree(ref: str) -> Path:
    """A checkout of `ref` (made once), with this checkout's compiled core copied in (the
    report does not use it; without it the package would say it runs slower)."""
    sha = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", ref],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    tree = OUT / f"before-{sha}"
    if not (tree / "analyzer").is_dir():  # its package only (`git archive`: no worktree)
        tree.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", sha, "analyzer"], capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    for core in (ROOT / "analyzer").glob("_core*.so"):
        if not (tree / "analyzer" / core.name).exists():
            shutil.copy2(core, tree / "analyzer" / core.name)
    return tree


def timed(args: list[str], env: dict) -> tuple[float, float]:
    """Wall and CPU (user + sys) seconds of one run of `python -m analyzer ARGS` in the
    directory of env's PYTHONPATH (`-m` puts the working directory first on sys.path)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "analyzer", *args],
        env=env,
        cwd=env["PYTHONPATH"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"analyzer {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def compare(cmd: list[str], envs: dict, runs: int) -> None:
    """Run `cmd` under each env `runs` times, alternating; print the medians and ratio."""
    loads = [os.getloadavg()[0]]
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in envs}
    for env in envs.values():  # one warm-up each: the page cache, not the first run
        timed(cmd, env)
    for _ in range(runs):
        for name, env in envs.items():
            times[name].append(timed(cmd, env))
        loads.append(os.getloadavg()[0])
    print(f"analyzer {cmd[0]}:")
    medians = {}
    for name, values in times.items():
        wall = statistics.median(w for w, _ in values)
        cpu = statistics.median(c for _, c in values)
        medians[name] = (wall, cpu)
        walls = ", ".join(f"{w:.2f}" for w, _ in values)
        print(f"  {name:<7} cpu {cpu:5.2f} s  wall {wall:5.2f} s  (walls: {walls})")
    (bw, bc), (aw, ac) = medians["before"], medians["after"]
    print(
        f"  after/before: cpu {ac / bc:.2f}x, wall {aw / bw:.2f}x; load average (1 min) "
        f"{min(loads):.2f}-{max(loads):.2f} on {os.cpu_count()} CPUs"
    )


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--before", default="main", help="the commit to compare with")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--lines", type=int, default=5_000_000)
    p.add_argument("--days", type=float, default=30)
    p.add_argument(
        "--commands",
        default="top-senders,auth-failures,status,relay-spikes,suspicious-scripts,trace",
    )
    args = p.parse_args(argv)

    data = dataset(args.lines, args.days)
    tree = before_tree(args.before)
    import compileall  # both trees with their bytecode, as an installed package has

    for base in (ROOT, tree):
        compileall.compile_dir(str(base / "analyzer"), quiet=1)
    day = (data_end(data) - timedelta(days=1)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    commands = {
        "top-senders": ["top-senders", "--since", day],
        "auth-failures": ["auth-failures", "--since", day],
        "status": ["status"],
        "relay-spikes": ["relay-spikes", "--since", day],
        "suspicious-scripts": ["suspicious-scripts", "--since", day],
        "trace": ["trace", some_queue_id(data, day), "--since", day],
    }
    base_env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "PYTHONPATH")}
    base_env["ANALYZER_DATA"] = str(data)
    envs = {
        "before": {**base_env, "PYTHONPATH": str(tree)},
        "after": {**base_env, "PYTHONPATH": str(ROOT)},
    }
    print(f"dataset: {data}; <end-1d> = {day}; {args.runs} runs each, alternating")
    for command in args.commands.split(","):
        compare(commands[command], envs, args.runs)
    print(f"before = {args.before} ({tree.name}), after = this checkout")
    return 0


if __name__ == "__main__":
    sys.exit(main())
