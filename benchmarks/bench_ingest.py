"""Ingest throughput and memory, side by side with pflogsumm, in one run; and the same
ingest on Exim and Sendmail logs of the same size.

    .venv/bin/python benchmarks/bench_ingest.py                 # 1M and 4M lines
    .venv/bin/python benchmarks/bench_ingest.py --lines 1000000 --repeat 3
    .venv/bin/python benchmarks/bench_ingest.py --formats --lines 1000000 --repeat 3
    .venv/bin/python benchmarks/bench_ingest.py --cores --repeat 3   # 4M Postfix, 1M Exim/Sendmail

For each size: generates the log with the project's generator (cached under
benchmarks/out/), then times, as whole processes (start-up included):
  - `analyzer ingest` into an empty dataset (parse + correlate + write Parquet),
  - the same ingest again over the unchanged file (incremental re-run),
  - `pflogsumm` (Debian package) on the same file,
and prints lines/s, peak RSS (the process and its children, sampled) and the ratios.
`--cores` runs pflogsumm, the ingest on the Python parse core and on the compiled one
(`ANALYZER_CORE=python|rust`) on the same files: a Postfix log and an Exim and a
Sendmail log (pflogsumm reads only Postfix's), with wall and CPU seconds.
Machines here are shared and noisy: runs alternate between the tools and medians are shown.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
ANALYZER = [sys.executable, "-m", "analyzer"]


def log_file(lines: int, days: float, seed: int, kind: str = "postfix") -> Path:
    from analyzer.samplegen.mta import write_mta
    from analyzer.samplegen.postfix import write_postfix

    path = OUT / (
        f"maillog-{lines}-{days:g}d-{seed}"
        if kind == "postfix"
        else f"{kind}-{lines}-{days:g}d-{seed}"
    )
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        if kind == "postfix":
            truth = write_postfix(tmp, target_lines=lines, days=days, seed=seed)
        else:
            truth = write_mta(kind, tmp, target_lines=lines, days=days, seed=seed)
        tmp.rename(path)
        end = datetime.fromisoformat(truth["end"])
        os.utime(path, (end.timestamp(), end.timestamp()))  # as a live maillog's mtime
    return path


def byte_compiled(*roots: str | Path) -> None:
    """The `analyzer` package under each root (this checkout's, a baseline's) compiled to
    bytecode, as a regular pip install leaves it: an editable install run with
    PYTHONDONTWRITEBYTECODE=1 (this project's machines set it) would compile its ~80
    imported modules at every start (~0.15 CPU s a run)."""
    for root in roots:
        pkg = Path(root) / "analyzer"
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(pkg)], check=True)


def run(
    cmd: list[str], env: dict | None = None, cwd: str | None = None
) -> tuple[float, float, float]:
    """(seconds, peak RSS in MB of the process tree, sampled every 20 ms, CPU seconds of
    the process tree: user + sys, less sensitive than wall time to a busy machine)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=cwd
    )
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss(proc.pid))
        time.sleep(0.02)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr.read().decode()}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, peak / 1024, cpu


