"""Reading only some hosts (`--host mx1,mx2`, `hosts=`) and reading a fleet's directory
as if it were one dataset: what `analyzer.api` opens before a report reads its window.

`open_data(data)` is `data` itself for a dataset, the fleet's snapshot
(`reading.fleet_snapshot`) for a fleet's directory. `only_hosts(snap, hosts)` keeps the
rows whose `host` is one of `hosts`: a fleet reads only those hosts' sub-datasets, and
every read keeps only their rows in Arrow, before any conversion to pandas."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ..dataset.checkpoint import Part
from ..dataset.reading import Window, data_dir, snapshot
from ..dataset.store import Snapshot
from ..schema import TABLES
from .layout import is_fleet
from .reading import FleetSnapshot, fleet_snapshot


def parse_hosts(hosts: str | Iterable[str] | None) -> list[str] | None:
    """`mx1,mx2` (or a list of names) as the sorted distinct names; None: every host."""
    if hosts is None:
        return None
    names = hosts.split(",") if isinstance(hosts, str) else list(hosts)
    return sorted({n.strip() for n in names if n.strip()})


def open_data(data):
    """A fleet's directory as its snapshot; anything else unchanged."""
    if isinstance(data, Snapshot):
        return data
    root = data_dir(data)
    return fleet_snapshot(root) if is_fleet(root) else data


class HostSnapshot(Snapshot):
    """A snapshot's rows of some hosts only (and the open entries of those hosts)."""

    def __init__(self, inner: Snapshot, hosts: list[str]):
        super().__init__(inner.dataset, inner.state)
        self.inner = inner
        self.hosts = hosts
        self._wanted = pa.array(hosts, type=pa.string())

    def parts(self, table: str, start: date | None = None, end: date | None = None) -> list[Path]:
        return self.inner.parts(table, start, end)

    def read(
        self,
        table: str,
        since: datetime | None = None,
        until: datetime | None = None,
        columns: list[str] | None = None,
    ) -> pa.Table:
        wanted = columns if columns is None or "host" in columns else [*columns, "host"]
        arrow = self.inner.read(table, since, until, wanted)
        arrow = arrow.filter(pc.is_in(arrow["host"], value_set=self._wanted))
        return arrow if wanted is columns else arrow.drop_columns(["host"])

    def open_entries(
        self, part: Part, field: str | None = None, lo: int | None = None, hi: int | None = None
    ) -> Iterator:
        keep = set(self.hosts)
        return (
            e
            for e in self.inner.open_entries(part, field, lo, hi)
            if not isinstance(e, dict) or "host" not in e or e["host"] in keep
        )

    def open_count(self, part: Part) -> int:
        return sum(1 for _ in self.open_entries(part))


def only_hosts(snap: Snapshot, hosts: list[str]) -> HostSnapshot:
    """`snap` read for `hosts` only; of a fleet, only those hosts' sub-datasets are read."""
    if isinstance(snap, FleetSnapshot):
        snap = FleetSnapshot(snap.root, {h: s for h, s in snap.hosts.items() if h in hosts})
    return HostSnapshot(snap, hosts)


def known_hosts(snap: Snapshot) -> list[str]:
    """The hosts a dataset (a fleet: its sub-datasets) has rows of, sorted."""
    if isinstance(snap, FleetSnapshot):
        return sorted(snap.hosts)
    found: set[str] = set()
    for name in TABLES:
        column = snap.read(name, columns=["host"])["host"]
        found.update(h for h in pc.unique(column).to_pylist() if h)
    return sorted(found)


def unknown_hosts_note(snap: Snapshot, hosts: list[str]) -> str | None:
    """One line when some of `hosts` are not in the dataset: which, and the hosts it has."""
    known = known_hosts(snap)
    unknown = [h for h in hosts if h not in known]
    if not unknown:
        return None
    has = ", ".join(known) if known else "none"
    return f"no host {', '.join(unknown)} in the dataset; its hosts: {has}"


def fleet_status(data: str | os.PathLike) -> dict:
    """Per-host totals of a fleet: messages, sources and the last line read, the commit."""
    from ..dataset.status import status

    snap = fleet_snapshot(data)
    hosts = {}
    for host, sub in snap.hosts.items():
        info = status(sub)
        lasts = [s["last_line"] for s in info["sources"] if s["last_line"]]
        hosts[host] = {
            "messages": info["tables"]["messages"]["rows"],
            "sources": len(info["sources"]),
            "last_line": max(lasts) if lasts else None,
            "commit": info["commit"],
        }
    return {"data": str(data_dir(data)), "fleet": True, "hosts": hosts}


def opened(data, hosts: str | Iterable[str] | None):
    """`data` as a report reads it: a fleet's directory as its snapshot, and with
    `hosts` a snapshot of their rows only."""
    data, chosen = open_data(data), parse_hosts(hosts)
    return data if chosen is None else only_hosts(snapshot(data), chosen)


def window_of(data, since, until, tz, hosts: str | Iterable[str] | None) -> Window:
    """A report's window (`dataset.reading.Window`) of a dataset, a fleet's directory or
    a snapshot; with `hosts`, of their rows only."""
    win = Window(open_data(data), since, until, tz)
    chosen = parse_hosts(hosts)
    if chosen is not None:
        win.snap = only_hosts(win.snap, chosen)
    return win


def unknown_hosts(data, hosts: str | Iterable[str] | None) -> str | None:
    """The note when some of `hosts` are not in `data` (see `unknown_hosts_note`)."""
    chosen = parse_hosts(hosts)
    return None if chosen is None else unknown_hosts_note(snapshot(open_data(data)), chosen)


def empty_window_note(what: str, data, since, until, tz) -> str:
    """What to say when a window of `data` (a dataset, a fleet's directory, a snapshot)
    holds no `what`: the window and what the dataset covers (`api.empty_window`)."""
    from ..dataset.reading import zone
    from ..dataset.status import span
    from ..dataset.timewindow import window

    lo, hi = window(since, until, zone(tz))
    first, last = span(open_data(data))  # without pandas: the CLI's Arrow paths say it
    if last is None:
        return f"no {what}: the dataset is empty"
    held = f"covers {first:%Y-%m-%d} to {last:%Y-%m-%d}"
    if lo is None and hi is None:
        return f"no {what} in the dataset; it {held}"
    return f"no {what} {Window.describe(lo, hi)}; the dataset {held}"
