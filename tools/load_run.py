"""The load run: 30 days of a multi-host mail log (a central log host's maillog: every
host's lines merged in time order), rotated every night the way logrotate does it
(`maillog` -> `maillog.1`, the day before -> `maillog.2.gz`, ...: delaycompress), ingested
after each day by a fresh process as cron would, then every report over the whole month.

    .venv/bin/python tools/load_run.py [--days 30] [--hosts 3] [--messages-per-day 2400]

Figures printed (and written as JSON with --out): lines and bytes per day, each day's
ingest time and peak memory of the process tree (flat or not), each report's time and
memory, and the reconciliation: lines ingested = lines written (each once, whatever the
rotation), message/reject/auth-failure rows = the generator's truth, no unparsed line.
"""

from __future__ import annotations

import argparse
import gzip
import heapq
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from analyzer.samplegen.postfix import generate_postfix

START = datetime(2026, 10, 1)
PROBE = """
import json, resource, sys, time
from analyzer import api
started = time.monotonic()
kind, args = sys.argv[1], json.loads(sys.argv[2])
if kind == "ingest":
    s = api.ingest(**args)
    out = {"lines": s.lines, "unparsed": s.unparsed, "warnings": s.warnings,
           "sources": [(x.path.rsplit("/", 1)[-1], x.status, x.lines) for x in s.sources]}
else:
    result = getattr(api, kind)(**args)
    out = {"rows": len(result) if hasattr(result, "__len__") else None}
out["seconds"] = time.monotonic() - started
out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
out["workers_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps(out))
"""


