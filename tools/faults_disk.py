"""Faults of the file system: the disk full (a small tmpfs in a private mount namespace)
and permission denied (root without the capabilities that bypass file modes)."""

from __future__ import annotations

import ctypes
import os

from faults_harness import Matrix, clean_ingest, ingest_cmd, one_line, run, same, unchanged, write
from helpers import committed, snapshot


def disk_full(m: Matrix) -> None:
    d = m.dir("full")
    log = write(d / "maillog", m.lines)
    clean_ingest([log], d / "clean")
    small, kept = m.dir("full/small"), m.dir("full/kept")
    size = max(256, len(m.lines) // 400)  # KiB: fills up part-way
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
        m.record("disk full", f"not run: cannot mount a tmpfs ({proc.stderr.strip()})", False)
        return
    data = kept / "d"
    done = committed(data)
    stray = [p for p in data.glob("*/date=*/part-*") if int(p.name[5:13]) > done]
    clean_ingest([log], data)
    diff = same(d / "clean", data)
    ok = one_line(proc) and not stray and diff is None
    m.record(
        f"disk full (tmpfs of {size} KiB)",
        f"{proc.stderr.strip()!r}; left at commit {done}, {len(stray)} stray parts; "
        "re-run with room " + ("exact" if diff is None else f"MISMATCH: {diff}"),
        ok,
    )


def permissions(m: Matrix) -> None:
    d = m.dir("perm")
    half = len(m.lines) // 2
    first = write(d / "maillog.1", m.lines[:half])
    clean_ingest([first], d / "data")
    before = snapshot(d / "data")
    secret = write(d / "maillog", m.lines[half:])
    secret.chmod(0)
    proc = run(ingest_cmd([first, secret], d / "data"), preexec_fn=_ordinary_user)
    diff = unchanged(before, d / "data")
    m.record(
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
    m.record(
        "permission denied: read-only dataset",
        f"{proc.stderr.strip()!r}; dataset " + ("unchanged" if diff is None else diff),
        one_line(proc) and diff is None,
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
