"""Which checkpoint holds a source's progress: a checkpoint names the content it read
(`prefix`) and the file it read it from (path, device, inode), and follows that file
through rotation, compression and copytruncate; copies of a log under its own name in
other directories or URLs share its checkpoint (`docs/sources.md`)."""

from __future__ import annotations

import os
from collections.abc import Container

from ..errors import AnalyzerError
from . import remote
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
      3. else a copy of a checkpoint's file elsewhere (`copy_of`) shares that checkpoint,
         even one taken by another source: read one after the other, each reads only
         what the other has not (`share_new_copies` does the same for new sources).
    Checkpoints of the old form (keyed by a hash of the first line, no `prefix`) match by
    that hash, in the first two steps; the caller re-keys them.
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
    heads: dict[str, bytes | None] = {}  # a checkpoint's file is read once a run
    for i in files:
        if keys[i] is None:
            keys[i] = next(
                (
                    k
                    for k, cp in checkpoints.items()
                    if copy_of(sources[i], k, cp, sources, keys, heads)
                ),
                None,
            )
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


def copy_of(
    src: Source,
    key: str,
    cp: dict,
    sources: list[Source],
    keys: list,
    heads: dict[str, bytes | None],
) -> bool:
    """Is `src` a copy of checkpoint `cp`'s file in another directory or URL (a log
    copied to another machine during an incident)? The same file name, another path,
    and content that begins the same: at least as long as the checkpoint's `prefix`
    and starting with it, or shorter and the beginning of the checkpoint's file (what
    a copy taken earlier holds; all of it was read). A renamed copy is not recognised.
    `heads`: the first content of checkpoints' files read so far in this run."""
    path = cp.get("path") or ""
    if "prefix" not in cp or path == src.path:
        return False
    if os.path.basename(path) != os.path.basename(src.path):
        return False
    if len(src.head) >= cp["prefix"][0]:
        return src.starts_with(cp["prefix"])
    if key not in heads:
        heads[key] = _head_of(key, cp, sources, keys)
    original = heads[key]
    return original is not None and original.startswith(src.head)


def _head_of(key: str, cp: dict, sources: list[Source], keys: list) -> bytes | None:
    """The first content of the checkpoint's file: from the source of this run that
    took it, else from its path if it is still there with that content."""
    for src, k in zip(sources, keys):
        if k == key and src.starts_with(cp["prefix"]):
            return src.head
    path = cp["path"]
    try:
        if not (remote.is_file(path) if remote.is_url(path) else os.path.isfile(path)):
            return None
        there = describe(path)
    except (OSError, AnalyzerError):
        return None
    return there.head if there.starts_with(cp["prefix"]) else None


def share_new_copies(
    sources: list[Source], keys: list[str | None], checkpoints: dict[str, dict]
) -> None:
    """New sources (key None) that are copies of one another (the same file name in
    other directories, one's content the beginning of the other's) get one new key:
    read one after the other, their common lines are counted once."""
    groups: list[list[int]] = []
    for i, src in enumerate(sources):
        if keys[i] is not None or src.is_stdin or src.empty:
            continue
        for group in groups:
            if all(_alike(sources[j], src) for j in group):
                group.append(i)
                break
        else:
            groups.append([i])
    reserved = set(checkpoints)
    for group in (g for g in groups if len(g) > 1):
        key = new_checkpoint_key(sources[group[0]], reserved)
        reserved.add(key)
        for i in group:
            keys[i] = key


def _alike(a: Source, b: Source) -> bool:
    """The same file name elsewhere, and the shorter content begins the longer."""
    if os.path.basename(a.path) != os.path.basename(b.path) or a.path == b.path:
        return False
    shorter, longer = sorted((a.head, b.head), key=len)
    return longer.startswith(shorter)


def new_checkpoint_key(src: Source, taken: Container[str]) -> str:
    """A key no other checkpoint has: the file's device, inode and first content."""
    base = f"{src.dev}:{src.inode}:{digest(src.head[:HEAD_BYTES])[:12]}"
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}+{n}"
    return key
