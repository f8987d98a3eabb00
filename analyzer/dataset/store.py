"""A dataset directory and its commits: the facade of the dataset layer.

    DATA/<table>/date=YYYY-MM-DD/part-<commit>-<seq>.parquet   parts (`parts`, `writer`)
    DATA/_state/state.json                                     the checkpoint (`checkpoint`)
    DATA/_state/open.sqlite                                    the open state (`openstate`)
    DATA/.lock                                                 the writing run's (`lock`)
    DATA/_state/writing, DATA/_orphaned/                       what dead runs left (`recovery`)

Crash safety: a writer first notes the commit number it is about to write
(`_state/writing`), then writes parts under a temporary name, fsynced and renamed into
place; the open state's changes are saved under the same commit number (`openstate`);
then the checkpoint naming that commit number replaces the old one atomically (the one
switch), and the note is removed. Readers never look at parts or open-state rows above
the checkpoint's commit (`snapshot`). Before the next run writes, parts of the noted
commit are provably the debris of a run that died before committing and are deleted (its
open-state rows are rolled back); any other part above the checkpoint's commit
(state.json deleted, or restored from an older backup) is moved aside to `_orphaned/`,
never deleted (`recovery`). A run that fails removes its own uncommitted parts.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from ..schema import TABLES
from . import checkpoint
from .errors import LockHeld, NoDataset, PartsMissing, StoreError
from .lock import Lock
from .openstate import FILE as OPEN_FILE
from .openstate import OpenStore, Stale
from .pins import Pin
from .recovery import Recovery, Uncommitted
from .snapshot import Snapshot
from .writer import PartWriter

__all__ = [
    "Dataset",
    "Lock",
    "LockHeld",
    "NoDataset",
    "PartWriter",
    "PartsMissing",
    "Snapshot",
    "StoreError",
    "Uncommitted",
]


class Dataset(Recovery):
    """A dataset directory: its checkpoint (`checkpoint`), committed parts (`parts`),
    what dead runs left (`recovery`), and the writing run's commit."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self._open_store: OpenStore | None = None  # the writer's, once opened

    # --- reading ------------------------------------------------------------------------
    def state(self) -> dict:
        """The checkpoint (`checkpoint.read`). `correlator`: the open state of a version 1
        checkpoint (held inline), else None (it is in open.sqlite: `open_state`,
        `snapshot`)."""
        return checkpoint.read(self.root)

    def state_commit(self) -> int:
        """The commit number of the checkpoint on disk (0: none or unreadable)."""
        try:
            return self.state()["commit"]
        except (StoreError, KeyError, TypeError):
            return 0

    def exists(self) -> bool:
        return (self.root / "_state" / checkpoint.FILE).exists()

    def snapshot(self) -> Snapshot:
        """The committed state of the dataset now; read from it, a report sees the parts
        and the open rows of one commit however many commits happen meanwhile."""
        pin = Pin(self.root / "_state")  # before the checkpoint is read (see `pins`)
        for _ in range(100):
            state = self.state()
            if checkpoint.inline_open_state(state) is not None:
                return Snapshot(self, state, pin=pin)  # a version 1 checkpoint: open state inline
            try:
                with _open_state_errors(self.root, "read"):
                    store = OpenStore(self.root / "_state", readonly=True)
            except FileNotFoundError:
                if state["commit"] == 0:
                    return Snapshot(self, state, pin=pin)
                raise StoreError(
                    f"{self.root}: the checkpoint's open state (_state/{OPEN_FILE}) is missing"
                ) from None
            try:
                with _open_state_errors(self.root, "read"):
                    store.begin_read(state["commit"])
            except Stale:  # commits went on between the two reads: read the new one
                store.close()
                continue
            return Snapshot(self, state, store, pin)
        raise StoreError(f"{self.root}: commits follow each other too fast to read one")

    # --- writing ------------------------------------------------------------------------
    def lock(self, wait: float = 0.0) -> Lock:
        return Lock(self.root / ".lock", wait)

    def writer(self, commit: int) -> PartWriter:
        return PartWriter(self, commit)

    def open_state(self, state: dict) -> dict:
        """The correlator's open state at the checkpoint `state`, for the writing run
        (holding the lock): what a run that died after it wrote is forgotten first."""
        inline = checkpoint.inline_open_state(state)
        if inline is not None:
            return inline
        with _open_state_errors(self.root, "read"):
            return self._store(state["commit"]).load()

    def _store(self, committed: int) -> OpenStore:
        """The writer's open store, as checkpoint `committed` left it."""
        if self._open_store is None:
            store = OpenStore(self.root / "_state")
            store.rollback(committed)
            self._open_store = store
        return self._open_store

    def commit(self, state: dict) -> None:
        """Commit `state["commit"]` (its parts are written): save the correlator's open
        state (`state["correlator"]`: `Correlator.state()`, or None when this run did not
        change it) under that number, then atomically replace the checkpoint."""
        d = self.root / "_state"
        d.mkdir(parents=True, exist_ok=True)
        number = state["commit"]
        open_state = state.get("correlator")
        created = not (d / OPEN_FILE).exists()
        with _open_state_errors(self.root, "write"):
            # opening the store undoes a dead run's commit even when this run changes nothing
            store = self._store(number - 1)
            if open_state is not None or created:
                store.save(number, open_state or {})
        checkpoint.write(d, state)
        self.clear_note()

    def tables_missing(self) -> list[str]:
        """The tables without their schema file yet (`ensure_tables` writes it)."""
        return [n for n in TABLES if not (self.root / n / "_common_metadata").exists()]

    def ensure_tables(self) -> None:
        """Every table exists, with its schema, even before it has a row: readers that
        open the dataset (pandas, DuckDB, Spark) find each table and its columns."""
        missing = self.tables_missing()
        if not missing:
            return  # so a run with nothing new to read never imports pyarrow
        import pyarrow.parquet as pq

        for name in missing:
            d = self.root / name
            d.mkdir(parents=True, exist_ok=True)
            tmp = d / "_common_metadata.tmp"
            pq.write_metadata(TABLES[name].arrow_schema, tmp)
            os.replace(tmp, d / "_common_metadata")


@contextmanager
def _open_state_errors(root: Path, action: str):
    """SQLite's errors (disk full, no write access for WAL's shared memory, a damaged
    file) as one line naming the file."""
    import sqlite3

    try:
        yield
    except sqlite3.Error as e:
        raise StoreError(f"{root}: cannot {action} the open state (_state/{OPEN_FILE}): {e}") from e
