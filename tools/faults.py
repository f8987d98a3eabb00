"""The fault matrix: each fault a careful sysadmin can meet, applied to real ingest
processes; each must end in the exact dataset of a clean run, or in a clear one-line
error that leaves the dataset as it was.

    .venv/bin/python tools/faults.py [--days 0.5] [--out results.json]

Kill points are read from the run's own progress (tests/helpers.run_and_kill: holding
the lock, after its n-th commit, between a commit's parts and its checkpoint), with
ANALYZER_COMMIT_LINES small so that a run makes dozens of commits. Disk full uses a
tmpfs in a private user + mount namespace (`unshare`), permission denied drops the
capabilities that let root ignore file modes. Prints one line per fault and writes the
results as JSON (docs/reliability.md records them).

The faults live by concern in `faults_process.py`, `faults_disk.py`, `faults_sources.py`
and `faults_dataset.py` beside this file, on the harness of `faults_harness.py`.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from faults_dataset import checkpoints, corrupt_part
from faults_disk import disk_full, permissions
from faults_harness import COMMIT_LINES, Matrix
from faults_process import concurrent, kills
from faults_sources import corrupt_archive, deleted_mid_read, rotated_mid_read

from analyzer.samplegen.postfix import generate_postfix

# every fault, in the order a full run applies them (`--only` names some of them)
FAULTS = {
    f.__name__: f
    for f in (
        kills,
        disk_full,
        permissions,
        rotated_mid_read,
        deleted_mid_read,
        corrupt_archive,
        corrupt_part,
        checkpoints,
        concurrent,
    )
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--days", type=float, default=0.5, help="days of generated log (~170k lines/day)"
    )
    ap.add_argument("--out", default=None, help="write the results as JSON here")
    ap.add_argument("--only", nargs="*", default=None, help="run these faults only")
    args = ap.parse_args()
    lines, _ = generate_postfix(seed=5, days=args.days, messages_per_day=12000)
    print(f"{len(lines):,} lines, ANALYZER_COMMIT_LINES={COMMIT_LINES}", flush=True)
    with tempfile.TemporaryDirectory(prefix="faults-") as tmp:
        m = Matrix(Path(tmp), lines)
        for name in args.only or FAULTS:
            started = time.monotonic()
            try:
                if name not in FAULTS:
                    raise AttributeError(f"no fault named {name!r}: {', '.join(FAULTS)}")
                FAULTS[name](m)
            except Exception as e:  # noqa: BLE001 - a crash of the harness is a result too
                m.record(name, f"HARNESS ERROR {type(e).__name__}: {e}", False)
            print(f"     ({time.monotonic() - started:.0f} s)", flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps({"lines": len(lines), "results": m.results}, indent=2))
    return 0 if all(r["ok"] for r in m.results) else 1


if __name__ == "__main__":
    sys.exit(main())
