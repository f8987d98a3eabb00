"""Faults of the dataset's own files: a Parquet part overwritten, the checkpoint damaged
or missing."""

from __future__ import annotations

import os

from faults_harness import Matrix, clean_ingest, cli, ingest_cmd, one_line, run, write

from analyzer import api


def corrupt_part(m: Matrix) -> None:
    d = m.dir("part")
    log = write(d / "maillog", m.lines)
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
    m.record("corrupt part (messages part overwritten)", "; ".join(outcomes), ok)


def checkpoints(m: Matrix) -> None:
    d = m.dir("state")
    log = write(d / "maillog", m.lines)
    half = write(d / "half", m.lines[: len(m.lines) // 2])
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
        m.record(
            f"corrupt checkpoint ({name})",
            f"{proc.stderr.strip()!r}; parts " + ("untouched" if before == after else "CHANGED"),
            ok,
        )
    state.write_bytes(good)

    # missing, with the log it came from rotated away: the parts hold the only copy
    def keys():
        m = api.table("messages", data=d / "data", include_open=False)
        return set(zip(m.host, m.queue_id, m.first_seen))

    before = keys()
    state.unlink()
    rest = write(d / "rest", m.lines[len(m.lines) // 2 :])
    proc = run(ingest_cmd([rest], d / "data"))
    gone = len(before - keys()) if (d / "data" / "_state" / "state.json").exists() else 0
    kept_aside = len(list((d / "data").glob("_orphaned/*/**/*.parquet")))
    lost = gone if not kept_aside else 0  # moved aside, with a warning, is kept
    m.record(
        "missing checkpoint (its log rotated away)",
        f"exit {proc.returncode} {proc.stderr.strip()[:160]!r}; of {len(before):,} "
        f"committed messages, {gone:,} no longer in the dataset, {kept_aside} "
        "part files moved aside",
        proc.returncode != 0 or not lost,
        lost=lost,
    )
