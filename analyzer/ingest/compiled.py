"""The compiled ingest engine (issue 11): for a run of Postfix, Exim or Sendmail files
(syslog, or Exim's own log), each batch is parsed AND correlated in Rust
(`analyzer._core.IngestEngine`, the GIL released), and the rows reach the part writer as
Arrow tables built from column buffers, with no event or row dicts on the way. A batch
is correlated on the engine's own thread while this one writes the rows of the batches
before and reads and parses the next (two cores busy: a pipeline of one batch). The open
state comes from the checkpoint and goes back to it in the format the Python correlator
uses, so a run interrupted under one continues under the other.

It runs by default with the compiled core (`ANALYZER_CORE=rust`, or unset with the core
installed); `ANALYZER_ENGINE=python` keeps the parse core + Python correlator, and
`ANALYZER_CORE=python` the Python path throughout. A run the
engine does not model is left to the Python path: an explicit `--year`, `--passwd`, a
source of PHP's mail.log or journald, an open state holding PHP's parts (entries not
written yet, joins). Within a run, a batch with an event the engine does not model (PHP's
mail.log through syslog) hands the open state to the Python correlator, which goes on
from there.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Any

from ..dataset import checkpoint
from ..dataset.openstate import Keyed
from ..dataset.writer import FLUSH_BYTES
from ..parse.core import compiled, engine_in_use
from ..read.sources import Source
from ..schema import TABLES
from .commit import Committer

if TYPE_CHECKING:
    import pyarrow as pa

    from ..correlate import Correlator
    from ..parse.batch import BatchJob, BatchResult

# pyarrow, the parse stage and the Python correlator are imported when the first batch
# comes: a run with nothing new to read starts without them (`tests/dataset/test_ingest_lean`)

# the parts only the Python correlator models (PHP's): the engine runs when the
# checkpoint's are empty
_PYTHON_PARTS = ("php", "php_seen", "joins")
# the engine's parts besides messages and sessions (Sendmail's and Exim's among them)
_ENGINE_PARTS = (
    "now",
    "closing",
    "filter_links",
    "mta_hosts",
    "logins",
    "auth_seen",
    "held",
    "handoffs",
    "cwds",
)
_TAKE_BYTES = 4 << 20  # rows kept in Rust per table before they go to the writer


def engine_for(sources: list[Source], year: int | None, passwd: str | None) -> Engine | None:
    """The engine for this run when the compiled core is in use, `ANALYZER_ENGINE` does
    not say `python` and the run is one it models; else None (the parse core, or the
    Python stage, + the Python correlator)."""
    if engine_in_use() != "compiled":
        return None
    if year is not None or passwd is not None:
        return None
    if not all(_modelled(s) for s in sources):
        return None
    return Engine()


def _modelled(source: Source) -> bool:
    """A source of Postfix, Exim or Sendmail syslog, or of Exim's own log (not PHP's
    mail.log nor journald's: the Python correlator's)."""
    if source.native:
        return source.format == "exim"
    return source.format in (None, "postfix", "exim", "sendmail")


class Engine:
    """One run's engine: `parse` is the parse stage's function (in this process, no
    workers: correlation happens as the batch is parsed), `committer` makes the run's
    `Committer`."""

    def __init__(self) -> None:
        self.run: CompiledCommitter | None = None

    def committer(self, *args: Any, **kwargs: Any) -> Committer:
        self.run = CompiledCommitter(*args, **kwargs)
        return self.run

    def parse(self, job: BatchJob) -> BatchResult:
        assert self.run is not None, "the committer is made before the first batch"
        from ..parse import rust_batch

        correlator = self.run.correlator
        if not isinstance(correlator, EngineCorrelator) or correlator.python is not None:
            return rust_batch.parse_batch(job)  # the Python correlator takes its events
        if not rust_batch.takes(job):
            correlator.hand_over()
            return rust_batch.parse_batch(job)
        core, _ = rust_batch._core(job)
        self.run.warm_up.start()  # pyarrow's import beside the batches (GIL released)
        handed_over, counts, rows = correlator.rust.batch(
            core, job.data, job.offset, job.path, _TAKE_BYTES
        )
        if handed_over:
            correlator.hand_over()
            return rust_batch.batch_result(job, counts)
        correlator.write(rows)  # of the batches before: this one is being correlated
        return rust_batch.batch_result(job, counts, events=[])


class CompiledCommitter(Committer):
    """The run's `Committer` with the engine as its correlator (or the Python one, when
    the checkpoint holds what only it models)."""

    @property
    def correlator(self) -> Any:
        if self._correlator is None:
            saved = self.ds.open_state(self.state)
            parts = checkpoint.open_parts(saved)
            if any(parts[k] for k in _PYTHON_PARTS):
                self._correlator = self.python_correlator(saved)
            else:
                # stands in for the Correlator (the part of it ingest uses)
                self._correlator = EngineCorrelator(self, parts)  # type: ignore[assignment]
        return self._correlator

    def close(self) -> None:
        correlator = self._correlator
        if isinstance(correlator, EngineCorrelator):
            correlator.rust.close()
        super().close()

    def collect_cycles(self) -> None:
        """The engine makes few Python objects: the young generations hold what this
        commit's batches left, while a full collection would walk every object of
        the imported modules (30 ms) for nothing. Once the Python correlator has taken
        over, its events and open state are collected as on the Python path."""
        correlator = self._correlator
        if isinstance(correlator, EngineCorrelator) and correlator.python is None:
            gc.collect(1)
        else:
            super().collect_cycles()

    def python_correlator(self, state: dict) -> Correlator:
        from ..correlate import Correlator

        correlator = Correlator(
            self._add,
            self._local_ips,
            state,
            passwd=self._passwd,
            hold_php=self._hold_php,
            php_host_assumed=self._php_host_assumed,
        )
        correlator.expect_hosts(self._expected_hosts())
        return correlator


def _schemas() -> list[tuple[str, str, list[tuple[str, str]]]]:
    return [(t.name, t.time_column, [(c.name, c.type) for c in t.columns]) for t in TABLES.values()]


def arrow_table(name: str, rows: int, columns: list, days: bytes) -> pa.Table:
    """The engine's column buffers of `rows` rows of table `name` as an Arrow table,
    with the `__day` column the part writer splits by."""
    import pyarrow as pa

    schema = TABLES[name].arrow_schema
    arrays = []
    for field, (valid, nulls, buffers) in zip(schema, columns, strict=True):
        bufs = [pa.py_buffer(valid) if valid is not None else None]
        bufs += [pa.py_buffer(b) for b in buffers]
        arrays.append(pa.Array.from_buffers(field.type, rows, bufs, null_count=nulls))
    table = pa.Table.from_arrays(arrays, schema=schema)
    day = pa.Array.from_buffers(pa.int32(), rows, [None, pa.py_buffer(days)])
    return table.append_column("__day", day)


def _is_local_ip(ip: str, own: frozenset[str]) -> bool:
    """`is_local_ip`, for the addresses the engine does not answer itself (IPv6,
    `localhost`): the correlator's package is imported only when one comes."""
    from ..correlate.common import is_local_ip

    return is_local_ip(ip, own)


