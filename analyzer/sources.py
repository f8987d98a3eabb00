"""Input files: paths, globs, directories and stdin; transparent decompression; rotated
series in oldest-first order; and the checkpoints that let a re-run read only new lines.

A checkpoint is keyed by the *content* of a file (a hash of its first line), not by its
name, so it follows the file through rotation (`maillog` -> `maillog.1` -> `maillog.2.gz`)
and notices when a path now holds something else (truncation, copytruncate).
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
from dataclasses import dataclass, field
from typing import BinaryIO, Iterator

from .errors import AnalyzerError

CHUNK = 1 << 20  # bytes per batch: bounds the Python objects one batch becomes
FINGERPRINT_BYTES = 4096

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
    fingerprint: str | None = None
    warnings: list[str] = field(default_factory=list)
    format: str | None = None  # what it holds (`envelope.sniff_format`), or as forced
    native: bool = False  # in Exim's or PHP's own line format rather than syslog

    @property
    def is_stdin(self) -> bool:
        return self.path == "-"


def expand(paths: list[str]) -> list[Source]:
    """Files, globs and directories (their files, not recursive) -> sources, each rotated
    series oldest first; stdin (`-`) where it was named."""
    found: list[str] = []
    for p in paths:
        if p == "-":
            found.append(p)
        elif os.path.isdir(p):
            found.extend(sorted(
                os.path.join(p, n) for n in os.listdir(p)
                if not n.startswith(".") and os.path.isfile(os.path.join(p, n))))
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
    unique = list(dict.fromkeys(found))
    return [describe(p) for p in sorted(unique, key=_age_order)]


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
        head = f.read(6)
    compression = next((kind for magic, kind in _MAGIC if head.startswith(magic)), None)
    src = Source(path, compression, st.st_size, st.st_mtime, st.st_dev, st.st_ino)
    src.fingerprint = _fingerprint(src)
    return src


def _fingerprint(src: Source) -> str | None:
    first = b""
    for chunk in _decompressed(src, FINGERPRINT_BYTES):
        first += chunk
        if b"\n" in first or len(first) >= FINGERPRINT_BYTES:
            break
    first = first.split(b"\n", 1)[0][:FINGERPRINT_BYTES]
    if not first:
        return None
    return hashlib.sha1(first).hexdigest()[:20]


def head_lines(src: Source, lines: int = 20, limit: int = 1 << 16) -> list[str]:
    """The first lines of a source (decompressed, at most `limit` bytes), for telling
    what it holds; none for stdin (it cannot be read twice)."""
    if src.is_stdin or src.fingerprint is None:
        return []
    data = b""
    for chunk in _decompressed(src, 1 << 14):
        data += chunk
        if data.count(b"\n") > lines or len(data) >= limit:
            break
    src.warnings.clear()  # a damaged archive is reported when it is read for real
    return data[:limit].decode("utf-8", "replace").split("\n")[:lines]


def _open_raw(src: Source) -> BinaryIO:
    return sys.stdin.buffer if src.is_stdin else open(src.path, "rb")


def _decompressed(src: Source, chunk_size: int = CHUNK) -> Iterator[bytes]:
    """The bytes of a source, decompressed; a damaged or truncated archive yields what
    could be recovered and records a warning on the source."""
    raw = _open_raw(src)
    try:
        if src.compression is None:
            while chunk := raw.read(chunk_size):
                yield chunk
            return
        new = {"gz": lambda: zlib.decompressobj(wbits=47), "bz2": bz2.BZ2Decompressor,
               "xz": lzma.LZMADecompressor}[src.compression]
        d, started = new(), False
        while data := raw.read(chunk_size):
            while data:
                started = True
                try:
                    out = d.decompress(data)
                except (zlib.error, OSError, EOFError, lzma.LZMAError) as e:
                    src.warnings.append(f"{src.path}: damaged {src.compression} data ({e}); "
                                        "kept the lines before the damage")
                    return
                if out:
                    yield out
                if d.eof:  # concatenated members or streams follow
                    data, d, started = d.unused_data, new(), False
                else:
                    data = b""
        if started and not d.eof:
            src.warnings.append(f"{src.path}: {src.compression} data ends early (truncated "
                                "archive); kept every complete line")
    finally:
        if raw is not sys.stdin.buffer:
            raw.close()


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
    growing (a plain file); in an archive or on stdin it is read now.
    """
    if partial_tail is None:
        partial_tail = src.is_stdin or src.compression is not None
    pos = 0
    pending = b""
    offset = start
    for chunk in _decompressed(src):
        if pos + len(chunk) <= start:
            pos += len(chunk)
            continue
        if pos < start:
            chunk = chunk[start - pos:]
            pos = start
        pos += len(chunk)
        data = pending + chunk if pending else chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            pending = data
            continue
        pending = data[cut + 1:]
        yield Batch(offset, data[:cut], offset + cut + 1)
        offset += cut + 1
    if pending and partial_tail:
        yield Batch(offset, pending, offset + len(pending))
