"""Benchmark of the correlator's open state: what 100k messages that never leave the queue
cost each run, this version side by side with the previous one (open state inline in
state.json).

    .venv/bin/python benchmarks/bench_openstate.py [--open 100000] [--runs 5] [--baseline REV]

The case: four days of the sample generator's traffic (`generate_postfix`, 5,000
messages a day) and, on the first day, a spam run against dead domains
(`samplegen.deferred`: OPEN local submissions, every attempt deferred). Each version
ingests it into its own dataset under benchmarks/out/openstate-<open>/ (cached), and the
same traffic without the spam run into another. Then, for each version, as subprocesses:

- no-op run: `ingest` of the unchanged files: the time of the `api.ingest` call (after
  the imports) and of the whole process;
- small run: 10 new lines (one more deferred attempt of 10 open messages) appended to a
  live file and ingested: time of the checkpoint commit (`Dataset.commit`) and of the call;
- report: `api.report` (the nightly report) of the last day, peak RSS of the process, with
  the open messages and without them (they started three days before the window).

The previous version is the code before `analyzer/openstate.py` was added (`git archive`
of that commit's parent, or REV), run with PYTHONPATH pointing at it. Prints medians of
RUNS. Targets (issue 9): with 100k open messages a no-op run under 0.3 s, a commit under
0.1 s, a report's memory within 20 % of the same report without them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
START = datetime(2026, 11, 20)
DAYS = 4


# --- what runs inside each measured subprocess (either version's `analyzer`) ----------
RUNNER = r"""
import json, resource, sys, time
action, data, *paths = sys.argv[1:]
from analyzer import api
try:  # the package as one folder per stage (issue 10)
    from analyzer.dataset import store
except ImportError:  # a version before it
    from analyzer import store
out = {}
if action in ("ingest", "noop", "small"):
    try:  # the imports are not the run's cost
        from analyzer.ingest.commit import Committer as Step
    except ImportError:
        from analyzer.ingest import _Run as Step
    timings = {"checkpoint": [], "step": []}

    def timed(real, name):
        def call(*args):
            t, c = time.perf_counter(), time.process_time()
            real(*args)
            timings[name].append((time.perf_counter() - t, time.process_time() - c))
        return call

    store.Dataset.commit = timed(store.Dataset.commit, "checkpoint")
    Step.commit = timed(Step.commit, "step")
    t, c = time.perf_counter(), time.process_time()
    summary = api.ingest(paths, data=data, tz="UTC", year=2026)
    out.update(call=time.perf_counter() - t, call_cpu=time.process_time() - c,
               lines=summary.lines)
    for name, key in (("checkpoint", "commit"), ("step", "commit_step")):
        out[key], out[key + "_cpu"] = max(timings[name])
elif action == "report":
    since, until = paths
    t, c = time.perf_counter(), time.process_time()
    report = api.report(data, since=since, until=until, tz="UTC")
    out.update(call=time.perf_counter() - t, call_cpu=time.process_time() - c,
               messages_out=report.totals["messages_out"])
elif action == "top":
    since, until = paths
    t, c = time.perf_counter(), time.process_time()
    top = api.top_senders(data, since=since, until=until, tz="UTC")
    out.update(call=time.perf_counter() - t, call_cpu=time.process_time() - c,
               messages_out=int(top["messages"].sum()))
