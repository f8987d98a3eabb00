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
"""

from __future__ import annotations

import argparse
import ctypes
import gzip
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from helpers import KILL_POINTS, assert_same_dataset, committed, run_and_kill, snapshot  # noqa: E402

from analyzer import api  # noqa: E402
from analyzer.samplegen.postfix import generate_postfix  # noqa: E402

COMMIT_LINES = "2000"
MTIME = datetime(2026, 11, 27, 12, 0).timestamp()
ENV = {**os.environ, "ANALYZER_COMMIT_LINES": COMMIT_LINES}


def cli(*args) -> list[str]:
    return [sys.executable, "-m", "analyzer", *map(str, args)]


def ingest_cmd(paths, data, *extra) -> list[str]:
    return cli("ingest", *paths, "--data", data, "--tz", "UTC", "--year", "2026", *extra)


def started_until_first_commit(paths, data) -> tuple[subprocess.Popen, bool]:
    """An ingest started and waited for until its first commit: (the process, whether it
    is still running, i.e. the change that follows lands mid-read)."""
    proc = subprocess.Popen(
        ingest_cmd(paths, data),
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    while committed(data) < 1 and proc.poll() is None:
        time.sleep(0.002)
    return proc, proc.poll() is None


def run(cmd, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, env=kw.pop("env", ENV), **kw)


def write(path: Path, lines: list[str], compress: bool = False) -> Path:
    data = "".join(line + "\n" for line in lines).encode()
    path.write_bytes(gzip.compress(data) if compress else data)
    os.utime(path, (MTIME, MTIME))
    return path


def same(a, b) -> str | None:
    """None when the datasets hold the same rows, else what differs."""
    try:
        assert_same_dataset(a, b)
        return None
    except AssertionError as e:
        return str(e).splitlines()[0][:200]


def unchanged(before: dict, data) -> str | None:
    after = snapshot(data)
    for name in before:
        if not before[name].equals(after[name]):
            return f"{name} changed"
    return None


def one_line(proc) -> bool:
    err = proc.stderr
    return (
        proc.returncode != 0
        and "Traceback" not in err
        and err.count("\n") == 1
        and err.startswith("error: ")
    )


def clean_ingest(paths, data) -> None:
    proc = run(ingest_cmd(paths, data))
    assert proc.returncode == 0, proc.stderr


class Matrix:
    def __init__(self, work: Path, lines: list[str]):
        self.work = work
        self.lines = lines
        self.results: list[dict] = []

    def record(self, fault: str, outcome: str, ok: bool, **figures) -> None:
        row = {"fault": fault, "outcome": outcome, "ok": ok, **figures}
        self.results.append(row)
        print(f"{'ok  ' if ok else 'FAIL'} {fault}: {outcome}", flush=True)

    def dir(self, name: str) -> Path:
        d = self.work / name
        d.mkdir()
        return d

    # --- kill -9 --------------------------------------------------------------------------
    def kills(self, seed: int = 1) -> None:
        d = self.dir("kill")
        log = write(d / "maillog", self.lines)
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
        self.record(
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

    # --- disk full --------------------------------------------------------------------------
    def disk_full(self) -> None:
        d = self.dir("full")
        log = write(d / "maillog", self.lines)
        clean_ingest([log], d / "clean")
        small, kept = self.dir("full/small"), self.dir("full/kept")
        size = max(256, len(self.lines) // 400)  # KiB: fills up part-way
        script = (
            f'mount -t tmpfs -o size={size}k tmpfs "$1" || exit 99; shift; "$@"; rc=$?; '
            f"cp -a {small}/. {kept}/; exit $rc"
        )
        proc = run(
            [
                "unshare",
                "--user",
                "--map-root-user",
                "--mount",
                "sh",
                "-c",
                script,
                "sh",
                str(small),
                *ingest_cmd([log], small / "d"),
            ]
        )
        if proc.returncode == 99:
            self.record(
                "disk full", f"not run: cannot mount a tmpfs ({proc.stderr.strip()})", False
            )
            return
        data = kept / "d"
        done = committed(data)
        stray = [p for p in data.glob("*/date=*/part-*") if int(p.name[5:13]) > done]
        clean_ingest([log], data)
        diff = same(d / "clean", data)
        ok = one_line(proc) and not stray and diff is None
        self.record(
            f"disk full (tmpfs of {size} KiB)",
            f"{proc.stderr.strip()!r}; left at commit {done}, {len(stray)} stray parts; "
            "re-run with room " + ("exact" if diff is None else f"MISMATCH: {diff}"),
            ok,
        )

    # --- permissions --------------------------------------------------------------------------
    def permissions(self) -> None:
        d = self.dir("perm")
        half = len(self.lines) // 2
        first = write(d / "maillog.1", self.lines[:half])
        clean_ingest([first], d / "data")
        before = snapshot(d / "data")
        secret = write(d / "maillog", self.lines[half:])
        secret.chmod(0)
        proc = run(ingest_cmd([first, secret], d / "data"), preexec_fn=_ordinary_user)
        diff = unchanged(before, d / "data")
        self.record(
            "permission denied: unreadable source",
            f"{proc.stderr.strip()!r}; dataset " + ("unchanged" if diff is None else diff),
            one_line(proc) and diff is None,
        )
        secret.chmod(0o644)
        mode = (d / "data").stat().st_mode
        (d / "data").chmod(0o555)
        proc = run(ingest_cmd([first, secret], d / "data"), preexec_fn=_ordinary_user)
        (d / "data").chmod(mode)
        diff = unchanged(before, d / "data")
        self.record(
            "permission denied: read-only dataset",
            f"{proc.stderr.strip()!r}; dataset " + ("unchanged" if diff is None else diff),
            one_line(proc) and diff is None,
        )

    # --- the source changes under the run ---------------------------------------------------------
    def rotated_mid_read(self) -> None:
        d = self.dir("rotate")
        logs = self.dir("rotate/logs")
        half = len(self.lines) // 2
        write(logs / "maillog", self.lines[:half])
        data = d / "data"
        proc, rotated_during = started_until_first_commit([logs], data)
        os.rename(logs / "maillog", logs / "maillog.1")  # logrotate: rename, then a new file
        write(logs / "maillog", self.lines[half:])
        err = proc.communicate()[1]
        again = run(ingest_cmd([logs], data))
        clean_ingest([logs], d / "clean")
        diff = same(d / "clean", data)
        self.record(
            "source rotated mid-read",
            f"rotated while the run read it: {rotated_during}; "
            f"exit {proc.returncode} {err.strip()[:120]!r}; re-run exit {again.returncode}; "
            + ("exact" if diff is None else f"MISMATCH: {diff}"),
            rotated_during and diff is None,
        )

    def deleted_mid_read(self) -> None:
        d = self.dir("delete")
        logs = self.dir("delete/logs")
        log = write(logs / "maillog", self.lines)
        clean_ingest([log], d / "clean")
        data = d / "data"
        proc, deleted_during = started_until_first_commit([log], data)
        log.unlink()
        err = proc.communicate()[1]
        diff = same(d / "clean", data)
        self.record(
            "source deleted mid-read",
            f"deleted while the run read it: {deleted_during}; "
            f"exit {proc.returncode} {err.strip()[:120]!r}; the open file is read to its "
            "end: " + ("exact" if diff is None else f"MISMATCH: {diff}"),
            deleted_during and proc.returncode == 0 and diff is None,
        )

    # --- damaged inputs and dataset files -----------------------------------------------------------
    def corrupt_archive(self) -> None:
        d = self.dir("archive")
        arch = write(d / "maillog.1.gz", self.lines, compress=True)
        raw = bytearray(arch.read_bytes())
        cut = len(raw) // 2
        raw[cut : cut + 64] = bytes(64)  # a run of zeroed bytes in the middle of the stream
        arch.write_bytes(bytes(raw))
        os.utime(arch, (MTIME, MTIME))
        proc = run(ingest_cmd([arch], d / "data"))
        sources = api.status(d / "data")["sources"] if proc.returncode == 0 else []
        kept = sources[0]["offset"] if sources else 0
        # what a decoder recovers before the damage, in whole lines
        import zlib

        dec, recovered = zlib.decompressobj(wbits=47), b""
        try:
            for i in range(0, len(raw), 4096):
                recovered += dec.decompress(bytes(raw[i : i + 4096]))
        except zlib.error:
            pass
        prefix = recovered[: recovered.rfind(b"\n") + 1]
        warned = "damaged" in proc.stderr or "truncated" in proc.stderr
        ok = proc.returncode == 0 and warned and kept >= len(prefix)
        self.record(
            "corrupt archive (.gz zeroed mid-stream)",
            f"exit {proc.returncode}; warned: {warned}; checkpoint at byte {kept:,}, a "
            f"decoder recovers {len(prefix):,} bytes of whole lines"
            + ("" if ok else " (damaged archives: fixed on another branch, pending merge)"),
            ok,
            recovered=len(prefix),
            checkpointed=kept,
        )

    def corrupt_part(self) -> None:
        d = self.dir("part")
        log = write(d / "maillog", self.lines)
        clean_ingest([log], d / "data")
        part = sorted((d / "data" / "messages").glob("date=*/part-*.parquet"))[0]
        part.write_bytes(b"PAR1" + os.urandom(200) + b"PAR1")
        outcomes, ok = [], True
        for args in (
            ["status"],
            ["top-senders", "--since", "all"],
            ["trace", "--client-ip", "192.0.2.1", "--since", "all"],
        ):
            proc = run(cli(*args, "--data", d / "data"))
            outcomes.append(f"{args[0]}: exit {proc.returncode} {proc.stderr.strip()[:110]!r}")
            # one warning naming what is missing; the readable parts are still read
            first = (proc.stderr.splitlines() or [""])[0]
            ok &= first.startswith("warning: ") and "missing or unreadable" in first
            ok &= "Traceback" not in proc.stderr and proc.returncode in (0, 1)
            if args[0] != "trace":  # trace may find nothing about the IP in the rest
                ok &= proc.returncode == 0
        self.record("corrupt part (messages part overwritten)", "; ".join(outcomes), ok)

    def checkpoints(self) -> None:
        d = self.dir("state")
        log = write(d / "maillog", self.lines)
        half = write(d / "half", self.lines[: len(self.lines) // 2])
        clean_ingest([half], d / "data")
        state = d / "data" / "_state" / "state.json"
        good = state.read_bytes()
        for name, content in (
            ("garbage", b"\x00\xffnot json"),
            ("a JSON list", b"[]"),
            ("truncated", good[: len(good) // 2]),
            ("empty", b""),
        ):
            state.write_bytes(content)
            before = {p: p.stat().st_mtime_ns for p in (d / "data").rglob("*.parquet")}
            proc = run(ingest_cmd([half, log], d / "data"))
            after = {p: p.stat().st_mtime_ns for p in (d / "data").rglob("*.parquet")}
            ok = one_line(proc) and before == after and state.read_bytes() == content
            self.record(
                f"corrupt checkpoint ({name})",
                f"{proc.stderr.strip()!r}; parts "
                + ("untouched" if before == after else "CHANGED"),
                ok,
            )
        state.write_bytes(good)

        # missing, with the log it came from rotated away: the parts hold the only copy
        def keys():
            m = api.table("messages", data=d / "data", include_open=False)
            return set(zip(m.host, m.queue_id, m.first_seen))

        before = keys()
        state.unlink()
        rest = write(d / "rest", self.lines[len(self.lines) // 2 :])
        proc = run(ingest_cmd([rest], d / "data"))
        gone = len(before - keys()) if (d / "data" / "_state" / "state.json").exists() else 0
        kept_aside = len(list((d / "data").glob("_orphaned/*/**/*.parquet")))
        lost = gone if not kept_aside else 0  # moved aside, with a warning, is kept
        self.record(
            "missing checkpoint (its log rotated away)",
            f"exit {proc.returncode} {proc.stderr.strip()[:160]!r}; of {len(before):,} "
            f"committed messages, {gone:,} no longer in the dataset, {kept_aside} "
            "part files moved aside",
            proc.returncode != 0 or not lost,
            lost=lost,
        )

    def concurrent(self) -> None:
        d = self.dir("concurrent")
        log = write(d / "maillog", self.lines)
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
        self.record(
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


_DAC_CAPS = (1, 2, 3)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER


def _ordinary_user():
    """preexec_fn: root without the capabilities that bypass file modes."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in _DAC_CAPS:
        if libc.prctl(24, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl")


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
        faults = [
            "kills",
            "disk_full",
            "permissions",
            "rotated_mid_read",
            "deleted_mid_read",
            "corrupt_archive",
            "corrupt_part",
            "checkpoints",
            "concurrent",
        ]
        for name in args.only or faults:
            started = time.monotonic()
            try:
                getattr(m, name)()
            except Exception as e:  # noqa: BLE001 - a crash of the harness is a result too
                m.record(name, f"HARNESS ERROR {type(e).__name__}: {e}", False)
            print(f"     ({time.monotonic() - started:.0f} s)", flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps({"lines": len(lines), "results": m.results}, indent=2))
    return 0 if all(r["ok"] for r in m.results) else 1


if __name__ == "__main__":
    sys.exit(main())
