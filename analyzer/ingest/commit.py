"""What a run has read but not committed, and the commit that makes it durable.

`Committer` holds the run's part writer, the correlator (its open state loaded from the
checkpoint when the first new line comes), the per-program counts and the checkpoint
(`state`) as it will be written. `commit` settles the correlator, writes the parts, then
the checkpoint (`Dataset.commit`: that order is what makes a `kill -9` safe), then the
`--cursor-file` copies. Before any of it, `set_aside_uncommitted` moves what a crashed
run left behind out of the way.
"""

from __future__ import annotations

import functools
import gc
import os
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..dataset import checkpoint
from ..dataset.store import Dataset, PartWriter
from ..errors import AnalyzerError
from ..read.checkpoints import new_checkpoint_key
from ..read.sources import Source
from .summary import IngestSummary
from .warm_up import WarmUp

if TYPE_CHECKING:
    from ..correlate import Correlator, Passwd

JOURNAL = "journal:"  # checkpoint key prefix of a journal on stdin: + the cursor file's path


class Committer:
    def __init__(
        self,
        ds: Dataset,
        state: dict,
        local_ips: frozenset[str],
        summary: IngestSummary,
        commit_lines: int,
        passwd: Passwd | None = None,
        mta_in_run: bool = True,
        php_host_assumed: bool = False,
        expected_hosts: Callable[[], dict[str, list[int]]] = dict,
    ):
        """`expected_hosts`: the MTA hosts the run's files cover (`plan.mta_hosts`),
        worked out (from their first lines) when a correlator is made."""
        self.ds = ds
        self.commit_lines = commit_lines
        self.state = state
        self.summary = summary
        self.writer: PartWriter = ds.writer(state["commit"] + 1)
        self.warm_up = WarmUp(ds)  # started by the compiled engine's first batch
        # PHP entries wait for their submissions only when an MTA log is (or was) read
        hold_php = mta_in_run or bool(state.get("mta_seen"))
        self.state["mta_seen"] = hold_php
        self._local_ips = local_ips
        self._passwd = passwd
        self._hold_php = hold_php
        self._php_host_assumed = php_host_assumed
        self._expected_hosts = functools.cache(expected_hosts)
        self._correlator: Correlator | None = None
        self.programs: Counter[str] = Counter(state["programs"])
        self.beside: Counter[str] = Counter()  # since the last commit
        self.beside_total: Counter[str] = Counter()  # this run
        self.since_commit = 0
        self.cursor_files: dict[str, str] = {}  # written after the next commit

    @property
    def correlator(self) -> Correlator:
        """Made from the checkpoint's open state when the first new line comes: a run
        with nothing new to read never loads it."""
        if self._correlator is None:
            from ..correlate import Correlator  # when a line comes (see run.py's imports)

            self._correlator = Correlator(
                self._add,
                self._local_ips,
                self.ds.open_state(self.state),
                passwd=self._passwd,
                hold_php=self._hold_php,
                php_host_assumed=self._php_host_assumed,
            )
            self._correlator.expect_hosts(self._expected_hosts())
            # what was just loaded lives long: the commits' collections skip it (100k
            # open messages took 0.5 s to walk) until the run ends (see run._gc_paused)
            gc.freeze()
        return self._correlator

    @property
    def loaded_correlator(self) -> Correlator | None:
        """The correlator if a line was read (else its open state was never loaded)."""
        return self._correlator

    def _add(self, table: str, row: dict) -> None:
        if table == "messages" and row.get("filter_of"):
            self.summary.reinjected += 1
        self.writer.add(table, row)

    def checkpoint_file(
        self,
        key: str | None,
        src: Source,
        end: int,
        year: int | None,
        last_month: int,
        last_ts: int | None,
    ) -> str:
        """Record that `src` was read up to decompressed byte `end`; its checkpoint's key
        (a new one for a new source)."""
        key = key or new_checkpoint_key(src, self.state["sources"])
        self.state["sources"][key] = {
            "path": src.path,
            "offset": end,
            "size": src.size,
            "mtime": src.mtime,
            "dev": src.dev,
            "inode": src.inode,
            "compressed": src.compression,
            "prefix": src.prefix(end),
            "year": year,
            "last_month": last_month,
            "last_ts": last_ts,
        }
        return key

    def checkpoint_journal(self, key: str, cursor: str, last_ts: int | None) -> None:
        """Record that a journal on stdin was read up to entry `cursor` (written to the
        cursor file too, after the commit)."""
        self.state["sources"][key] = {
            "path": "-",
            "journal": True,
            "cursor": cursor,
            "offset": 0,
            "size": 0,
            "last_ts": last_ts,
        }
        self.cursor_files[key[len(JOURNAL) :]] = cursor

    def counted(self, lines: int) -> None:
        """`lines` more were read: commit once COMMIT_LINES have been since the last."""
        self.since_commit += lines
        if self.since_commit >= self.commit_lines:
            self.commit()

    def commit(self) -> None:
        if self._correlator is None and checkpoint.inline_open_state(self.state) is not None:
            self.correlator  # noqa: B018 -- the property loads a version 1 checkpoint's open state
        if self._correlator is not None:
            self._correlator.settle()
        self.collect_cycles()
        self.warm_up.ready()
        _flush_biggest_first(self.writer)
        for table, n in self.writer.written.items():
            self.summary.rows[table] = self.summary.rows.get(table, 0) + n
        self.writer.written.clear()
        self.state["commit"] = self.writer.commit
        self.state.setdefault("parts", {}).update(self.writer.new_parts)
        if self._correlator is not None:  # else unchanged
            self.state["correlator"] = self._correlator.state()
        self.state["programs"] = dict(self.programs)
        beside = Counter(self.state.get("beside_mta", {}))
        beside.update(self.beside)
        self.beside_total.update(self.beside)
        self.state["beside_mta"] = dict(beside)
        self.beside.clear()
        self.ds.commit(self.state)
        self.writer.committed()
        self.since_commit = 0
        for path, cursor in self.cursor_files.items():
            write_cursor_file(path, cursor)
        self.cursor_files.clear()

    def close(self) -> None:
        """The run is over (committed or failed): what its correlator runs beside the
        main thread ends here (the compiled engine's correlation thread, the warm-up)."""
        self.warm_up.close()

    def collect_cycles(self) -> None:
        """What the batches since the last commit left in reference cycles: the collector
        is paused during a run (see run._gc_paused), so a commit collects them. None
        when no line was read (the correlator never made): a no-op run skips the 10-30 ms
        walk of every imported module's objects."""
        if self._correlator is not None:
            gc.collect()


