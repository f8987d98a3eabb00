"""Input files: paths, globs, directories and stdin; transparent decompression; rotated
series in oldest-first order; and which checkpoint holds a file's progress.

A source's identity is its content: the first bytes it had when it was read (up to 64
KiB, after any NUL run that copytruncate leaves) and, to tell apart two files that start
alike (`mail.warn` and `mail.err` share lines), its device and inode. So a checkpoint
follows a file through rotation (`maillog` -> `maillog.1` -> `maillog.2.gz`, copies made
by copytruncate, dateext names) and notices when a path now holds something else. A
journal piped on stdin is identified by its entries' `__CURSOR` (`--cursor-file`).
"""

from __future__ import annotations

import bz2
import glob
import hashlib
import lzma
import os
import re
import sys
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from ..errors import AnalyzerError

CHUNK = 1 << 20  # bytes per batch: bounds the Python objects one batch becomes
HEAD_BYTES = 1 << 16  # content that identifies a source (once that much was read)
LEGACY_LINE_BYTES = 4096  # checkpoints before identity by content were keyed by the first line

_MAGIC = ((b"\x1f\x8b", "gz"), (b"BZh", "bz2"), (b"\xfd7zXZ\x00", "xz"))
_ROTATED = re.compile(r"^(?P<stem>.+?)(?:[.-](?P<n>\d{1,4}|\d{8}))?(?:\.(?:gz|bz2|xz))?$")


class SourceError(AnalyzerError):
    """An input that cannot be read at all (missing, a directory without files, ...)."""


@dataclass
class Source:
    path: str  # "-" for stdin
    compression: str | None = None
    size: int = 0
    mtime: float = 0.0
    dev: int = 0
    inode: int = 0
    head: bytes = b""  # the first HEAD_BYTES of content, after a leading NUL run
    head_start: int = 0  # decompressed offset of `head` (the NUL run's length)
    _digests: dict = field(default_factory=dict, repr=False)  # prefix length -> hash
    complete: bool = True  # False once reading found the archive truncated or damaged
    warnings: list[str] = field(default_factory=list)
    format: str | None = None  # what it holds (`envelope.sniff_format`), or as forced
    native: bool = False  # in Exim's or PHP's own line format rather than syslog

    @property
    def is_stdin(self) -> bool:
        return self.path == "-"

    @property
    def empty(self) -> bool:
        """No content yet (or only NULs): nothing to read, nothing to identify."""
        return not self.is_stdin and not self.head

    def prefix(self, offset: int) -> list:
        """[length, hash] of the content read up to decompressed `offset`, at most
        HEAD_BYTES: what a checkpoint remembers to recognise this content later."""
        n = max(0, min(offset - self.head_start, len(self.head)))
        return [n, _digest(self.head[:n])]

    def starts_with(self, prefix: list) -> bool:
        """Does this source begin with the content a checkpoint's `prefix` names?"""
        n, digest = prefix
        if not 0 < n <= len(self.head):
            return False
        if n not in self._digests:
            self._digests[n] = _digest(self.head[:n])
        return self._digests[n] == digest

    @property
    def first_line_key(self) -> str | None:
        """The key checkpoints had before identity by content (a hash of the raw first
        line, NULs included, up to 4 KiB): only to migrate them."""
        raw = (b"\0" * min(self.head_start, LEGACY_LINE_BYTES) + self.head)[:LEGACY_LINE_BYTES]
        first = raw.split(b"\n", 1)[0]
        return hashlib.sha1(first).hexdigest()[:20] if first else None


