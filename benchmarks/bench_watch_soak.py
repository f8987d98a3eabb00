"""Soak of `analyzer watch`: does it hold memory flat over days, and what do its many small
commits cost the readers, with and without compaction?

Generated Postfix logs (`analyzer.samplegen`) are appended to a file in simulated time,
`--interval` seconds of log per iteration (watch's own commit interval by default), and
the watch loop runs in-process on it (`Watcher.step`: ingest and commit, compaction,
the incident rules on the sliding window, alerts), for `--days` simulated days. Each mode
runs in a subprocess of its own (its RSS is its own): `compact` (watch's default, every
10 minutes of log time) and `plain` (`compact_every=None`). `--evaluate-every N` runs
the rules every Nth iteration only (the others commit and compact, as `step` does) to
fit days of log into a shorter run. Sampled as it goes: RSS, what Arrow holds, the live
Python objects, the open files, the part files on disk, the checkpoint's size, the step
time. At the end: RSS at start
(after the first simulated hour), middle and end, and the read time of the nightly
report of the last day (median of 3, CPU seconds).

    python benchmarks/bench_watch_soak.py --days 3
    python benchmarks/bench_watch_soak.py --days 1 --interval 60 --modes compact
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa

START = datetime(2026, 11, 2, 0, 0)


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def line_time(line: str, year: int) -> datetime:
    return datetime.strptime(f"{year} {line[:15]}", "%Y %b %d %H:%M:%S")


def soak(args, mode: str) -> dict:
    from analyzer.samplegen.postfix import generate_postfix
    from analyzer.watch.loop import COMPACT_EVERY, Settings, Watcher

    work = Path(tempfile.mkdtemp(prefix=f"soak-{mode}-", dir=args.work))
    volume = {"messages_per_day": args.messages_per_day} if args.messages_per_day else {}
    lines, _ = generate_postfix(seed=args.seed, start=START, days=args.days, **volume)
    log = work / "maillog"
    log.write_text("")
    settings = Settings(
        paths=[str(log)],
        data=str(work / "data"),
        tz="UTC",
        year=START.year,
        compact_every=COMPACT_EVERY if mode == "compact" else None,
    )
    watcher = Watcher(settings, [lambda alert: None])
    step = timedelta(seconds=args.interval)
    clock = START + step
    i = iteration = 0
    samples = []
    steps: list[float] = []
    end = START + timedelta(days=args.days)
    sample_every = max(1, int(timedelta(hours=1) / step))
    while clock <= end:
        upto = i
        while upto < len(lines) and line_time(lines[upto], START.year) < clock:
            upto += 1
        if upto > i:
            with open(log, "a") as f:
                f.write("".join(line + "\n" for line in lines[i:upto]))
            i = upto
        t0 = time.perf_counter()
        if iteration % args.evaluate_every == 0:
            watcher.step()
        else:
            commit_and_compact(watcher)
        steps.append(time.perf_counter() - t0)
        iteration += 1
        if iteration % sample_every == 0:
            samples.append(
                {
                    "hour": round((clock - START) / timedelta(hours=1), 2),
                    "rss_mb": round(rss_mb(), 1),
                    # what of it Arrow holds, and how many Python objects live (a leak of
                    # either grows these; an allocator keeping freed pages does not)
                    "arrow_mb": round(pa.total_allocated_bytes() / 2**20, 1),
                    "objects": len(gc.get_objects()),
                    "fds": len(os.listdir("/proc/self/fd")),  # a leaked snapshot holds files
                    "parts": sum(1 for _ in Path(settings.data).glob("*/date=*/part-*.parquet")),
                    "checkpoint_kb": round(
                        (Path(settings.data) / "_state" / "state.json").stat().st_size / 1024, 1
                    ),
                    "step_s": round(statistics.median(steps[-sample_every:]), 4),
                }
            )
            if args.verbose:
                print(mode, samples[-1], file=sys.stderr, flush=True)
        clock += step
    return {
        "mode": mode,
        "iterations": iteration,
        "evaluate_every": args.evaluate_every,
        "interval": args.interval,
        "lines": len(lines),
        "samples": samples,
        "report": report_time(settings.data, end),
        "cpu_s": round(resource.getrusage(resource.RUSAGE_SELF).ru_utime, 1),
    }


def commit_and_compact(watcher) -> None:
    """An iteration without the rules: the ingest's commit and the compaction `step` does,
    and what it does after (`watch.memory.release_freed`)."""
    from analyzer.dataset.store import Dataset
    from analyzer.ingest.run import ingest
    from analyzer.watch.loop import newest_line
    from analyzer.watch.memory import release_freed

    s = watcher.settings
    ingest(s.paths, s.data, tz=s.tz, year=s.year)
    newest = newest_line(Dataset(s.data).state())
    if newest is not None:
        watcher.compact(newest)
    release_freed()


def report_time(data: str, end: datetime) -> dict:
    """The nightly report of the last simulated day, read 3 times: median wall and CPU."""
    from analyzer import api

    walls, cpus = [], []
    for _ in range(3):
        w, c = time.perf_counter(), time.process_time()
        api.report(
            data,
            since=(end - timedelta(days=1)).replace(tzinfo=UTC),
            until=end.replace(tzinfo=UTC),
            tz="UTC",
        )
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return {
        "wall_s": round(statistics.median(walls), 3),
        "cpu_s": round(statistics.median(cpus), 3),
    }


def before_after(data: str, work: str | None) -> str:
    """The nightly report of the last day of a dataset (a copy of it) before and after
    `analyzer compact`: read time, and that it answers the same."""
    import shutil

    from analyzer import api
    from analyzer.dataset.compact import compact
    from analyzer.dataset.store import Dataset
    from analyzer.watch.loop import newest_line

    copy = Path(tempfile.mkdtemp(prefix="soak-copy-", dir=work)) / "data"
    shutil.copytree(data, copy)
    end = newest_line(Dataset(copy).state())
    assert end is not None, f"{data}: no line ingested"
    parts = api.status(copy)["parts"]
    before = report_time(str(copy), end.replace(tzinfo=None))
    answer = report_answer(str(copy), end)
    done = compact(copy)
    after = report_time(str(copy), end.replace(tzinfo=None))
    same = answer == report_answer(str(copy), end)
    return (
        f"{data}: {parts:,} parts, report of the last day {before['wall_s']:.2f} s "
        f"({before['cpu_s']:.2f} s CPU); compacted ({done.line()}): {after['wall_s']:.2f} s "
        f"({after['cpu_s']:.2f} s CPU); the same answer: {same}"
    )


def report_answer(data: str, end: datetime) -> tuple:
    """What the nightly report of the last day says: its tables, totals and incidents."""
    from analyzer import api

    r = api.report(data, since=end - timedelta(days=1), until=end, tz="UTC")
    frames = (r.top_senders, r.relay_buckets, r.scripts, r.auth)
    return (
        r.totals,
        r.previous,
        [f.to_csv() for f in frames],
        [(i.kind, i.subject, i.severity, i.summary) for i in r.incidents],
    )


def summary(result: dict) -> str:
    s = result["samples"]
    if not s:
        return f"{result['mode']}: no sample (run longer than an hour of log)"
    first, mid, last = s[0], s[len(s) // 2], s[-1]
    return (
        f"{result['mode']:>8}: {result['iterations']:,} iterations, {result['lines']:,} lines; "
        f"RSS start/middle/end {first['rss_mb']:.0f}/{mid['rss_mb']:.0f}/{last['rss_mb']:.0f} MB "
        f"(max {max(x['rss_mb'] for x in s):.0f}); parts at end {last['parts']:,}; "
        f"checkpoint {last['checkpoint_kb']:.0f} kB; step median first/last hour "
        f"{first['step_s']:.3f}/{last['step_s']:.3f} s; report of the last day "
        f"{result['report']['wall_s']:.2f} s ({result['report']['cpu_s']:.2f} s CPU); "
        f"CPU total {result['cpu_s']:.0f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=3.0, help="simulated days (default 3)")
    parser.add_argument(
        "--interval", type=float, default=15.0, help="log seconds per iteration (default 15)"
    )
    parser.add_argument(
        "--evaluate-every",
        type=int,
        default=1,
        help="evaluate the rules every N iterations, the others only commit and compact "
        "(default 1: every iteration, as watch does)",
    )
    parser.add_argument("--messages-per-day", type=int, default=None)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--modes", default="compact,plain", help="compact,plain (default both)")
    parser.add_argument("--work", default=None, help="directory for the logs and datasets")
    parser.add_argument("--json", default=None, help="write every sample to this file")
    parser.add_argument("--verbose", action="store_true", help="print each sample to stderr")
    parser.add_argument(
        "--before-after",
        metavar="DATA",
        help="instead: the report's read time on (a copy of) DATA before and after a compaction",
    )
    parser.add_argument("--mode", help=argparse.SUPPRESS)  # one mode, in a subprocess
    args = parser.parse_args()
    if args.before_after:
        print(before_after(args.before_after, args.work))
        return
    if args.mode:
        print(json.dumps(soak(args, args.mode)))
        return
    results = []
    for mode in args.modes.split(","):
        cmd = [sys.executable, __file__, "--mode", mode, *sys.argv[1:]]
        out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)
        results.append(json.loads(out.stdout.splitlines()[-1]))
        print(summary(results[-1]), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