out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
out["code"] = api.__file__
print(json.dumps(out))
"""


def run(code: Path, action: str, data: Path, *args: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(code), ANALYZER_WORKERS="0")
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER, action, str(data), *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=OUT,
    )
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"{action} with {code} failed:\n{proc.stderr}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process"] = wall
    return result


# --- the case -------------------------------------------------------------------------
def logs(base: Path, open_messages: int) -> dict[str, list[Path]]:
    """The files of each dataset (generated once): the traffic with the spam run still
    open, with the same run completed (each message `removed` an hour after the run),
    and without it."""
    from itertools import chain

    from analyzer.samplegen.deferred import deferred_run, removed
    from analyzer.samplegen.postfix import generate_postfix

    traffic, spam, done = base / "traffic.log", base / "spam.log", base / "spam-done.log"
    start = START + timedelta(hours=10)
    if not done.exists():
        base.mkdir(parents=True, exist_ok=True)
        lines, _ = generate_postfix(seed=9, start=START, days=DAYS, messages_per_day=5000)
        _write(traffic, lines)
        _write(spam, deferred_run(start, open_messages))
        end = start + timedelta(seconds=open_messages // 200 + 3600)
        _write(
            done,
            chain(
                deferred_run(start, open_messages), (removed(end, i) for i in range(open_messages))
            ),
        )
    return {"open": [traffic, spam], "completed": [traffic, done], "without": [traffic]}


def _write(path: Path, lines) -> None:
    end = None
    with open(path, "w") as f:
        for line in lines:
            f.write(line + "\n")
            end = line
    stamp = datetime.strptime(f"2026 {end[:15]}", "%Y %b %d %H:%M:%S").timestamp()
    os.utime(path, (stamp, stamp))


def baseline_code(rev: str | None) -> tuple[str, Path]:
    """The previous version's `analyzer` package, extracted once."""
    if rev is None:
        added = subprocess.run(
            ["git", "log", "--diff-filter=A", "--format=%H", "--", "analyzer/openstate.py"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        if not added:
            raise SystemExit("analyzer/openstate.py is not committed yet: pass --baseline REV")
        rev = added[-1] + "^"
    sha = subprocess.run(
        ["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    code = OUT / f"code-{sha}"
    if not (code / "analyzer").is_dir():
        code.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "archive", sha, "analyzer"], cwd=ROOT, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(code)], input=archive, check=True)
    return sha, code


def measure(name: str, code: Path, base: Path, files: dict[str, list[Path]], runs: int) -> dict:
    import shutil

    from analyzer.samplegen.deferred import retry

    d = base / name
    data = {case: d / case for case in files}
    if not (d / "built.json").exists():
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
        built = {
            case: run(code, "ingest", data[case], *map(str, paths)) for case, paths in files.items()
        }
        (d / "built.json").write_text(json.dumps(built))
    out = {"built": json.loads((d / "built.json").read_text())}
    for case in ("open", "without"):
        out[f"noop_{case}"] = [
            run(code, "noop", data[case], *map(str, files[case])) for _ in range(runs)
        ]

    small, live = [], d / "live.log"
    last = START + timedelta(days=DAYS)
    live.write_text("")
    for r in range(runs + 1):  # the first run adds the live file itself
        with live.open("a") as f:
            for i in range(10):
                f.write(
                    "".join(
                        line + "\n"
                        for line in retry(last + timedelta(minutes=r, seconds=i), i * 97 + r)
                    )
                )
        result = run(code, "small", data["open"], *map(str, files["open"]), str(live))
        if r:
            small.append(result)
    out["small"] = small

    since = (START + timedelta(days=DAYS - 1)).isoformat()
    until = (START + timedelta(days=DAYS)).isoformat()
    for action in ("report", "top"):
        for case in files:
            out[f"{action}_{case}"] = [
                run(code, action, data[case], since, until) for _ in range(runs)
            ]
    out["sizes"] = {
        p.name: p.stat().st_size for p in (data["open"] / "_state").iterdir() if p.is_file()
    }
    out["open_messages"] = data_status(code, data["open"])
    return out


def data_status(code: Path, data: Path) -> int:
    env = dict(os.environ, PYTHONPATH=str(code))
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, json; from analyzer import api; "
            "print(api.status(sys.argv[1])['open_messages'])",
            str(data),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=OUT,
    )
    return int(proc.stdout)


def median(results: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in results)


