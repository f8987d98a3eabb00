"""Measure the watch's alert latency for every incident kind: the wall-clock time from
the last line of a planted incident being written to the log to its `open` alert, with
the watch loop running at its default interval.

Each trial plants one incident at a random point of the watch's cycle, its lines written
as they would be logged (current time, flushed, a few milliseconds apart): a brute force
(50 SMTP AUTH failures: auth.failures_warn), a stolen account (55 messages from 6 client
IPs), a spam script (25 messages of a new script to 25 domains, half bounced), a local
relay-denied spike (60 rejects of a local client, more in later trials so that it
is its hour's top sender), a volume anomaly (an account with days of history at 3 an
hour sending 40). The history (the volume accounts', one relay-denied reject an hour) is
written before the watch starts.

Not a test (it takes minutes): run it by hand and record the figures in docs/watch.md:

    .venv/bin/python tests/watch/measure_latency.py [TRIALS] [INTERVAL] [KIND...]

($LATENCY_SEED picks other points of the cycle.)
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # conftest's MiniLog

from conftest import MiniLog  # noqa: E402

from analyzer.watch.loop import Settings, Watcher  # noqa: E402

SPACING = 0.005  # seconds between two planted lines
HISTORY_DAYS = 4


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def brute_force(log: MiniLog, n: int) -> str:
    ip = f"192.0.2.{10 + n}"
    for i in range(50):
        log.auth_failure(now(), ip, f"u{i}")
    return ip


def stolen_account(log: MiniLog, n: int) -> str:
    login = f"victim{n}@ex.example"
    for i in range(55):
        log.sasl_message(
            now(), login, f"198.51.100.{i % 6 + 1}", login, [("a@dest.example", "sent")]
        )
    return login


def spam_script(log: MiniLog, n: int) -> str:
    uid = 3000 + n
    for i in range(25):
        status = "bounced" if i % 2 else "sent"
        log.local_message(now(), uid, "cache.php", f"x@site{uid}.example",
                          [(f"r{i}@dom{i}-{n}.example", status)])  # fmt: skip
    return f"cache.php of uid {uid}"


def relay_spike(log: MiniLog, n: int) -> str:
    sender = f"shop{n}@ex.example"
    for i in range(60 + 70 * n):  # the top sender of its hour, whatever trials came before
        log.relay_reject(now(), "127.0.0.1", sender, f"r{i}@outside.example")
    return sender


def volume_anomaly(log: MiniLog, n: int) -> str:
    login = f"quiet{n}@ex.example"
    for _ in range(40):
        log.sasl_message(now(), login, "192.0.2.200", login, [("a@dest.example", "sent")])
    return login


def volume_history(log: MiniLog, accounts: int) -> None:
    today = now().replace(hour=0, minute=0, second=0, microsecond=0)
    for day in range(HISTORY_DAYS, 0, -1):
        for hour in range(24):
            t = today - timedelta(days=day, hours=-hour)
            log.relay_reject(t, "203.0.113.9", "probe@outside.example", "x@outside.example")
            for n in range(accounts):
                login = f"quiet{n}@ex.example"
                for i in range(3):
                    log.sasl_message(t + timedelta(minutes=20 * i + n), login, "192.0.2.200",
                                     login, [("a@dest.example", "sent")])  # fmt: skip


KINDS: dict[str, Callable[[MiniLog, int], str]] = {
    "auth_bruteforce": brute_force,
    "stolen_account": stolen_account,
    "spam_script": spam_script,
    "relay_spike": relay_spike,
    "volume_anomaly": volume_anomaly,
}


def measure(trials: int, interval: float, kinds: list[str]) -> dict[str, list[float]]:
    base = Path(tempfile.mkdtemp(prefix="watch-latency-"))
    log_path = base / "maillog"
    start = MiniLog()
    volume_history(start, trials)
    start.auth_failure(now(), "198.51.100.250")  # something recent to start from
    log_path.write_text("\n".join(sorted(start.lines, key=_stamp)) + "\n")
    alerted: dict[tuple[str, str], float] = {}
    settings = Settings(paths=[str(log_path)], data=str(base / "data"), tz="UTC", year=now().year)

    def output(alert: dict) -> None:
        if alert["state"] == "open":
            alerted.setdefault((alert["kind"], alert["subject"]), time.time())

    watcher = Watcher(settings, [output])
    watcher.step()  # the history, before the clock starts
    stop = threading.Event()

    def loop() -> None:  # as `run` does: an iteration every `interval` from its start
        while not stop.is_set():
            started = time.monotonic()
            watcher.step()
            stop.wait(max(0.0, interval - (time.monotonic() - started)))

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    out: dict[str, list[float]] = {kind: [] for kind in kinds}
    phase = random.Random(int(os.environ.get("LATENCY_SEED", "12")))
    for trial in range(trials):
        for kind in kinds:
            time.sleep(phase.uniform(0, interval))  # at a random point of the watch's cycle
            log = MiniLog()
            log.queue += 0x10000000 * (trial * len(kinds) + kinds.index(kind) + 1)
            subject = KINDS[kind](log, trial)
            with open(log_path, "a") as f:
                for line in log.lines:
                    f.write(line + "\n")
                    f.flush()
                    time.sleep(SPACING)
            written = time.time()
            deadline = written + 3 * interval + 30
            while (kind, subject) not in alerted and time.time() < deadline:
                time.sleep(0.05)
            latency = alerted.get((kind, subject), float("inf")) - written
            out[kind].append(latency)
            print(f"trial {trial + 1} {kind}: {latency:.1f} s", flush=True)
    stop.set()
    return out


def _stamp(line: str) -> datetime:
    return datetime.strptime(f"{now().year} {line[:15]}", "%Y %b %d %H:%M:%S")


def main() -> None:
    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    interval = float(sys.argv[2]) if len(sys.argv) > 2 else 15.0
    kinds = sys.argv[3:] or list(KINDS)
    for kind, got in measure(trials, interval, kinds).items():
        got = sorted(got)
        p95 = got[min(len(got) - 1, round(0.95 * (len(got) - 1)))]
        print(
            f"{kind}: {trials} trials, --interval {interval:g}: median "
            f"{statistics.median(got):.1f} s, p95 {p95:.1f} s, max {got[-1]:.1f} s"
        )


if __name__ == "__main__":
    main()
