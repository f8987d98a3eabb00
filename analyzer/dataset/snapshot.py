"""One committed state of a dataset, read once: what every read of one report or API call
goes through, so that it sees the parts and the open rows of one commit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from . import checkpoint
from .checkpoint import Part
from .openstate import OpenStore
from .pins import Pin

if TYPE_CHECKING:
    from .store import Dataset


class Snapshot:
    """One committed state of a dataset, read once: the checkpoint, and through its
    commit number the parts it covers. Parts of a commit are never rewritten and later
    commits only add parts with higher numbers, so a snapshot stays readable while other
    runs commit; a compaction's checkpoint names the parts it merged `superseded`, and
    they are deleted only when no snapshot holds a pin (`pins`). The correlator's open
    rows come from the same checkpoint. Every read of one report or API call goes through
    one snapshot."""

    def __init__(
        self,
        dataset: Dataset,
        state: dict,
        store: OpenStore | None = None,
        pin: Pin | None = None,
    ):
        self.dataset = dataset
        self.state = state
        self.commit: int = state["commit"]
        self._store = store  # pinned at this commit (`OpenStore.begin_read`)
        self._pin = pin  # keeps this commit's parts from a compaction's deletion

    @property
    def root(self) -> Path:
        return self.dataset.root

    def parts(self, table: str, start: date | None = None, end: date | None = None) -> list[Path]:
        return self.dataset.parts(table, start, end, state=self.state)

    def read(
        self,
        table: str,
        since: datetime | None = None,
        until: datetime | None = None,
        columns: list[str] | None = None,
    ) -> pa.Table:
        return self.dataset.read(table, since, until, columns, state=self.state)

    def open_entries(
        self, part: Part, field: str | None = None, lo: int | None = None, hi: int | None = None
    ) -> Iterator:
        """The entries of an open-state `part` (`checkpoint.PARTS`) the correlator held at
        this commit (a list value's items), those with `field` in [lo, hi) where the
        store can tell."""
        if self._store is not None:
            return self._store.entries(self.commit, part.key, field, lo, hi)
        return iter(checkpoint.inline_entries(self.state, part))

    def open_count(self, part: Part) -> int:
        """How many entries an open-state `part` held at this commit."""
        if self._store is not None:
            return self._store.count(self.commit, part.key)
        return len(checkpoint.inline_entries(self.state, part))
