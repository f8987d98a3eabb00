"""The bytes of a source, decompressed as they are read (gzip, bzip2, xz; concatenated
members and streams), with what a damaged or truncated archive still holds.

A decoder that meets damaged data raises and loses what that call had decoded, so on
damage the archive is decoded again from its start in small steps up to the damage, and
every byte decoded before it is kept (`docs/sources.md`).
"""

from __future__ import annotations

import bz2
import lzma
import sys
import zlib
from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING, BinaryIO, Protocol

from .remote import open_binary

if TYPE_CHECKING:
    from .sources import Source

MAGIC = ((b"\x1f\x8b", "gz"), (b"BZh", "bz2"), (b"\xfd7zXZ\x00", "xz"))
RECOVERY_STEP = 64  # compressed bytes per call when decoding again up to the damage
RECOVERY_READ = 1 << 20  # compressed bytes read at a time then


class _Decoder(Protocol):
    """What zlib's, bz2's and lzma's decompressor objects have in common."""

    @property
    def eof(self) -> bool: ...

    @property
    def unused_data(self) -> bytes: ...

    def decompress(self, data: bytes, /) -> bytes: ...


_DECODERS: dict[str, Callable[[], _Decoder]] = {
    "gz": lambda: zlib.decompressobj(wbits=47),
    "bz2": bz2.BZ2Decompressor,
    "xz": lzma.LZMADecompressor,
}
_DAMAGE = (zlib.error, OSError, EOFError, lzma.LZMAError)


def compression_of(magic: bytes) -> str | None:
    """`gz`, `bz2` or `xz` from a file's first bytes; None: not compressed."""
    return next((kind for m, kind in MAGIC if magic.startswith(m)), None)


class _Damaged(Exception):
    """Damaged compressed data at compressed byte `position`."""

    def __init__(self, error: Exception, position: int):
        super().__init__(str(error))
        self.position = position


def _open_raw(src: Source) -> BinaryIO:
    return sys.stdin.buffer if src.is_stdin else open_binary(src.path)


def decompressed(src: Source, chunk_size: int) -> Iterator[bytes]:
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
            lines: int | None = None
            position = damage.position
            if not src.is_stdin:
                lines, position = yield from _recover(src.path, src.compression, yielded, position)
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


def _recover(
    path: str, kind: str, skip: int, position: int
) -> Generator[bytes, None, tuple[int, int]]:
    """Decode the archive at `path` again in small steps up to its damage; yield what
    follows the first `skip` bytes; return (complete lines before the damage, where it
    was found)."""
    lines = 0
    with open_binary(path) as raw:
        try:
            for out in _decode(raw, kind, RECOVERY_READ, [], RECOVERY_STEP):
                lines += out.count(b"\n")
                if skip >= len(out):
                    skip -= len(out)
                    continue
                out, skip = out[skip:], 0
                yield out
        except _Damaged as damage:
            position = damage.position
    return lines, position
