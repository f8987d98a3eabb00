"""The correlator's open state on disk: `DATA/_state/open.sqlite`, so that a commit writes
what changed since the last one, not everything still open.

Generic over the correlator's state (`Correlator.state()`: top-level key -> value): a
value that is a `Keyed` dict is stored one row per entry and only its touched entries
are written; any other value is stored as one row, written again only when it changed.
A new key in the state needs no change here.

Every row carries the commit that wrote it (`born`) and the commit that replaced or
removed it (`died`), like parts carry their commit number. `state.json` stays the one
switch that makes a commit visible (see `store`): a reader at commit C sees the rows
born at or before C that had not died by C, so a commit in progress, or one that died
before its checkpoint was written, is invisible; the next writer removes it
(`rollback`). A save forgets the versions no longer visible at the previous commit;
`oldest` says from which commit on the history is whole, and a reader whose checkpoint
is older reads the checkpoint again (it has read nothing yet). SQLite's WAL mode lets
readers keep their snapshot while a writer commits.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

FILE = "open.sqlite"
_WHOLE = ""  # the key of a value stored in one row (an entry's key is JSON, never empty)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entry (
    kind  TEXT NOT NULL,     -- top-level key of the correlator's state
    key   TEXT NOT NULL,     -- JSON of the entry's key, '' for a value kept whole
    seq   INTEGER NOT NULL,  -- position: the dict's order survives the round trip
    value TEXT NOT NULL,     -- JSON
    born  INTEGER NOT NULL,  -- the commit that wrote this version
    died  INTEGER,           -- the commit that replaced or removed it; NULL: current
    PRIMARY KEY (kind, key, born)
);
CREATE INDEX IF NOT EXISTS entry_born ON entry (born);
CREATE INDEX IF NOT EXISTS entry_died ON entry (died) WHERE died IS NOT NULL;
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class Stale(Exception):
    """The versions of the commit asked for were forgotten: read the checkpoint again."""


class Keyed(dict):
    """A dict that remembers which of its entries changed since it was last saved, so a
    commit writes only those. An entry is counted as changed when it is reached by key
    (`d[k]`, `d.get(k)`, ...: the caller may change it in place), set or removed;
    iterating (`items()`, `values()`) does not count, so change entries reached that way
    only after reaching them by key. Keys are strings, numbers or tuples of them."""

    __slots__ = ("touched", "moved", "synced")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.touched: set = set()  # reached, set or removed since the last save
        self.moved: dict = {}  # (re)inserted since the last save, in insertion order
        self.synced = False  # the store holds every entry as of the last save

    def __getitem__(self, key):
        value = dict.__getitem__(self, key)
        self.touched.add(key)
        return value

    def get(self, key, default=None):
        value = dict.get(self, key, _MISSING)
        if value is _MISSING:
            return default
        self.touched.add(key)
        return value

    def __setitem__(self, key, value):
        if not dict.__contains__(self, key):
            self.moved[key] = None  # a new entry goes last, as in the dict
        self.touched.add(key)
        dict.__setitem__(self, key, value)

    def __delitem__(self, key):
        dict.__delitem__(self, key)
        self.touched.add(key)
        self.moved.pop(key, None)

    def pop(self, key, *default):
        if dict.__contains__(self, key):
            self.touched.add(key)
            self.moved.pop(key, None)
        return dict.pop(self, key, *default)

    def setdefault(self, key, default=None):
        if not dict.__contains__(self, key):
            self[key] = default
        return self[key]

    def update(self, *args, **kwargs):
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def popitem(self):
        key, value = dict.popitem(self)
        self.touched.add(key)
        self.moved.pop(key, None)
        return key, value

    def clear(self):
        self.touched.update(self)
        self.moved.clear()
        dict.clear(self)

    def saved(self) -> None:
        self.touched.clear()
        self.moved.clear()
        self.synced = True


_MISSING = object()


def _key_text(key) -> str:
    return json.dumps(list(key) if isinstance(key, tuple) else key, separators=(",", ":"))


def _dumps(value) -> str:
    return json.dumps(value, separators=(",", ":"))


_BATCH = 2_000  # rows decoded by one json.loads


def _decode(texts) -> list:
    """JSON texts -> values, in one call: the decoder then shares the dict keys among
    them (decoded one by one, 100k messages took twice the memory)."""
    return json.loads("[" + ",".join(texts) + "]")


class OpenStore:
    """`DATA/_state/open.sqlite`: the open state of each commit (see the module doc)."""

    def __init__(self, state_dir: str | os.PathLike, readonly: bool = False):
        import sqlite3

        self.path = Path(state_dir) / FILE
        if readonly:  # reads only; a plain connection can set up WAL's shared memory
            if not self.path.is_file():
                raise FileNotFoundError(self.path)
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")  # durable as the fsynced parts
            self.db.executescript(_SCHEMA)
        self._texts: dict[str, str] | None = None  # kind -> JSON of a whole value, as saved
        self._entry_kinds: set[str] = set()  # kinds saved one row per entry
        # kind -> the keys of its entries the store holds now (known with `_texts`): an
        # entry that came and went between two saves has no row to end
        self._live: dict[str, set] = {}
        self._next_seq = 0

    def close(self) -> None:
        self.db.close()

    # --- the writer ---------------------------------------------------------------------
    def rollback(self, commit: int) -> None:
        """Forget what commits after `commit` wrote (a run that died before its
        checkpoint): the store is then as `commit` left it."""
        with _transaction(self.db):
            self.db.execute("DELETE FROM entry WHERE born > ?", (commit,))
            self.db.execute("UPDATE entry SET died = NULL WHERE died > ?", (commit,))

    def oldest(self) -> int:
        """The oldest commit the store can roll back to (0: any)."""
        row = self.db.execute("SELECT value FROM meta WHERE name = 'oldest'").fetchone()
        return row[0] if row is not None else 0

    def last_commit(self) -> int:
        """The highest commit that wrote a row (0: none)."""
        return self.db.execute("SELECT max(born) FROM entry").fetchone()[0] or 0

    def load(self) -> dict:
        """The current open state (after `rollback`): entries of a kind as a `Keyed` dict
        in their order, whole values as they were saved."""
        state: dict = {}
        texts: dict[str, str] = {}
        cursor = self.db.execute(
            "SELECT kind, key, value, seq FROM entry WHERE died IS NULL ORDER BY kind, seq"
        )
        seq = -1
        while rows := cursor.fetchmany(_BATCH):
            values = _decode(r[2] for r in rows)
            keys = _decode(r[1] or "null" for r in rows)
            for (kind, key, text, seq_), key_value, value in zip(rows, keys, values):
                seq = max(seq, seq_)
                if key == _WHOLE:
                    state[kind] = value
                    texts[kind] = text
                    continue
                entries = state.get(kind)
                if entries is None:
                    entries = state[kind] = Keyed()
                    entries.synced = True
                if isinstance(key_value, list):
                    key_value = tuple(key_value)
                dict.__setitem__(entries, key_value, value)
        self._texts = texts
        self._entry_kinds = {k for k, v in state.items() if isinstance(v, Keyed)}
        self._live = {k: set(v) for k, v in state.items() if isinstance(v, Keyed)}
        self._next_seq = seq + 1
        return state

    def save(self, commit: int, state: dict) -> None:
        """Write the open state of `commit` in one transaction: touched entries of `Keyed`
        values, whole values that changed; what a kind no longer holds dies. The first
        save of a store that was not loaded writes everything."""
        db = self.db
        # copies: what is known of the store changes only if the transaction commits
        texts = None if self._texts is None else dict(self._texts)
        entry_kinds = set(self._entry_kinds)
        live: dict[str, set] = {}  # kind -> its stored keys after this save
        changed: list[Keyed] = []
        with _transaction(db):
            if texts is None:  # nothing known of what is stored: replace it all
                db.execute("UPDATE entry SET died = ? WHERE died IS NULL", (commit,))
                texts, entry_kinds = {}, set()
                self._next_seq = (db.execute("SELECT max(seq) FROM entry").fetchone()[0] or 0) + 1
            for kind in [k for k in [*texts, *entry_kinds] if k not in state]:
                self._kill(kind, commit)
                texts.pop(kind, None)
                entry_kinds.discard(kind)
            for kind, value in state.items():
                if isinstance(value, Keyed):
                    if value.synced and kind in entry_kinds:
                        live[kind] = self._write_changes(kind, value, commit)
                    else:
                        self._kill(kind, commit)
                        self._insert(kind, value.keys(), value, commit)
                        live[kind] = set(value.keys())
                    texts.pop(kind, None)
                    entry_kinds.add(kind)
                    changed.append(value)
                    continue
                entry_kinds.discard(kind)
                text = _dumps(value)
                if texts.get(kind) != text:
                    self._kill(kind, commit)
                    db.execute(
                        "INSERT INTO entry VALUES (?, ?, ?, ?, ?, NULL)",
                        (kind, _WHOLE, self._seq(), text, commit),
                    )
                    texts[kind] = text
            # versions invisible at the previous commit are needed by no reader that
            # is not told to start again (`oldest`) and by no rollback
            db.execute("DELETE FROM entry WHERE died <= ?", (commit - 1,))
            db.execute("INSERT OR REPLACE INTO meta VALUES ('oldest', ?)", (commit - 1,))
        self._texts, self._entry_kinds = texts, entry_kinds
        self._live = {k: keys for k, keys in {**self._live, **live}.items() if k in entry_kinds}
        for value in changed:
            value.saved()

    def _seq(self) -> int:
        self._next_seq += 1
        return self._next_seq - 1

    def _kill(self, kind: str, commit: int) -> None:
        self.db.execute("UPDATE entry SET died = ? WHERE kind = ? AND died IS NULL", (commit, kind))

    def _insert(self, kind: str, keys, value: dict, commit: int) -> None:
        self.db.executemany(
            "INSERT INTO entry VALUES (?, ?, ?, ?, ?, NULL)",
            [
                (kind, _key_text(k), self._seq(), _dumps(dict.__getitem__(value, k)), commit)
                for k in keys
            ],
        )

    def _write_changes(self, kind: str, value: Keyed, commit: int) -> set:
        """Write the touched entries of `kind`; the keys it holds after (a new set:
        the store's own changes only once the transaction commits)."""
        db = self.db
        stored = self._live.get(kind, set())
        moved, has = value.moved, value.__contains__
        in_place = [k for k in value.touched if k not in moved and has(k)]
        # of the entries replaced or removed, only stored ones have a row to end: the
        # compiled engine reports every message it saw since the last commit (175k per
        # 2M lines, nearly all gone again), and looking each up took a second
        replaced = [k for k in value.touched if (k in moved or not has(k)) and k in stored]
        # an entry changed in place keeps its position (seq)
        db.executemany(
            "INSERT INTO entry (kind, key, seq, value, born) "
            "SELECT kind, key, seq, ?, ? FROM entry "
            "WHERE kind = ? AND key = ? AND died IS NULL",
            [(_dumps(dict.__getitem__(value, k)), commit, kind, _key_text(k)) for k in in_place],
        )
        db.executemany(
            "UPDATE entry SET died = ?1 WHERE kind = ?2 AND key = ?3 "
            "AND died IS NULL AND born < ?1",
            [(commit, kind, _key_text(k)) for k in in_place + replaced],
        )
        # entries (re)inserted since the last save go last, in their order
        inserted = [k for k in moved if dict.__contains__(value, k)]
        self._insert(kind, inserted, value, commit)
        return (stored - value.touched).union(in_place, inserted)

    # --- readers ------------------------------------------------------------------------
    def begin_read(self, commit: int) -> None:
        """Pin this connection's view (a read transaction: later commits do not change
        what it sees); `Stale` when the versions of `commit` are gone."""
        self.db.execute("BEGIN")
        if commit < self.oldest():
            self.db.execute("ROLLBACK")
            raise Stale(commit)

    def entries(
        self,
        commit: int,
        kind: str,
        field: str | None = None,
        lo: int | None = None,
        hi: int | None = None,
    ) -> Iterator:
        """The entries of `state()[kind]` at `commit`, in no set order: of a kind kept
        per entry only those whose `field` is in [lo, hi) when given (filtered here, so
        a reader decodes only what it asked for); the items of a whole list value."""
        sql = (
            "SELECT key, value FROM entry WHERE kind = ? AND born <= ? "
            "AND (died IS NULL OR died > ?)"
        )
        args: list = [kind, commit, commit]
        if field is not None:
            path = "$." + field
            if lo is not None:
                sql += " AND (key = '' OR json_extract(value, ?) >= ?)"
                args += [path, lo]
            if hi is not None:
                sql += " AND (key = '' OR json_extract(value, ?) < ?)"
                args += [path, hi]
        cursor = self.db.execute(sql, args)  # in no order: readers need none
        while rows := cursor.fetchmany(_BATCH):
            for (key, _), value in zip(rows, _decode(r[1] for r in rows)):
                if key != _WHOLE:
                    yield value
                else:
                    yield from value if isinstance(value, list) else [value]

    def count(self, commit: int, kind: str) -> int:
        """How many entries `kind` held at `commit` (the length of a whole list)."""
        row = self.db.execute(
            "SELECT sum(CASE WHEN key = '' THEN json_array_length(value) ELSE 1 END) "
            "FROM entry WHERE kind = ? AND born <= ? AND (died IS NULL OR died > ?)",
            (kind, commit, commit),
        ).fetchone()
        return row[0] or 0


class _transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on an exception."""

    def __init__(self, db):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind, exc, tb):
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
