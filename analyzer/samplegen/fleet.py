"""A fleet of simulated mail servers: N hosts' logs in one directory, with one truth file.

``write_fleet(out, hosts=N)`` runs the existing simulators once per host (Postfix or Exim,
alternating by default) and writes ``OUT/<host>/`` for each: the host's log as a rotated
series, one file per day of the host's clock, newest last, the way logrotate leaves it
(``maillog.3.gz, maillog.2.gz, maillog.1, maillog``; Exim: ``exim_mainlog...``), each
file's mtime at the moment it was rotated. Every host is its own server:

- its own seed, so its own queue-id space, pids, world and traffic (and its own volume:
  between 0.5 and 1.5 times ``messages_per_day``);
- its own clock: host 1 (``mx1``) keeps the reference time, every other host's clock is
  off by a whole number of seconds up to ``max_skew`` either way, and everything in its
  log and truth is in its own clock;
- the planted incidents on the first ``incident_hosts`` hosts only: the same stolen SASL
  account (``info@bakery-berlin.example``) used from each of them (from different botnet
  addresses), and the same brute-forcing client IP (203.0.113.66) knocking on each.

The truth (``OUT.truth.json`` by default) holds each host's own truth (as its single-host
generator writes it) beside the fleet's: hosts, lines, messages, the stolen account's hosts
and messages, the brute force's hosts and failures. Deterministic: the same arguments give
byte-identical files (gzip without a name or time in its header).
"""

from __future__ import annotations

import gzip
import json
import os
import random
import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

from .core import DEFAULT_MESSAGES_PER_DAY, DEFAULT_SEED, DEFAULT_START
from .exim import EximSimulator
from .postfix import PostfixSimulator

MTAS = ("postfix", "exim")
LOG_NAMES = {"postfix": "maillog", "exim": "exim_mainlog"}
DEFAULT_HOSTS = 4
DEFAULT_MAX_SKEW = 90  # seconds either way
_SIMULATORS = {"postfix": PostfixSimulator, "exim": EximSimulator}


def plan_fleet(
    hosts: int = DEFAULT_HOSTS,
    seed: int = DEFAULT_SEED,
    messages_per_day: int = DEFAULT_MESSAGES_PER_DAY,
    mtas: tuple[str, ...] = MTAS,
    max_skew: int = DEFAULT_MAX_SKEW,
    incident_hosts: int | None = None,
) -> list[dict]:
    """Each host's name, MTA, seed, volume, clock skew (s) and whether it has the incidents."""
    if hosts < 1:
        raise ValueError("a fleet has at least one host")
    if not mtas or any(m not in MTAS for m in mtas):
        raise ValueError(f"MTAs are {', '.join(MTAS)}, not {', '.join(mtas) or 'none'}")
    if max_skew < 0 or messages_per_day < 0:
        raise ValueError("max_skew and messages_per_day must not be negative")
    with_incidents = min(hosts, 3) if incident_hosts is None else incident_hosts
    if not 0 <= with_incidents <= hosts:
        raise ValueError(f"incident_hosts must be between 0 and {hosts}")
    r = random.Random(f"fleet:{seed}").random
    plan = []
    for i in range(hosts):
        volume, skew = r(), r()
        plan.append(
            {
                "host": f"mx{i + 1}",
                "mta": mtas[i % len(mtas)],
                "seed": seed * 1000 + i + 1,
                "messages_per_day": round(messages_per_day * (0.5 + volume)),
                "clock_skew_seconds": 0 if i == 0 else round((2 * skew - 1) * max_skew),
                "incidents": i < with_incidents,
            }
        )
    return plan


