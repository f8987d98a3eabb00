"""Which checkpoint holds a source's progress: a checkpoint names the content it read
(`prefix`) and the file it read it from (path, device, inode), and follows that file
through rotation, compression and copytruncate (`docs/sources.md`)."""

from __future__ import annotations

import os
from collections.abc import Container

from .sources import HEAD_BYTES, Source, describe, digest


def match_checkpoints(sources: list[Source], checkpoints: dict[str, dict]) -> list[str | None]:
    """For each source, the key of the checkpoint that holds its progress, or None (new).

    A checkpoint names the content it read (`prefix`) and the file it read it from
    (path, device, inode). It is taken by at most one source of a run:
      1. the same file (device and inode) that still starts with that content — a
         rename (`maillog` -> `maillog.1`, dateext) keeps the inode;
      2. else a file that starts with that content, is at least as long as what was read
         (a plain file), and whose checkpointed file is no longer where it was with that
         content: a compressed or copied rotation (`maillog.1` -> `maillog.2.gz`,
         copytruncate's copy). While the original is still there, a file that starts
         alike (mail.warn and mail.err, a restart banner) is another file.
    Checkpoints of the old form (keyed by a hash of the first line, no `prefix`) match by
    that hash, in the same two steps; the caller re-keys them.
    """
    keys: list[str | None] = [None] * len(sources)
    taken: set[str] = set()
    files = [i for i, s in enumerate(sources) if not s.is_stdin and not s.empty]
    for same_file in (True, False):
        for i in files:
            if keys[i] is not None:
                continue
            src = sources[i]
            for key, cp in checkpoints.items():
                if key in taken or not _holds(cp, key, src):
                    continue
                if same_file != ((cp.get("dev"), cp.get("inode")) == (src.dev, src.inode)):
                    continue
                if not same_file and (_too_short(src, cp) or _still_in_place(cp, key, sources)):
                    continue
                keys[i] = key
                taken.add(key)
                break
    return keys


def _holds(cp: dict, key: str, src: Source) -> bool:
    """Does `src` start with the content checkpoint `cp` read?"""
    if "prefix" in cp:
        return src.starts_with(cp["prefix"])
    return "journal" not in cp and key == src.first_line_key  # the old form


def _too_short(src: Source, cp: dict) -> bool:
    """A plain file shorter than what was read of the checkpoint's file is not a copy
    of it (an archive's decompressed size is unknown until it is read)."""
    return src.compression is None and src.size < cp.get("offset", 0)


def _still_in_place(cp: dict, key: str, sources: list[Source]) -> bool:
    """Is the checkpoint's own file (its device and inode) still in its directory, under
    its name or another, with the content the checkpoint read?"""
    for src in sources:  # in this run: it already failed to take the checkpoint
        if (src.dev, src.inode) == (cp.get("dev"), cp.get("inode")):
            return False
    directory = os.path.dirname(cp.get("path") or "") or "."
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return False
    for entry in entries:
        try:
            if entry.inode() != cp.get("inode") or not entry.is_file():
                continue
            if entry.stat().st_dev != cp.get("dev"):
                continue
            return _holds(cp, key, describe(entry.path))
        except OSError:
            continue
    return False


def new_checkpoint_key(src: Source, taken: Container[str]) -> str:
    """A key no other checkpoint has: the file's device, inode and first content."""
    base = f"{src.dev}:{src.inode}:{digest(src.head[:HEAD_BYTES])[:12]}"
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}+{n}"
    return key
