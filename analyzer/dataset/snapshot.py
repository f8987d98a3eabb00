"""One committed state of a dataset, read once: what every read of one report or API call
goes through, so that it sees the parts and the open rows of one commit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import checkpoint
from .checkpoint import Part
from .openstate import OpenStore
from .pins import Pin

if TYPE_CHECKING:
    import pyarrow as pa

    from .store import Dataset


@dataclass(frozen=True)
class Reduction:
    """A report's aggregate of a table computed piece by piece: `chunk(arrow)` sums up
    some rows (any part of the table, in any order), `combine([chunks])` merges such
    sums into one of the same kind. `combine([chunk(rows)])` is the aggregate of `rows`,
    and combining the chunks of any split of the rows gives the same answer: that is
    what lets a cluster compute chunks per part file on its workers and merge them
    there, tree-wise, sending the client only the final sum."""

    chunk: Callable[[pa.Table], Any]
    combine: Callable[[list], Any]


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

    def select(
        self,
        table: str,
        since: datetime | None = None,
        until: datetime | None = None,
        columns: list[str] | None = None,
        where: Callable[[pa.Table], Any] | None = None,
    ) -> pa.Table:
        """`read`'s rows for which `where(arrow) -> boolean mask` holds. `where` must
        judge each row by itself alone (a cluster's snapshot applies it part by part)."""
        arrow = self.read(table, since, until, columns)
        return arrow if where is None else arrow.filter(where(arrow))

    def reduce(
        self,
        table: str,
        reduction: Reduction,
        since: datetime | None = None,
        until: datetime | None = None,
        columns: list[str] | None = None,
    ) -> Any:
        """`reduction` of `read`'s rows (a cluster's snapshot reduces part by part)."""
        return reduction.combine([reduction.chunk(self.read(table, since, until, columns))])

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
