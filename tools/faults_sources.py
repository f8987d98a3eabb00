"""Faults of the sources: a log rotated or deleted while a run reads it, an archive
damaged mid-stream."""

from __future__ import annotations

import os

from faults_harness import (
    MTIME,
    Matrix,
    clean_ingest,
    ingest_cmd,
    run,
    same,
    started_until_first_commit,
    write,
)

from analyzer import api


def rotated_mid_read(m: Matrix) -> None:
    d = m.dir("rotate")
    logs = m.dir("rotate/logs")
    half = len(m.lines) // 2
    write(logs / "maillog", m.lines[:half])
    data = d / "data"
    proc, rotated_during = started_until_first_commit([logs], data)
    os.rename(logs / "maillog", logs / "maillog.1")  # logrotate: rename, then a new file
    write(logs / "maillog", m.lines[half:])
    err = proc.communicate()[1]
    again = run(ingest_cmd([logs], data))
    clean_ingest([logs], d / "clean")
    diff = same(d / "clean", data)
    m.record(
        "source rotated mid-read",
        f"rotated while the run read it: {rotated_during}; "
        f"exit {proc.returncode} {err.strip()[:120]!r}; re-run exit {again.returncode}; "
        + ("exact" if diff is None else f"MISMATCH: {diff}"),
        rotated_during and diff is None,
    )


def deleted_mid_read(m: Matrix) -> None:
    d = m.dir("delete")
    logs = m.dir("delete/logs")
    log = write(logs / "maillog", m.lines)
    clean_ingest([log], d / "clean")
    data = d / "data"
    proc, deleted_during = started_until_first_commit([log], data)
    log.unlink()
    err = proc.communicate()[1]
    diff = same(d / "clean", data)
    m.record(
        "source deleted mid-read",
        f"deleted while the run read it: {deleted_during}; "
        f"exit {proc.returncode} {err.strip()[:120]!r}; the open file is read to its "
        "end: " + ("exact" if diff is None else f"MISMATCH: {diff}"),
        deleted_during and proc.returncode == 0 and diff is None,
    )


def corrupt_archive(m: Matrix) -> None:
    d = m.dir("archive")
    arch = write(d / "maillog.1.gz", m.lines, compress=True)
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
    m.record(
        "corrupt archive (.gz zeroed mid-stream)",
        f"exit {proc.returncode}; warned: {warned}; checkpoint at byte {kept:,}, a "
        f"decoder recovers {len(prefix):,} bytes of whole lines"
        + ("" if ok else " (damaged archives: fixed on another branch, pending merge)"),
        ok,
        recovered=len(prefix),
        checkpointed=kept,
    )