def expand(paths: list[str]) -> list[Source]:
    """Files, globs and directories (their files, not recursive) -> sources, each rotated
    series oldest first; stdin (`-`) where it was named."""
    found: list[str] = []
    for p in paths:
        if p == "-":
            found.append(p)
        elif os.path.isdir(p):
            found.extend(
                sorted(
                    os.path.join(p, n)
                    for n in os.listdir(p)
                    if not n.startswith(".") and os.path.isfile(os.path.join(p, n))
                )
            )
        elif any(c in p for c in "*?["):
            matches = sorted(m for m in glob.glob(p) if os.path.isfile(m))
            if not matches:
                raise SourceError(f"{p}: no file matches")
            found.extend(matches)
        elif os.path.isfile(p):
            found.append(p)
        elif os.path.exists(p):
            raise SourceError(f"{p}: not a regular file")
        else:
            raise SourceError(f"{p}: no such file")
    sources, seen = [], set()
    for path in sorted(dict.fromkeys(found), key=_age_order):
        src = describe(path)
        if not src.is_stdin:  # one file named twice (a link, a relative and an absolute path)
            if (src.dev, src.inode) in seen:
                continue
            seen.add((src.dev, src.inode))
        sources.append(src)
    return sources


def series_of(path: str) -> tuple:
    """The rotated series a file belongs to: `maillog.2.gz`, `maillog.1`, `maillog` and
    `maillog-20261126` are one (same directory, same stem)."""
    return _age_order(path)[:2]


def _age_order(path: str) -> tuple:
    """`maillog.2.gz` < `maillog.1` < `maillog`: within a series, oldest first."""
    if path == "-":
        return ("\uffff",)
    d, name = os.path.split(path)
    m = _ROTATED.match(name)
    stem, n = m["stem"], m["n"]
    if n is None:
        return (d, stem, 1, 0)
    number = int(n)
    return (d, stem, 0, number if len(n) == 8 else -number)  # dateext ascends, .N descends


def describe(path: str) -> Source:
    if path == "-":
        return Source(path)
    st = os.stat(path)
    with open(path, "rb") as f:
        magic = f.read(6)
    compression = next((kind for m, kind in _MAGIC if magic.startswith(m)), None)
    src = Source(path, compression, st.st_size, st.st_mtime, st.st_dev, st.st_ino)
    src.head_start, src.head = _read_head(src)
    src.warnings.clear()  # a damaged archive is reported when it is read for real
    src.complete = True
    return src


def _read_head(src: Source) -> tuple[int, bytes]:
    """(length of the leading NUL run, the first HEAD_BYTES after it)."""
    skipped, head = 0, b""
    # an archive in small steps: decompressing far past the head costs (xz: 4x)
    for chunk in _decompressed(src, HEAD_BYTES if src.compression is None else 4096):
        if not head:
            content = chunk.lstrip(b"\0")
            skipped += len(chunk) - len(content)
            chunk = content
        head += chunk
        if len(head) >= HEAD_BYTES:
            break
    return skipped, head[:HEAD_BYTES]


def _digest(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()[:20]


def head_lines(src: Source, lines: int = 20) -> list[str]:
    """The first lines of a source (at most HEAD_BYTES), for telling what it holds;
    none for stdin (it cannot be read twice)."""
    return src.head.decode("utf-8", "replace").split("\n")[:lines]


# --- which checkpoint holds a source's progress ----------------------------------------------


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


def new_checkpoint_key(src: Source, taken) -> str:
    """A key no other checkpoint has: the file's device, inode and first content."""
    base = f"{src.dev}:{src.inode}:{_digest(src.head[:HEAD_BYTES])[:12]}"
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}+{n}"
    return key


# --- lines syslog writes to several files ---------------------------------------------------

# Debian's and Ubuntu's rsyslog write every mail line to mail.log and, by priority, the
# same line again to mail.info, mail.warn and mail.err: those are subsets of mail.log.
SYSLOG_ALL, SYSLOG_COPIES = "mail.log", ("mail.info", "mail.warn", "mail.err")


def series(path: str) -> tuple[str, str]:
    """`series_of` the absolute path: (directory, name without rotation suffixes),
    `mail.warn.2.gz` -> mail.warn, the same whatever directory a run started from."""
    return series_of(os.path.abspath(path))