def _flush_biggest_first(writer: PartWriter) -> None:
    """Write every table's rows and wait until their parts are durable, the tables with
    the most Arrow bytes queued first: the commit waits for the writer thread that ends
    last, and one big table queued last would be written by one thread alone."""
    for table in sorted(
        writer.converted_bytes, key=writer.converted_bytes.__getitem__, reverse=True
    ):
        writer.flush_table(table)
    writer.flush()


def set_aside_uncommitted(ds: Dataset, state: dict, summary: IngestSummary) -> None:
    """Move the parts and the open state a crashed run wrote after the checkpoint aside
    (never deleted), with a warning saying where."""
    found = ds.set_aside_uncommitted(state["commit"])
    if found.moved:
        why = (
            "there is no checkpoint (DATA/_state/state.json)"
            if not ds.exists()
            else f"the checkpoint is of commit {state['commit']}, older than they are"
        )
        summary.warnings.append(
            f"{len(found.moved):,} part files were not read and are kept in "
            f"{found.moved_to}: {why} (restore the state.json that names them, or "
            "re-ingest the logs they came from)"
        )
    aside = ds.set_aside_open_state(state["commit"])
    if aside is not None:
        summary.warnings.append(
            f"the correlator's open state is newer than the checkpoint (commit "
            f"{state['commit']}) and was kept in {aside}: messages that were in flight "
            "then lose their earlier lines (restore state.json and open.sqlite together)"
        )


def read_cursor_file(path: str) -> str | None:
    """A cursor the user put there (the checkpoint's own cursor wins when it has one)."""
    try:
        with open(path) as f:
            return f.read().strip() or None
    except FileNotFoundError:
        return None
    except OSError as e:
        raise AnalyzerError(f"{path}: cannot read the cursor file ({e.strerror})") from None


def write_cursor_file(path: str, cursor: str) -> None:
    """After the commit: the checkpoint holds the cursor that counts; this copy is for
    `journalctl --after-cursor "$(cat FILE)"` (shorter exports)."""
    tmp = f"{path}.tmp"
    try:
        with open(tmp, "w") as f:
            f.write(cursor + "\n")
        os.replace(tmp, path)
    except OSError as e:
        raise AnalyzerError(
            f"{path}: cannot write the cursor file ({e.strerror}); the "
            "dataset's own checkpoint has it"
        ) from None