def probe(kind: str, **args) -> dict:
    """Run one API call in a fresh process (as cron would) and measure it."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, kind, json.dumps(args, default=str)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def day_of_logs(day: int, hosts: int, messages_per_day: int) -> tuple[list[str], list[dict]]:
    """One day of every host, merged in time order (BSD time stamps of one day sort as text)."""
    per_host, truths = [], []
    for h in range(hosts):
        lines, truth = generate_postfix(
            seed=1000 * day + h,
            start=START + timedelta(days=day),
            days=1.0,
            messages_per_day=messages_per_day,
            host=f"mx{h + 1}",
        )
        per_host.append(lines)
        truths.append(truth)
    return list(heapq.merge(*per_host, key=lambda line: line[:15])), truths


def rotate(logs: Path) -> None:
    """logrotate with delaycompress: maillog.N.gz -> N+1, maillog.1 -> maillog.2.gz,
    maillog -> maillog.1 (a new maillog is then written)."""
    numbered = sorted((int(p.name.split(".")[1]), p) for p in logs.glob("maillog.*.gz"))
    for n, p in reversed(numbered):
        p.rename(logs / f"maillog.{n + 1}.gz")
    one = logs / "maillog.1"
    if one.exists():
        with open(one, "rb") as f, gzip.open(logs / "maillog.2.gz", "wb", compresslevel=6) as g:
            shutil.copyfileobj(f, g)
        stat = one.stat()
        os.utime(logs / "maillog.2.gz", (stat.st_atime, stat.st_mtime))
        one.unlink()
    if (logs / "maillog").exists():
        (logs / "maillog").rename(one)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--hosts", type=int, default=3)
    ap.add_argument("--messages-per-day", type=int, default=2400, help="per host")
    ap.add_argument("--out", default=None)
    ap.add_argument("--keep", default=None, help="keep the dataset and logs in this directory")
    args = ap.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="load-"))
    logs, data = work / "logs", work / "data"
    logs.mkdir(parents=True, exist_ok=True)
    days, totals = [], {"lines": 0, "bytes": 0, "messages": 0, "rejects": 0, "auth_failures": 0}
    started = time.monotonic()
    for day in range(args.days):
        lines, truths = day_of_logs(day, args.hosts, args.messages_per_day)
        rotate(logs)
        text = "".join(line + "\n" for line in lines).encode()
        (logs / "maillog").write_bytes(text)
        end = (START + timedelta(days=day + 1)).timestamp()
        os.utime(logs / "maillog", (end, end))
        totals["lines"] += len(lines)
        totals["bytes"] += len(text)
        for t in truths:
            totals["messages"] += t["messages"]["total"]
            totals["rejects"] += t["rejects"]["total"]
            totals["auth_failures"] += t["auth_failures"]["total"]
        run = probe("ingest", paths=[str(logs)], data=str(data), tz="UTC", year=START.year)
        days.append({"day": day + 1, "lines": len(lines), "bytes": len(text), **run})
        print(
            f"day {day + 1:2d}: {len(lines):,} lines written, {run['lines']:,} read "
            f"({', '.join(f'{n} {s}' for n, s, _ in run['sources'] if s != 'unchanged')}) in "
            f"{run['seconds']:.1f} s, peak {run['rss_mb']:.0f} MB (+ workers "
            f"{run['workers_rss_mb']:.0f} MB)",
            flush=True,
        )
    ingest_wall = time.monotonic() - started
    since, until = START.isoformat(), (START + timedelta(days=args.days)).isoformat()
    window = {"data": str(data), "since": since, "until": until, "tz": "UTC"}
    reports = {}
    for kind, extra in (
        ("top_senders", {}),
        ("relay_spikes", {}),
        ("suspicious_scripts", {}),
        ("auth_failures", {}),
        ("trace", {"client_ip": "203.0.113.66"}),
        ("report", {}),
    ):
        try:
            reports[kind] = probe(kind, **window, **extra)
        except RuntimeError as e:
            reports[kind] = {"error": str(e).splitlines()[-1]}
        r = reports[kind]
        print(
            f"{kind}: "
            + (
                f"{r['rows']} rows in {r['seconds']:.1f} s, peak {r['rss_mb']:.0f} MB"
                if "error" not in r
                else r["error"]
            ),
            flush=True,
        )
    counted = probe_counts(data)
    reconcile = {
        "lines written": totals["lines"],
        "lines ingested": sum(d["lines"] for d in days),
        "unparsed": sum(d["unparsed"] for d in days),
        "messages (truth, rows)": (totals["messages"], counted["messages"]),
        "rejects (truth, rows)": (totals["rejects"], counted["rejects"]),
        "auth_failures (truth, rows)": (totals["auth_failures"], counted["auth_failures"]),
    }
    rss = [d["rss_mb"] for d in days]
    print(json.dumps(reconcile))
    print(
        f"{args.days} days x {args.hosts} hosts: {totals['lines']:,} lines, "
        f"{totals['bytes'] / 1e6:.0f} MB; ingest wall {ingest_wall:.0f} s (with generation); "
        f"peak RSS per day min {min(rss):.0f} / median {sorted(rss)[len(rss) // 2]:.0f} / "
        f"max {max(rss):.0f} MB; dataset {du(data) / 1e6:.0f} MB"
    )
    if args.out:
        Path(args.out).write_text(
            json.dumps(
                {
                    "days": days,
                    "reports": reports,
                    "reconcile": reconcile,
                    "totals": totals,
                    "dataset_bytes": du(data),
                },
                indent=1,
            )
        )
    ok = (
        reconcile["lines written"] == reconcile["lines ingested"]
        and reconcile["unparsed"] == 0
        and all(
            a == b for k, (a, b) in ((k, v) for k, v in reconcile.items() if isinstance(v, tuple))
        )
    )
    if not args.keep:
        shutil.rmtree(work)
    return 0 if ok else 1


def probe_counts(data: Path) -> dict:
    out = {}
    for name in ("messages", "rejects", "auth_failures"):
        code = (
            "import sys; from analyzer import api; "
            f"print(len(api.table({name!r}, data={str(data)!r})))"
        )
        out[name] = int(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
    return out


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


if __name__ == "__main__":
    sys.exit(main())