def _keyed(synced: bool, entries: list, touched: list, moved: list) -> Keyed:
    """The engine's entries of a per-entry part as the `Keyed` dict the open store saves
    (its changes since the last save: `touched`, `moved`)."""
    keyed = Keyed()
    for key, value in entries:
        dict.__setitem__(keyed, tuple(key), value)
    keyed.touched = {tuple(k) for k in touched}
    keyed.moved = dict.fromkeys(tuple(k) for k in moved)
    keyed.synced = synced
    return keyed


class EngineCorrelator:
    """The engine seen as the run's correlator (what `Committer` and ingest use of
    `Correlator`), and, after `hand_over`, the Python correlator it handed over to."""

    def __init__(self, run: CompiledCommitter, parts: dict):
        module = compiled()
        assert module is not None
        self.run = run
        local_ips = run._local_ips
        self.rust = module.IngestEngine(
            _schemas(), lambda ip: _is_local_ip(ip, local_ips), set(local_ips)
        )
        self.rust.load(parts)
        self.kept = {k: parts[k] for k in (*_PYTHON_PARTS, "php_joins")}
        self.python: Correlator | None = None
        self.reinjected = 0

    # what ingest asks of a correlator
    @property
    def run_php_joins(self) -> dict:
        if self.python is not None:
            return self.python.run_php_joins
        return checkpoint.PHP_JOINS.empty()

    def php_waiting(self) -> int:
        return self.python.php_waiting() if self.python is not None else 0

    def feed(self, event: dict) -> None:
        """Events the Python stage parsed after the hand-over (before it there are none:
        the engine correlates its batches itself)."""
        assert self.python is not None, "the engine hands no events over"
        self.python.feed(event)

    def settle(self) -> None:
        if self.python is not None:
            self.python.settle()
            return
        self.rust.settle()
        self.take_rows()

    def state(self) -> dict:
        if self.python is not None:
            return self.python.state()
        return self._state(whole=False, saving=True)

    # the engine's own
    def take_rows(self) -> None:
        """Hand every row the engine holds to the writer, once the batch in flight is
        correlated (at a commit and a hand-over; between batches `batch` hands them)."""
        self.write(self.rust.take_rows(0))
        reinjected = self.rust.reinjected
        self.run.summary.reinjected += reinjected - self.reinjected
        self.reinjected = reinjected

    def write(self, taken: list) -> None:
        """Rows the engine handed over ([(table, (rows, columns, days))]) to the writer."""
        writer = self.run.writer
        for name, (rows, columns, days) in taken:
            table = arrow_table(name, rows, columns, days)
            writer.converted[name].append(table)
            writer.converted_bytes[name] += table.nbytes
            if writer.converted_bytes[name] >= FLUSH_BYTES:
                writer.flush_table(name)

    def _state(self, whole: bool, saving: bool) -> dict:
        got = self.rust.state(whole, saving)
        parts = dict(self.kept)
        parts["messages"] = _keyed(*got["messages"])
        parts["sessions"] = _keyed(*got["sessions"])
        for key in _ENGINE_PARTS:
            parts[key] = got[key]
        return {k: parts[k] for k in checkpoint.KEYS}

    def hand_over(self) -> None:
        """From here on the Python correlator goes on, from the engine's open state and
        its place between stale sweeps and in the Message-ID index."""
        self.take_rows()
        python = self.run.python_correlator(self._state(whole=True, saving=False))
        since_sweep, by_mid = self.rust.carry_on()
        python._since_sweep = since_sweep
        python.by_mid = {tuple(k): qid for k, qid in by_mid}
        self.python = python