def _tree_rss(pid: int) -> int:
    total = 0
    for p in [pid] + _children(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = [int(x) for x in f.read().split()]
    except OSError:
        return []
    return kids + [g for k in kids for g in _children(k)]


def bench(lines: int, days: float, seed: int, repeat: int, data_root: Path) -> dict:
    log = log_file(lines, days, seed)
    n = sum(1 for _ in open(log, "rb"))
    full, again, pfl = [], [], []
    for _ in range(repeat):
        data = data_root / f"d{lines}"
        shutil.rmtree(data, ignore_errors=True)
        full.append(run(ANALYZER + ["ingest", str(log), "--data", str(data), "--tz", "UTC"]))
        again.append(run(ANALYZER + ["ingest", str(log), "--data", str(data), "--tz", "UTC"]))
        pfl.append(run(["pflogsumm", str(log)]))
    med = lambda runs, i: statistics.median(r[i] for r in runs)  # noqa: E731
    return {
        "lines": n,
        "ingest_s": med(full, 0),
        "ingest_mb": max(r[1] for r in full),
        "rerun_s": med(again, 0),
        "pflogsumm_s": med(pfl, 0),
        "pflogsumm_mb": max(r[1] for r in pfl),
        "runs": repeat,
    }


FORMATS = ("postfix", "exim", "sendmail")


def bench_formats(lines: int, days: float, seed: int, repeat: int, data_root: Path) -> list[dict]:
    """`analyzer ingest` of a Postfix, an Exim and a Sendmail log of the same size (the
    same simulated server and traffic), runs alternating between the formats."""
    logs = {kind: log_file(lines, days, seed, kind) for kind in FORMATS}
    runs: dict[str, list] = {kind: [] for kind in FORMATS}
    messages: dict[str, int] = {}
    for _ in range(repeat):
        for kind in FORMATS:
            data = data_root / f"fmt-{kind}-{lines}"
            shutil.rmtree(data, ignore_errors=True)
            runs[kind].append(
                run(
                    ANALYZER
                    + [
                        "ingest",
                        str(logs[kind]),
                        "--data",
                        str(data),
                        "--tz",
                        "UTC",
                        "--host",
                        "mx1",
                    ]
                )
            )
            messages[kind] = _messages(data)
    out = []
    for kind in FORMATS:
        n = sum(1 for _ in open(logs[kind], "rb"))
        seconds = statistics.median(r[0] for r in runs[kind])
        out.append(
            {
                "format": kind,
                "lines": n,
                "messages": messages[kind],
                "ingest_s": seconds,
                "cpu_s": statistics.median(r[2] for r in runs[kind]),
                "ingest_mb": max(r[1] for r in runs[kind]),
                "runs": repeat,
            }
        )
    return out


def bench_cores(
    postfix_lines: int, mta_lines: int, days: float, seed: int, repeat: int, data_root: Path
) -> list[dict]:
    """pflogsumm (Postfix only), ingest on the Python core and on the compiled core, on
    the same files, runs alternating between the tools; medians per (format, tool)."""
    logs = {
        "postfix": log_file(postfix_lines, days, seed),
        "exim": log_file(mta_lines, days, seed, "exim"),
        "sendmail": log_file(mta_lines, days, seed, "sendmail"),
    }
    runs: dict[tuple[str, str], list] = {}
    for _ in range(repeat):
        for kind, log in logs.items():
            for tool in (["pflogsumm"] if kind == "postfix" else []) + ["python", "rust"]:
                if tool == "pflogsumm":
                    cmd, env = ["pflogsumm", str(log)], None
                else:
                    data = data_root / f"core-{kind}-{tool}"
                    shutil.rmtree(data, ignore_errors=True)
                    cmd = ANALYZER + ["ingest", str(log), "--data", str(data), "--tz", "UTC"]
                    cmd += ["--host", "mx1"]
                    env = dict(os.environ, ANALYZER_CORE=tool)
                got = run(cmd, env)
                runs.setdefault((kind, tool), []).append(got)
                print(
                    f"{kind} {tool}: {got[0]:.1f} s, {got[2]:.1f} CPU s, {got[1]:.0f} MB",
                    file=sys.stderr,
                )
    counts = {kind: sum(1 for _ in open(log, "rb")) for kind, log in logs.items()}
    return [
        {
            "format": kind,
            "tool": tool,
            "lines": counts[kind],
            "wall_s": statistics.median(r[0] for r in got),
            "cpu_s": statistics.median(r[2] for r in got),
            "rss_mb": max(r[1] for r in got),
            "runs": len(got),
        }
        for (kind, tool), got in runs.items()
    ]


def print_cores(results: list[dict]) -> None:
    pfl = next(r for r in results if r["tool"] == "pflogsumm")
    pfl_rate, pfl_cpu = pfl["lines"] / pfl["wall_s"], pfl["lines"] / pfl["cpu_s"]
    print(
        f"\npflogsumm and the two parse cores ({os.cpu_count()} cores; medians of {pfl['runs']})\n"
    )
    head = (
        f"{'format':>9} {'tool':>10} {'lines':>10} {'wall s':>8} {'lines/s':>9} {'CPU s':>7} "
        f"{'lines/CPU s':>11} {'RSS MB':>7} | {'vs pflogsumm (wall, CPU)':>24}"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        rate, cpu_rate = r["lines"] / r["wall_s"], r["lines"] / r["cpu_s"]
        print(
            f"{r['format']:>9} {r['tool']:>10} {r['lines']:>10,} {r['wall_s']:>8.2f} {rate:>9,.0f} "
            f"{r['cpu_s']:>7.1f} {cpu_rate:>11,.0f} {r['rss_mb']:>7.0f} | "
            f"{rate / pfl_rate:>13.2f}x {cpu_rate / pfl_cpu:>8.2f}x"
        )


def _messages(data: Path) -> int:
    out = subprocess.run(
        ANALYZER + ["status", "--data", str(data), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    import json

    info = json.loads(out.stdout)
    return info["tables"]["messages"]["rows"] + info["open_messages"]


def print_formats(results: list[dict]) -> None:
    base = next(r for r in results if r["format"] == "postfix")
    base_rate = base["lines"] / base["ingest_s"]
    base_cpu = base["lines"] / base["cpu_s"]
    print(f"\ningest by format ({os.cpu_count()} cores; medians of {base['runs']})\n")
    head = (
        f"{'format':>9} {'lines':>10} {'messages':>9} {'ingest s':>9} {'lines/s':>9} {'msgs/s':>8} "
        f"{'CPU s':>7} {'lines/CPU s':>11} {'RSS MB':>7} | {'Postfix ÷ this (wall, CPU)':>26}"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        rate, cpu_rate = r["lines"] / r["ingest_s"], r["lines"] / r["cpu_s"]
        print(
            f"{r['format']:>9} {r['lines']:>10,} {r['messages']:>9,} {r['ingest_s']:>9.2f} {rate:>9,.0f} "
            f"{r['messages'] / r['ingest_s']:>8,.0f} {r['cpu_s']:>7.1f} {cpu_rate:>11,.0f} "
            f"{r['ingest_mb']:>7.0f} | {base_rate / rate:>14.2f}x {base_cpu / cpu_rate:>9.2f}x"
        )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--lines", type=int, action="append", help="log sizes (default 1M and 4M)")
    ap.add_argument("--days", type=float, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1, help="runs per tool; medians are shown")
    ap.add_argument(
        "--formats",
        action="store_true",
        help="compare Postfix, Exim and Sendmail logs of the same size (no pflogsumm)",
    )
    ap.add_argument(
        "--cores",
        action="store_true",
        help="pflogsumm, the Python and the compiled parse core on the same files "
        "(--lines: Postfix size, default 4M; --mta-lines: Exim and Sendmail, default 1M)",
    )
    ap.add_argument("--mta-lines", type=int, default=1_000_000)
    args = ap.parse_args()
    byte_compiled(HERE.parent)
    if args.cores:
        postfix = (args.lines or [4_000_000])[0]
        print_cores(bench_cores(postfix, args.mta_lines, args.days, args.seed, args.repeat, OUT))
        return
    if args.formats:
        for n in args.lines or [1_000_000]:
            print_formats(bench_formats(n, args.days, args.seed, args.repeat, OUT))
        return
    if not shutil.which("pflogsumm"):
        raise SystemExit("pflogsumm not found: apt-get install pflogsumm")
    sizes = args.lines or [1_000_000, 4_000_000]
    results = [bench(n, args.days, args.seed, args.repeat, OUT) for n in sizes]
    print(f"\nanalyzer ingest vs pflogsumm ({os.cpu_count()} cores; medians of {args.repeat})\n")
    head = (
        f"{'lines':>10} {'ingest s':>9} {'lines/s':>9} {'RSS MB':>7} {'re-run s':>9} {'re-run %':>8}"
        f" | {'pflogsumm s':>11} {'lines/s':>9} {'RSS MB':>7} | {'speed ratio':>11}"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        print(
            f"{r['lines']:>10,} {r['ingest_s']:>9.2f} {r['lines'] / r['ingest_s']:>9,.0f} "
            f"{r['ingest_mb']:>7.0f} {r['rerun_s']:>9.2f} {100 * r['rerun_s'] / r['ingest_s']:>7.1f}%"
            f" | {r['pflogsumm_s']:>11.2f} {r['lines'] / r['pflogsumm_s']:>9,.0f} {r['pflogsumm_mb']:>7.0f}"
            f" | {r['pflogsumm_s'] / r['ingest_s']:>10.2f}x"
        )
    if len(results) > 1:
        lo, hi = results[0], results[-1]
        print(
            f"\npeak RSS {hi['lines']:,} lines vs {lo['lines']:,}: "
            f"{100 * (hi['ingest_mb'] / lo['ingest_mb'] - 1):+.0f}%"
        )


if __name__ == "__main__":
    main()
