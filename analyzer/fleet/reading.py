"""Reading a fleet's dataset as one: every host's sub-dataset (`DATA/hosts/<host>/`) from
one snapshot each, taken once per call, their rows put together.

Each host's snapshot is that host's last commit; hosts are independent series (nothing is
correlated across them), so the union of the hosts' committed states is a consistent
fleet. Pass the dict of `snapshots` to several calls to read them all from the same
commits while ingests go on."""

from __future__ import annotations

import os

import pandas as pd

from ..dataset.reading import snapshot, table
from ..dataset.store import Snapshot
from ..errors import AnalyzerError
from .layout import fleet_hosts, host_dataset


def snapshots(data: str | os.PathLike) -> dict[str, Snapshot]:
    """Host -> its sub-dataset's snapshot, all taken now."""
    hosts = fleet_hosts(data)
    if not hosts:
        raise AnalyzerError(f"{data}: no fleet dataset (no hosts/<host>/ in it)")
    return {host: snapshot(host_dataset(data, host)) for host in hosts}


def fleet_table(
    name: str,
    data: str | os.PathLike | dict[str, Snapshot],
    since=None,
    until=None,
    tz: str | None = None,
    columns: list[str] | None = None,
    include_open: bool = True,
) -> pd.DataFrame:
    """One table of every host, as `dataset.reading.table` gives it per host, in host
    order (the rows of one host keep their order)."""
    snaps = data if isinstance(data, dict) else snapshots(data)
    frames = [
        # table() reads a Snapshot given as `data` (its docstring); its annotation omits it
        table(name, snap, since, until, tz, columns, include_open)  # type: ignore[arg-type]
        for snap in snaps.values()
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
