"""Reading a fleet's dataset as one: every host's sub-dataset (`DATA/hosts/<host>/`) from
one snapshot each, taken together, their rows put together.

Each host's snapshot is that host's last commit; hosts are independent series (nothing is
correlated across them), so the union of the hosts' committed states is a consistent
fleet. `fleet_snapshot(DATA)` is that union as a `dataset.store.Snapshot`: what reads a
snapshot's parts and open rows (`dataset.reading.table`, so `api.table(name,
data=fleet_snapshot(DATA))`) reads the whole fleet through it, from the same commits
however many ingests go on meanwhile."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, datetime
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from ..dataset.checkpoint import Part
from ..dataset.reading import table
from ..dataset.store import Dataset, Snapshot
from ..errors import AnalyzerError
from ..schema import TABLES
from .layout import fleet_hosts, host_dataset

if TYPE_CHECKING:  # only a type here: `top-senders` reads a fleet without importing pandas
    import pandas as pd


class FleetSnapshot(Snapshot):
    """The hosts' snapshots read as one: parts, rows and open rows of every host, in
    host order. `root` is the fleet's DATA; `hosts` maps each host to its snapshot."""

    def __init__(self, data: str | os.PathLike, hosts: dict[str, Snapshot]):
        super().__init__(Dataset(data), {"commit": 0, "correlator": None, "hosts": {}})
        self.hosts = hosts
        self.state["hosts"] = {host: snap.commit for host, snap in hosts.items()}

    def parts(self, table: str, start: date | None = None, end: date | None = None) -> list[Path]:
        return [p for snap in self.hosts.values() for p in snap.parts(table, start, end)]

    def read(
        self,
        table: str,
        since: datetime | None = None,
        until: datetime | None = None,
        columns: list[str] | None = None,
    ) -> pa.Table:
        tables = [snap.read(table, since, until, columns) for snap in self.hosts.values()]
        if not tables:  # no host chosen (`fleet.hosts.only_hosts` of unknown hosts)
            empty = TABLES[table].arrow_schema.empty_table()
            return empty.select(columns) if columns is not None else empty
        return pa.concat_tables(tables)

    def open_entries(
        self, part: Part, field: str | None = None, lo: int | None = None, hi: int | None = None
    ) -> Iterator:
        return chain.from_iterable(
            snap.open_entries(part, field, lo, hi) for snap in self.hosts.values()
        )

    def open_count(self, part: Part) -> int:
        return sum(snap.open_count(part) for snap in self.hosts.values())


def fleet_snapshot(data: str | os.PathLike) -> FleetSnapshot:
    """Every host's snapshot under `data`, taken now."""
    hosts = fleet_hosts(data)
    if not hosts:
        raise AnalyzerError(f"{data}: no fleet dataset (no hosts/<host>/ in it)")
    return FleetSnapshot(data, {h: Dataset(host_dataset(data, h)).snapshot() for h in hosts})


def fleet_table(
    name: str,
    data: str | os.PathLike | FleetSnapshot,
    since=None,
    until=None,
    tz: str | None = None,
    columns: list[str] | None = None,
    include_open: bool = True,
) -> pd.DataFrame:
    """One table of every host, as `dataset.reading.table` gives one dataset's (each
    host's rows together, hosts in order)."""
    snap = data if isinstance(data, FleetSnapshot) else fleet_snapshot(data)
    return table(name, snap, since, until, tz, columns, include_open)
