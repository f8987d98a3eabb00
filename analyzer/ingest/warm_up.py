"""What a run needs soon but not at its start, made ready on a thread of its own that the
compiled engine starts with its first batch: the part writer's side (pyarrow imported,
with numpy the largest part of a run's start, and the tables' schema files written:
`Dataset.ensure_tables`) and the correlator's `is_local_ip` (the engine's correlation
thread asks it about the first IPv6 client: its import, ~23 ms, would stall that
thread, GIL held). The engine parses and correlates with the GIL released, so this
uses the core the start left idle; pyarrow is wanted only when the first rows reach the
writer (an import of it then waits for this one). A commit first waits for the thread
(`ready`), so a checkpoint never names a part of a table without its schema file. Runs
without the engine (worker processes fork: no thread before them) write the schema
files at their first commit, on the main thread."""

from __future__ import annotations

import importlib
import sys
import threading

from ..dataset.store import Dataset

# While the thread imports, the main thread comes back from each batch wanting the GIL:
# at the default 5 ms switch interval it would wait that long, a batch's parse time.
_SWITCH_SECONDS = 0.0005


class WarmUp:
    def __init__(self, ds: Dataset):
        self.ds = ds
        self._thread: threading.Thread | None = None
        self._failed: BaseException | None = None
        self._done = False
        self._switch = sys.getswitchinterval()  # restored when the thread ends

    def start(self) -> None:
        """Begin on a thread (once; not after `ready`)."""
        if self._thread is not None or self._done:
            return
        self._switch = sys.getswitchinterval()
        sys.setswitchinterval(min(self._switch, _SWITCH_SECONDS))
        self._thread = threading.Thread(target=self._prepare, name="warm-up", daemon=True)
        self._thread.start()

    def _prepare(self) -> None:
        try:
            importlib.import_module("analyzer.correlate.common")  # first: a batch may ask
            import pyarrow.parquet  # noqa: F401 -- the writer's threads use it

            self.ds.ensure_tables()
        except BaseException as e:  # noqa: BLE001 -- raised in the run's thread by `ready`
            self._failed = e
        finally:
            sys.setswitchinterval(self._switch)

    def ready(self) -> None:
        """Every table has its schema file (written here if the thread did not run);
        raises what the thread raised."""
        self.close()
        failed, self._failed = self._failed, None
        if failed is not None:
            raise failed
        if not self._done:
            self.ds.ensure_tables()
            self._done = True

    def close(self) -> None:
        """The thread ended (a run ends with it, committed or not)."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
            self._done = self._failed is None
