"""The Postfix server's day as ``journalctl -o json`` exports it.

Runs the Postfix simulator (at a lower background volume by default, so the export stays
small; the four incidents are the same) and writes each line as the journal entry
rsyslog would have read it from: ``__REALTIME_TIMESTAMP`` (µs, the line's second plus a
monotonic sub-second part), ``_HOSTNAME``, ``SYSLOG_IDENTIFIER``, ``SYSLOG_PID``/``_PID``,
``_COMM``, ``_SYSTEMD_UNIT``, ``MESSAGE`` and the fields journald adds. About one entry in
400 carries ``MESSAGE`` as an array of bytes (as journald does for text that is not
valid UTF-8), and systemd's own start-up entries sit beside the MTA's.
"""

from __future__ import annotations

import gzip
import io
import json
import random
from datetime import UTC, datetime

from .postfix import DEFAULT_SEED, DEFAULT_START, PostfixSimulator

DEFAULT_MESSAGES_PER_DAY = 600
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_UNITS = {
    "postfix": "postfix@-.service",
    "dovecot": "dovecot.service",
    "amavis": "amavis.service",
    "opendkim": "opendkim.service",
}


def generate_journal(
    seed: int = DEFAULT_SEED,
    start: datetime = DEFAULT_START,
    days: float = 1.0,
    messages_per_day: int = DEFAULT_MESSAGES_PER_DAY,
    host: str = "mx1",
    incidents: bool = True,
) -> tuple[list[str], dict]:
    """(JSON lines, truth): the Postfix truth of the same run, with `format` = journal
    and systemd's entries added to `lines` and `lines_by_program`."""
    sim = PostfixSimulator(
        seed=seed,
        start=start,
        days=days,
        host=host,
        incidents=incidents,
        messages_per_day=messages_per_day,
        target_lines=None,
    )
    syslog: list[str] = []
    truth = sim.run(syslog.extend)
    rng = random.Random(f"journal:{seed}")
    boot = f"{rng.getrandbits(128):032x}"
    machine = f"{rng.getrandbits(128):032x}"
    seqnum = f"{rng.getrandbits(128):032x}"
    booted = int((start.replace(tzinfo=UTC).timestamp() - 3 * 86400) * 1_000_000)
    out: list[str] = []
    year = start.year
    last = 0
    index = 0

    def entry(realtime: int, program: str, pid: int | None, message: str) -> None:
        nonlocal index
        index += 1
        family = program.split("/", 1)[0]
        e: dict[str, str | list[int]] = {
            "__CURSOR": f"s={seqnum};i={index:x};b={boot};m={realtime - booted:x};t={realtime:x};x={index * 7919:x}",
            "__REALTIME_TIMESTAMP": str(realtime),
            "__MONOTONIC_TIMESTAMP": str(realtime - booted),
            "_BOOT_ID": boot,
            "_MACHINE_ID": machine,
            "_HOSTNAME": host,
            "PRIORITY": "6",
            "SYSLOG_FACILITY": "2" if family != "systemd" else "3",
            "SYSLOG_IDENTIFIER": program,
            "_TRANSPORT": "syslog" if family != "systemd" else "journal",
            "_SYSTEMD_UNIT": _UNITS.get(family, "init.scope"),
            "_COMM": program.rsplit("/", 1)[-1][:15],
        }
        if pid is not None:
            e["SYSLOG_PID"] = e["_PID"] = str(pid)
        e["MESSAGE"] = list(message.encode()) if rng.random() < 0.0025 else message
        # journalctl's own layout: { "KEY" : "value", ... }
        out.append(
            "{ "
            + ", ".join(
                f"{json.dumps(k)} : {json.dumps(v, ensure_ascii=False)}" for k, v in e.items()
            )
            + " }"
        )

    first = int(start.replace(tzinfo=UTC).timestamp() * 1_000_000)
    for i, text in enumerate(
        (
            ("Starting postfix@-.service - Postfix Mail Transport Agent (instance -)..."),
            ("Started postfix@-.service - Postfix Mail Transport Agent (instance -)."),
        )
    ):
        entry(first - 60_000_000 + i * 1000, "systemd", 1, text)
    for line in syslog:
        month, day, clock = _MONTHS[line[:3]], int(line[4:6]), line[7:15]
        second = (
            int(
                datetime(
                    year, month, day, int(clock[:2]), int(clock[3:5]), int(clock[6:8]), tzinfo=UTC
                ).timestamp()
            )
            * 1_000_000
        )
        realtime = max(second + int(rng.random() * 40_000), last + 1)
        if realtime >= second + 1_000_000:
            realtime = second + 999_999
        last = realtime
        rest = line[16:].split(" ", 1)[1]  # after the host
        tag, message = rest.split(": ", 1)
        program, _, pid = tag.partition("[")
        entry(realtime, program, int(pid[:-1]) if pid else None, message)
    truth = dict(truth)
    truth["format"] = "journal"
    truth["lines"] = len(out)
    by_program = dict(truth["lines_by_program"])
    by_program["systemd"] = 2
    truth["lines_by_program"] = dict(sorted(by_program.items()))
    truth["messages_per_day"] = messages_per_day
    return out, truth


def write_journal(path, truth_path=None, **kw) -> dict:
    """Write the export (gzip-compressed when `path` ends in .gz, reproducibly: no time or
    name in the gzip header)."""
    lines, truth = generate_journal(**kw)
    data = "".join(line + "\n" for line in lines).encode()
    if str(path).endswith(".gz"):
        buf = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as f:
            f.write(data)
        data = buf.getvalue()
    with open(path, "wb") as f:
        f.write(data)
    if truth_path is not None:
        with open(truth_path, "w", encoding="utf-8", newline="\n") as f:
            json.dump(truth, f, indent=2)
            f.write("\n")
    return truth
