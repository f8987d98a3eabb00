"""What a run that died, or a checkpoint deleted or restored by hand, leaves behind, and
what the next writing run does with it before it writes.

    DATA/_state/writing                  the commit being written (its parts are debris
                                         if the run dies before its checkpoint)
    DATA/_orphaned/<time>/<table>/...    parts no checkpoint knew: set aside, never read

Parts of the noted commit are provably the debris of a run that died before committing
and are deleted; any other part above the checkpoint's commit (state.json deleted, or
restored from an older backup) is moved aside, never deleted. So is an open state that
cannot be rolled back to the checkpoint.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .durable import fsync_dirs, replace_text
from .errors import NoDataset, StoreError
from .openstate import FILE as OPEN_FILE
from .openstate import OpenStore
from .parts import PART, CommittedParts


@dataclass
class Uncommitted:
    """What `set_aside_uncommitted` found."""

    deleted: int = 0  # debris of an interrupted commit
    moved: list[Path] = field(default_factory=list)  # parts no checkpoint knows
    moved_to: Path | None = None


def _unused(path: Path) -> Path:
    n, candidate = 1, path
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate


_NOTES = ("writing", "writing.tmp", "state.json.tmp")  # in _state/, cleared at each commit


class Recovery(CommittedParts):
    """Debris and orphans of the dataset at `root` (a base of `store.Dataset`)."""

    def set_aside_uncommitted(self, commit: int) -> Uncommitted:
        """Before a run writes: parts above the checkpoint's `commit`. Temporaries and
        the parts of the commit a writer noted and never finished are debris of an
        interrupted run: deleted. Any other such part was committed under a checkpoint
        that is gone (state.json deleted, or an older one restored): moved to
        DATA/_orphaned/<time>/, never deleted, never read."""
        noted = self._noted_commit()
        found = Uncommitted()
        for f in self._part_files(tmp=True):
            m = PART.match(f.name)
            if f.name.endswith(".tmp") or (m and int(m[1]) == noted and noted > commit):
                f.unlink()
                found.deleted += 1
            elif m and int(m[1]) > commit:
                if found.moved_to is None:
                    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
                    found.moved_to = _unused(self.root / "_orphaned" / stamp)
                target = found.moved_to / f.relative_to(self.root)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.rename(f, target)
                found.moved.append(target)
        if found.moved:
            fsync_dirs({t.parent for t in found.moved})
        self.clear_note()
        return found

    def no_checkpoint_error(self) -> StoreError:
        """Why a reader finds nothing here: no dataset, or parts without their checkpoint."""
        parts = sum(1 for _ in self._part_files())
        if parts:
            return StoreError(
                f"{self.root}: {parts:,} part files but no checkpoint "
                "(_state/state.json is gone): nothing can be read as committed; "
                "restore state.json, or the next ingest sets the parts aside "
                "in _orphaned/ and reads the logs again"
            )
        return NoDataset(self.root)

    def orphaned(self) -> dict[str, int]:
        """The directories of parts set aside (`set_aside_uncommitted`) -> part files."""
        base = self.root / "_orphaned"
        if not base.is_dir():
            return {}
        return {
            str(d): sum(1 for _ in d.rglob("part-*.parquet"))
            for d in sorted(base.iterdir())
            if d.is_dir()
        }

    # The note of the commit being written: what makes its parts provable debris.
    def note_commit(self, commit: int) -> None:
        d = self.root / "_state"
        d.mkdir(parents=True, exist_ok=True)
        replace_text(d / "writing", f"{commit}\n")

    def _noted_commit(self) -> int:
        try:
            return int((self.root / "_state" / "writing").read_text().strip() or 0)
        except (OSError, ValueError):
            return 0

    def debris_noted(self) -> bool:
        """Whether a run's note (or a temporary of it or of the checkpoint) is still there:
        it died writing, or before clearing the note; the next run that writes cleans up
        (`set_aside_uncommitted`)."""
        d = self.root / "_state"
        return any((d / name).exists() for name in _NOTES)

    def clear_note(self) -> None:
        for name in _NOTES:
            try:
                os.unlink(self.root / "_state" / name)
            except FileNotFoundError:
                pass

    def set_aside_open_state(self, committed: int) -> Path | None:
        """Before a run writes: an open state that cannot be rolled back to the checkpoint
        `committed` (state.json deleted, or an older one restored without its open.sqlite)
        is not debris: it is moved aside (returned), never deleted, and the run starts
        with no open state."""
        d = self.root / "_state"
        if not (d / OPEN_FILE).exists():
            return None
        store = OpenStore(d)
        try:
            behind = committed < store.oldest() or (committed == 0 and store.last_commit() > 1)
        finally:
            store.close()
        if not behind:
            return None
        stamp = time.strftime("%Y%m%dT%H%M%S")
        aside = d / f"{OPEN_FILE}.without-checkpoint-{stamp}"
        for f in d.glob(OPEN_FILE + "*"):
            if f.name.removeprefix(OPEN_FILE) in ("", "-wal", "-shm"):
                f.rename(aside.with_name(aside.name + f.name.removeprefix(OPEN_FILE)))
        return aside
