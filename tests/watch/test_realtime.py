"""`analyzer watch` as a process, on a log a generator appends to while it runs: the
sample day, written at the generator's own pace in chunks that end anywhere (mid-line
too), the log rotated (renamed, a new file started) two thirds in, and the watcher
stopped and started again in the middle (the generator waits there for the restart). Each planted incident is alerted `open` once
with the right subject, and no alert is sent twice.

The cues are the program's progress, never the wall clock: the first watcher stops by
itself after a number of iterations (`--iterations`), and the second is stopped once its
`--verbose` line reports the day's last log time, i.e. once an iteration has ingested
and evaluated everything (a deadline only turns a hang into a failure)."""

import json
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter

from test_watch import PLANTED, sample_lines

DEADLINE = 600  # seconds: a hang fails instead of blocking the suite


def watcher(log_glob: str, data: str, *extra: str) -> subprocess.Popen:
    argv = [sys.executable, "-m", "analyzer", "watch", log_glob, "--data", data, "--tz", "UTC",
            "--year", "2026", "--interval", "0.2", "--output", "json", "--verbose", *extra]  # fmt: skip
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_live_log_with_a_restart_and_a_rotation(tmp_path):
    lines = sample_lines()
    last = lines[-1][:15]  # `Nov 26 23:59:58`: the day's last log time
    log = tmp_path / "maillog"
    log.write_text("")
    data = str(tmp_path / "data")
    written, restarted = threading.Event(), threading.Event()

    def generate() -> None:
        rng = random.Random(7)
        text = "\n".join(lines) + "\n"
        rotate_at = text.index("\n", 2 * len(text) // 3) + 1  # at a line's end, as syslog does
        pos, half = 0, len(text) // 2
        while pos < len(text):
            if pos >= half:
                restarted.wait(DEADLINE)  # the first watcher has stopped: go on
            end = min(len(text), pos + rng.randint(20_000, 400_000))
            if pos < rotate_at < end:
                end = rotate_at
            with open(log, "a") as f:
                f.write(text[pos:end])
            pos = end
            if pos == rotate_at:
                os.rename(log, tmp_path / "maillog.1")
                log.write_text("")
            time.sleep(rng.uniform(0, 0.05))
        written.set()

    alerts: list[dict] = []
    gen = threading.Thread(target=generate, daemon=True)
    gen.start()
    first = watcher(str(tmp_path / "maillog*"), data, "--iterations", "6")
    out, err = first.communicate(timeout=DEADLINE)
    assert first.returncode == 0, err
    alerts += [json.loads(x) for x in out.splitlines()]

    second = watcher(str(tmp_path / "maillog*"), data)
    restarted.set()
    stdout: list[str] = []
    stderr: list[str] = []
    for stream, sink in ((second.stdout, stdout), (second.stderr, stderr)):
        threading.Thread(target=sink.extend, args=(stream,), daemon=True).start()
    started = time.monotonic()
    try:
        while not (
            written.is_set() and any(f"newest log time 2026-11-26 {last[7:]}" in x for x in stderr)
        ):
            assert second.poll() is None, "".join(stderr)
            assert time.monotonic() - started < DEADLINE, "no iteration reached the last line"
            time.sleep(0.1)
    finally:
        second.terminate()
    second.wait(timeout=60)
    time.sleep(0.2)  # the readers take what the pipes still held
    alerts += [json.loads(x) for x in stdout]

    opened = Counter((a["kind"], a["subject"]) for a in alerts if a["state"] == "open")
    assert set(opened) == PLANTED and set(opened.values()) == {1}
    pairs = Counter((a["id"], a["state"]) for a in alerts)
    assert set(pairs.values()) == {1}, "an alert was sent twice"
