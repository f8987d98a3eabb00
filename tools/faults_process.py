"""Faults of the processes: an ingest killed (`kill -9`) at points of its progress, and two
ingests and a reader at once."""

from __future__ import annotations

import random
import subprocess
import threading
import time

from faults_harness import ENV, Matrix, clean_ingest, ingest_cmd, run, same, write
from helpers import KILL_POINTS, committed, run_and_kill

from analyzer import api


def kills(m: Matrix, seed: int = 1) -> None:
    d = m.dir("kill")
    log = write(d / "maillog", m.lines)
    clean_ingest([log], d / "clean")
    rng = random.Random(seed)
    data, kills, points, attempts = d / "killed", {k: 0 for k in KILL_POINTS}, [], 0
    while attempts < 200:
        attempts += 1
        point, after = rng.choice(KILL_POINTS), rng.randint(1, 3)
        at = committed(data)
        if not run_and_kill(ingest_cmd([log], data), data, point, after, env=ENV):
            break  # the run finished before the point: the dataset is complete
        kills[point] += 1
        points.append(f"{point}@{at}+{after}")
    clean_ingest([log], data)
    diff = same(d / "clean", data)
    m.record(
        "kill -9 at points of progress",
        f"{sum(kills.values())} kills "
        f"({', '.join(f'{k} {n}' for k, n in kills.items())}); re-run "
        + ("exact" if diff is None else f"MISMATCH: {diff}"),
        diff is None,
        kills=sum(kills.values()),
        by_point=kills,
        points=points,
        mismatches=0 if diff is None else 1,
    )


def concurrent(m: Matrix) -> None:
    d = m.dir("concurrent")
    log = write(d / "maillog", m.lines)
    data = d / "data"
    a = subprocess.Popen(
        ingest_cmd([log], data),
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    while committed(data) < 1 and a.poll() is None:
        time.sleep(0.002)
    b = run(ingest_cmd([log], data))
    reads, errors, counts, stop = 0, [], [], threading.Event()

    def reader():
        nonlocal reads
        while not stop.is_set():
            try:
                counts.append((committed(data), len(api.table("messages", data=data))))
                reads += 1
            except Exception as e:  # noqa: BLE001 - every failure is a finding
                errors.append(f"{type(e).__name__}: {e}"[:120])

    t = threading.Thread(target=reader)
    t.start()
    a.communicate()
    stop.set()
    t.join()
    clean_ingest([log], d / "clean")
    diff = same(d / "clean", data)
    falls = sum(1 for (_, x), (_, y) in zip(counts, counts[1:]) if y < x)
    ok = a.returncode == 0 and b.returncode == 75 and not errors and not falls and diff is None
    m.record(
        "two ingests and a reader at once",
        f"first exit {a.returncode}; second exit {b.returncode} "
        f"{b.stderr.strip()[:100]!r}; {reads} reads during the run, {len(errors)} "
        f"failed, {falls} saw fewer messages than the read before; result "
        + ("exact" if diff is None else f"MISMATCH: {diff}"),
        ok,
        reads=reads,
        read_errors=errors[:3],
        decreasing_reads=falls,
    )