def report(results: dict[str, dict], open_messages: int) -> None:
    names = list(results)

    def rss(action, case):
        return lambda r: median(r[f"{action}_{case}"], "rss_mb")

    def ratio(action, case, other):
        return lambda r: rss(action, case)(r) / rss(action, other)(r)

    print(f"\n{open_messages:,} open messages; medians; " + " | ".join(names))

    def both(results_key, key):  # wall / CPU
        return lambda r: (median(r[results_key], key), median(r[results_key], key + "_cpu"))

    rows = [
        ("state files (MB)", lambda r: sum(r["sizes"].values()) / 1e6, "{:.1f}"),
        ("no-op run: ingest call (s, wall / CPU)", both("noop_open", "call"), "{:.3f} / {:.3f}"),
        ("no-op run: same, none open (s)", both("noop_without", "call"), "{:.3f} / {:.3f}"),
        (
            "no-op run: whole process (s, wall)",
            lambda r: median(r["noop_open"], "process"),
            "{:.2f}",
        ),
        (
            "no-op run: same, none open (s, wall)",
            lambda r: median(r["noop_without"], "process"),
            "{:.2f}",
        ),
        (
            "10-line run: commit, open state + checkpoint (s)",
            both("small", "commit"),
            "{:.3f} / {:.3f}",
        ),
        (
            "10-line run: commit step, with parts and gc (s)",
            both("small", "commit_step"),
            "{:.3f} / {:.3f}",
        ),
        ("10-line run: ingest call (s)", both("small", "call"), "{:.2f} / {:.2f}"),
        ("10-line run: peak RSS (MB)", lambda r: median(r["small"], "rss_mb"), "{:.0f}"),
        ("top-senders 1d: RSS open (MB)", rss("top", "open"), "{:.0f}"),
        ("top-senders 1d: RSS without (MB)", rss("top", "without"), "{:.0f}"),
        ("top-senders 1d: open / without", ratio("top", "open", "without"), "{:.2f}x"),
        ("nightly report: RSS open (MB)", rss("report", "open"), "{:.0f}"),
        ("nightly report: RSS completed (MB)", rss("report", "completed"), "{:.0f}"),
        ("nightly report: RSS without (MB)", rss("report", "without"), "{:.0f}"),
        ("nightly report: open / completed", ratio("report", "open", "completed"), "{:.2f}x"),
        ("nightly report: open / without", ratio("report", "open", "without"), "{:.2f}x"),
        ("nightly report: time open (s)", both("report_open", "call"), "{:.2f} / {:.2f}"),
        ("nightly report: time without (s)", both("report_without", "call"), "{:.2f} / {:.2f}"),
        ("ingest of the open case (s)", lambda r: r["built"]["open"]["call"], "{:.1f}"),
    ]
    width = max(len(label) for label, _, _ in rows)
    for label, value, fmt in rows:
        cells = []
        for n in names:
            v = value(results[n])
            cells.append(f"{fmt.format(*v) if isinstance(v, tuple) else fmt.format(v):>16}")
        print(f"{label:<{width}}  " + "  ".join(cells))
    for n in names:
        r = results[n]
        print(
            f"{n}: {r['open_messages']:,} open messages; messages out in the nightly "
            f"report: {r['report_open'][0]['messages_out']:,} open, "
            f"{r['report_without'][0]['messages_out']:,} without; code "
            f"{r['small'][0]['code']}; state files {r['sizes']}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--open", type=int, default=100_000, help="messages that stay open")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--baseline", help="git revision of the previous version")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    base = OUT / f"openstate-{args.open}"
    files = logs(base, args.open)
    sha, old = baseline_code(args.baseline)
    results = {
        f"before ({sha})": measure(f"old-{sha}", old, base, files, args.runs),
        "this version": measure("new", ROOT, base, files, args.runs),
    }
    (base / "results.json").write_text(json.dumps(results, indent=1))
    report(results, args.open)


if __name__ == "__main__":
    main()