class _DaySplitter:
    """A simulator's sink that writes its lines into one plain file per day of its clock
    (the day told from each line's own timestamp) and remembers the days in order."""

    def __init__(self, folder: Path, mta: str, first: datetime):
        self.folder = folder
        self.syslog = mta != "exim"  # syslog: "Nov 26 ..."; Exim: "2026-11-26 ..."
        self.year = first.year
        self.days: list[tuple[datetime, Path]] = []  # (date, its plain file)
        self._key: str | None = None
        self._file: TextIO | None = None

    def _day_of(self, key: str) -> datetime:
        if not self.syslog:
            return datetime.strptime(key, "%Y-%m-%d")
        day = datetime.strptime(f"{self.year} {key}", "%Y %b %d")
        if self.days and day < self.days[-1][0]:  # December -> January
            self.year += 1
            day = day.replace(year=self.year)
        return day

    def _switch(self, key: str) -> None:
        if self._file is not None:
            self._file.close()
        self._key = key
        path = self.folder / f".day-{len(self.days):04d}"
        self.days.append((self._day_of(key), path))
        self._file = open(path, "w", encoding="utf-8", newline="\n")

    def __call__(self, lines: list[str]) -> None:
        if not lines:
            return
        width = 6 if self.syslog else 10
        if lines[0][:width] == lines[-1][:width]:  # the usual case: one hour, one day
            if lines[0][:width] != self._key:
                self._switch(lines[0][:width])
            assert self._file is not None
            self._file.write("\n".join(lines))
            self._file.write("\n")
            return
        for line in lines:
            if line[:width] != self._key:
                self._switch(line[:width])
            assert self._file is not None
            self._file.write(line + "\n")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def _rotate(days: list[tuple[datetime, Path]], base: Path, end: datetime) -> list[str]:
    """Give the day files logrotate's names (newest plain, yesterday `.1`, older `.N.gz`,
    compressed deterministically) and mtimes (the next midnight; the newest: `end`);
    returns the names, oldest first."""
    names = []
    count = len(days)
    for k, (day, plain) in enumerate(days):
        age = count - 1 - k
        target = base if age == 0 else base.with_name(f"{base.name}.{age}")
        if age >= 2:
            target = target.with_name(target.name + ".gz")
            with open(plain, "rb") as src, open(target, "wb") as raw:
                with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
                    shutil.copyfileobj(src, gz)
            plain.unlink()
        else:
            os.replace(plain, target)
        closed = end if age == 0 else day + timedelta(days=1)
        stamp = (closed - datetime(1970, 1, 1)).total_seconds()
        os.utime(target, (stamp, stamp))
        names.append(target.name)
    return names


def _fleet_truth(plan: list[dict], truths: dict[str, dict]) -> dict:
    stolen: dict = {"sasl_username": None, "hosts": [], "messages": 0}
    brute: dict = {"client_ip": None, "hosts": [], "failures": 0}
    for host in plan:
        incidents = truths[host["host"]]["incidents"]
        sasl, force = incidents.get("compromised_sasl"), incidents.get("brute_force")
        if sasl:
            stolen["sasl_username"] = sasl["sasl_username"]
            stolen["hosts"].append(host["host"])
            stolen["messages"] += sasl["messages"]
        if force:
            brute["client_ip"] = force["client_ip"]
            brute["hosts"].append(host["host"])
            brute["failures"] += force["failures"]
    return {
        "hosts": len(plan),
        "lines": sum(t["lines"] for t in truths.values()),
        "messages": sum(t["messages"]["total"] for t in truths.values()),
        "stolen_account": stolen,
        "brute_force": brute,
    }


def write_fleet(
    out: str | os.PathLike,
    hosts: int = DEFAULT_HOSTS,
    seed: int = DEFAULT_SEED,
    start: datetime = DEFAULT_START,
    days: float = 1.0,
    messages_per_day: int = DEFAULT_MESSAGES_PER_DAY,
    mtas: tuple[str, ...] = MTAS,
    max_skew: int = DEFAULT_MAX_SKEW,
    incident_hosts: int | None = None,
    truth_path: str | os.PathLike | None = None,
    progress: Callable[[str, dict], None] | None = None,
) -> dict:
    """Write the fleet under `out` (one directory per host, which must not hold files of
    an earlier fleet) and its truth (to `truth_path` when given); returns the truth."""
    if days <= 0:
        raise ValueError("days must be positive")
    if start.tzinfo is not None:
        raise ValueError("start must be a naive datetime (UTC wall time)")
    plan = plan_fleet(hosts, seed, messages_per_day, mtas, max_skew, incident_hosts)
    root = Path(out)
    truths: dict[str, dict] = {}
    entries: dict[str, dict] = {}
    for host in plan:
        folder = root / host["host"]
        folder.mkdir(parents=True, exist_ok=True)
        base = folder / LOG_NAMES[host["mta"]]
        if any(p.name.startswith(base.name) for p in folder.iterdir()):
            raise ValueError(f"{folder}: holds logs already (give an empty directory)")
        own_start = start + timedelta(seconds=host["clock_skew_seconds"])
        sim = _SIMULATORS[host["mta"]](
            seed=host["seed"],
            start=own_start,
            days=days,
            host=host["host"],
            incidents=host["incidents"],
            messages_per_day=host["messages_per_day"],
            target_lines=None,
        )
        sink = _DaySplitter(folder, host["mta"], own_start)
        try:
            truth = sim.run(sink)
        finally:
            sink.close()
        files = _rotate(sink.days, base, own_start + timedelta(days=days))
        truths[host["host"]] = truth
        entries[host["host"]] = {**host, "files": files, "truth": truth}
        if progress is not None:
            progress(host["host"], truth)
    result = {
        "seed": seed,
        "start": start.isoformat(),
        "days": days,
        "fleet": _fleet_truth(plan, truths),
        "hosts": entries,
    }
    if truth_path is not None:
        with open(truth_path, "w", encoding="utf-8", newline="\n") as f:
            json.dump(result, f, indent=2)
            f.write("\n")
    return result