def syslog_copies(sources: list[Source], read_before: Iterable[str]) -> dict[int, str]:
    """Sources (by index) whose lines syslog also wrote to a mail.log of the same
    directory that is read in this run or was read before -> that mail.log's path.
    Reading both would count each of their lines twice."""
    full = {}
    for path in [s.path for s in sources if not s.is_stdin] + list(read_before):
        if path and path != "-" and series(path)[1] == SYSLOG_ALL:
            full.setdefault(series(path)[0], path)
    return {
        i: full[d]
        for i, s in enumerate(sources)
        if not s.is_stdin
        for d, stem in [series(s.path)]
        if stem in SYSLOG_COPIES and d in full
    }


# --- journald cursors (a journal piped on stdin) -----------------------------------------------

_CURSOR = re.compile(rb'"__CURSOR"\s*:\s*"([^"\\]+)"')


def journal_cursor(line: bytes) -> str | None:
    m = _CURSOR.search(line)
    return m[1].decode("ascii", "replace") if m else None


def cursor_after(a: str, b: str) -> bool:
    """Does journal entry cursor `a` come after `b`? Within one sequence-number space
    (`s=`) the entries' sequence numbers (`i=`) order them; across spaces (another
    journal file set) their wall-clock times (`t=`) do."""
    fa, fb = _cursor_fields(a), _cursor_fields(b)
    try:
        if fa.get("s") and fa.get("s") == fb.get("s"):
            return int(fa["i"], 16) > int(fb["i"], 16)
        return int(fa["t"], 16) > int(fb["t"], 16)
    except (KeyError, ValueError):
        return a != b  # unreadable: only the very entry is known to be read


def _cursor_fields(cursor: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in cursor.split(";") if "=" in part)


def after_cursor(batch: Batch, cursor: str) -> tuple[Batch | None, int]:
    """The part of a journal batch after entry `cursor` (None: all of it was read
    before), and the number of entries dropped."""
    lines = batch.data.split(b"\n")
    for i, line in enumerate(lines):
        c = journal_cursor(line)
        if c is not None and cursor_after(c, cursor):
            if i == 0:
                return batch, 0
            skipped = sum(1 for ln in lines[:i] if ln.strip(b"\0"))
            offset = batch.offset + sum(len(ln) + 1 for ln in lines[:i])
            return Batch(offset, b"\n".join(lines[i:]), batch.end), skipped
    return None, sum(1 for ln in lines if ln.strip(b"\0"))


def last_cursor(data: bytes) -> str | None:
    """The cursor of the last entry in a batch that has one."""
    end = len(data)
    while end > 0:
        start = data.rfind(b"\n", 0, end) + 1
        c = journal_cursor(data[start:end])
        if c is not None:
            return c
        end = start - 1
    return None


def _open_raw(src: Source) -> BinaryIO:
    return sys.stdin.buffer if src.is_stdin else open(src.path, "rb")


_DECODERS = {
    "gz": lambda: zlib.decompressobj(wbits=47),
    "bz2": bz2.BZ2Decompressor,
    "xz": lzma.LZMADecompressor,
}
_DAMAGE = (zlib.error, OSError, EOFError, lzma.LZMAError)
RECOVERY_STEP = 64  # compressed bytes per call when decoding again up to the damage


class _Damaged(Exception):
    """Damaged compressed data at compressed byte `position`."""

    def __init__(self, error: Exception, position: int):
        super().__init__(str(error))
        self.position = position


def _decompressed(src: Source, chunk_size: int = CHUNK) -> Iterator[bytes]:
    """The bytes of a source, decompressed. A damaged or truncated archive yields every
    byte decoded before the damage or the cut, records a warning on the source, and is
    marked incomplete (its unterminated last line is not read)."""
    raw = _open_raw(src)
    try:
        if src.compression is None:
            while chunk := raw.read(chunk_size):
                yield chunk
            return
        ended: list[bool] = []
        yielded = 0
        try:
            for out in _decode(raw, src.compression, chunk_size, ended):
                yielded += len(out)
                yield out
        except _Damaged as damage:
            # A decoder raises on damage and loses what the call decoded before it: decode
            # again in small steps, from the start, and keep what the first pass lost.
            lines, position = None, damage.position
            if not src.is_stdin:
                lines, position = yield from _recover(src, yielded, position)
            src.complete = False
            kept = (
                f"kept the {lines:,} complete lines before it"
                if lines is not None
                else "kept the complete lines before it"
            )
            src.warnings.append(
                f"{src.path}: damaged {src.compression} data at byte {position:,} of "
                f"the archive ({damage}); {kept} (the last of them may be garbled where the "
                "format checks its data late: those show as unparsed)"
            )
            return
        if not ended[0]:
            src.complete = False
            src.warnings.append(
                f"{src.path}: {src.compression} data ends early (truncated, or still being "
                "written); kept every complete line, the rest is read once the archive is whole"
            )
    finally:
        if raw is not sys.stdin.buffer:
            raw.close()


