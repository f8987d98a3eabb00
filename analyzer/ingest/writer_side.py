"""The part writer's side of a run made ready beside the first batches: pyarrow imported
(with numpy: the largest part of a run's start, all of it on one core) and the tables'
schema files written (`Dataset.ensure_tables`), on a thread of its own that the
compiled engine starts with its first batch. The engine parses and correlates with the
GIL released, so the import uses the core the start left idle; pyarrow is wanted only
when the first rows reach the writer (its own imports then wait for this one). A commit
first waits for it (`ready`), so a checkpoint never names a part of a table without its
schema file. Runs without the engine (worker processes fork: no thread before them) do
the same at their first commit, on the main thread."""

from __future__ import annotations

import sys
import threading

from ..dataset.store import Dataset

# While the thread imports, the main thread comes back from each batch wanting the GIL:
# at the default 5 ms switch interval it would wait that long, a batch's parse time.
_SWITCH_SECONDS = 0.0005


class WriterSide:
    def __init__(self, ds: Dataset):
        self.ds = ds
        self._thread: threading.Thread | None = None
        self._failed: BaseException | None = None
        self._done = False

    def start(self) -> None:
        """Begin on a thread (once; not after `ready`)."""
        if self._thread is not None or self._done:
            return
        self._switch = sys.getswitchinterval()
        sys.setswitchinterval(min(self._switch, _SWITCH_SECONDS))
        self._thread = threading.Thread(target=self._prepare, name="writer-side", daemon=True)
        self._thread.start()

    def _prepare(self) -> None:
        try:
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
