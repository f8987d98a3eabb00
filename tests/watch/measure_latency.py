"""Measure the watch's alert latency: the wall-clock time from the log line that makes an
incident (the 50th SMTP AUTH failure of one IP: auth.failures_warn) being written to the
log to its `open` alert, with the watch loop running at its default interval.

Not a test (it takes minutes): run it by hand and record the figures in docs/watch.md:

    .venv/bin/python tests/watch/measure_latency.py [TRIALS] [INTERVAL]
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # conftest's MiniLog

from conftest import MiniLog  # noqa: E402

from analyzer.watch.loop import Settings, Watcher  # noqa: E402

FAILURES = 50  # auth.failures_warn
SPACING = 0.1  # seconds between two failure lines


def measure(trials: int, interval: float) -> list[float]:
    base = Path(tempfile.mkdtemp(prefix="watch-latency-"))
    log_path = base / "maillog"
    lines = MiniLog()
    now = datetime.now(UTC).replace(tzinfo=None)
    lines.auth_failure(now, "198.51.100.1")  # something to start from
    log_path.write_text(lines.lines[-1] + "\n")
    alerted: dict[str, float] = {}
    settings = Settings(paths=[str(log_path)], data=str(base / "data"), tz="UTC", year=now.year)

    def output(alert: dict) -> None:
        if alert["state"] == "open":
            alerted.setdefault(alert["subject"], time.time())

    watcher = Watcher(settings, [output])
    stop = threading.Event()

    def loop() -> None:  # as `run` does: an iteration every `interval` from its start
        while not stop.is_set():
            started = time.monotonic()
            watcher.step()
            stop.wait(max(0.0, interval - (time.monotonic() - started)))

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    latencies = []
    phase = random.Random(12)
    for trial in range(trials):
        ip = f"192.0.2.{10 + trial}"
        time.sleep(phase.uniform(0, interval))  # at a random point of the watch's cycle
        crossed = 0.0
        with open(log_path, "a") as f:
            for i in range(FAILURES):
                log = MiniLog()
                log.auth_failure(datetime.now(UTC).replace(tzinfo=None), ip, f"u{i}")
                f.write(log.lines[-1] + "\n")
                f.flush()
                crossed = time.time()
                time.sleep(SPACING)
        deadline = time.time() + 3 * interval + 30
        while ip not in alerted and time.time() < deadline:
            time.sleep(0.05)
        latency = alerted[ip] - crossed if ip in alerted else float("inf")
        latencies.append(latency)
        print(f"trial {trial + 1}: {latency:.1f} s", flush=True)
    stop.set()
    return latencies


def main() -> None:
    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 12
    interval = float(sys.argv[2]) if len(sys.argv) > 2 else 15.0
    got = sorted(measure(trials, interval))
    p95 = got[min(len(got) - 1, round(0.95 * (len(got) - 1)))]
    print(
        f"{trials} trials, --interval {interval:g}: median {statistics.median(got):.1f} s, "
        f"p95 {p95:.1f} s, max {got[-1]:.1f} s"
    )


if __name__ == "__main__":
    main()