def _decode(
    raw: BinaryIO, kind: str, chunk_size: int, ended: list[bool], step: int | None = None
) -> Iterator[bytes]:
    """Decompressed bytes of concatenated members/streams; raises _Damaged. Appends to
    `ended` whether the data ended at the end of a member (not cut short)."""
    new = _DECODERS[kind]
    d, started, position = new(), False, 0
    while data := raw.read(chunk_size):
        for i in range(0, len(data), step or len(data)):
            piece = data[i : i + step] if step else data
            position += len(piece)
            while piece:
                started = True
                try:
                    out = d.decompress(piece)
                except _DAMAGE as e:
                    raise _Damaged(e, position - len(piece)) from None
                if out:
                    yield out
                if d.eof:  # concatenated members or streams follow
                    piece, d, started = d.unused_data, new(), False
                else:
                    piece = b""
    ended.append(not started or d.eof)


def _recover(src: Source, skip: int, position: int) -> Iterator[bytes]:
    """Decode `src` again in small steps up to its damage; yield what follows the first
    `skip` bytes; return (complete lines before the damage, where it was found)."""
    lines = 0
    with open(src.path, "rb") as raw:
        try:
            for out in _decode(raw, src.compression, CHUNK, [], RECOVERY_STEP):
                lines += out.count(b"\n")
                if skip >= len(out):
                    skip -= len(out)
                    continue
                out, skip = out[skip:], 0
                yield out
        except _Damaged as damage:
            position = damage.position
    return lines, position


@dataclass
class Batch:
    offset: int  # byte offset of the first line in the decompressed source
    data: bytes  # whole lines, joined by b"\n", without the final newline
    end: int  # byte offset just after the last line

    def lines(self) -> list[str]:
        """Decoded lines; invalid UTF-8 becomes U+FFFD, NUL padding is dropped."""
        text = self.data.decode("utf-8", "replace")
        if "\x00" in text:
            text = text.replace("\x00", "")
        return text.split("\n")

    def line_offsets(self) -> list[int]:
        """Byte offset and length of each line (for the few lines that need them)."""
        offsets, pos = [], self.offset
        for raw in self.data.split(b"\n"):
            offsets.append((pos, len(raw)))
            pos += len(raw) + 1
        return offsets


def read_batches(src: Source, start: int = 0, partial_tail: bool | None = None) -> Iterator[Batch]:
    """Complete lines from decompressed byte offset `start`, in batches of about CHUNK.

    An unterminated last line is kept for the next run when the file may still be
    growing (a plain file) or is cut short (a truncated or damaged archive); in a whole
    archive or on stdin it is read now.
    """
    pos = 0
    pending = b""
    offset = start
    for chunk in _decompressed(src, CHUNK):
        if pos + len(chunk) <= start:
            pos += len(chunk)
            continue
        if pos < start:
            chunk = chunk[start - pos :]
            pos = start
        pos += len(chunk)
        data = pending + chunk if pending else chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            pending = data
            continue
        pending = data[cut + 1 :]
        yield Batch(offset, data[:cut], offset + cut + 1)
        offset += cut + 1
    if partial_tail is None:  # known only now: whether an archive was whole
        partial_tail = src.is_stdin or (src.compression is not None and src.complete)
    if pending and partial_tail:
        yield Batch(offset, pending, offset + len(pending))
