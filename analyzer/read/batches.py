"""A source's complete lines, from a decompressed byte offset on, in batches of about
CHUNK bytes: the unit that is parsed, correlated and checkpointed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..parse.batch import decode_lines, line_spans
from .decompress import decompressed
from .sources import Source

CHUNK = 1 << 20  # bytes per batch: bounds the Python objects one batch becomes


@dataclass
class Batch:
    offset: int  # byte offset of the first line in the decompressed source
    data: bytes  # whole lines, joined by b"\n", without the final newline
    end: int  # byte offset just after the last line

    def lines(self) -> list[str]:
        """Decoded lines; invalid UTF-8 becomes U+FFFD, NUL padding is dropped."""
        return decode_lines(self.data)

    def line_offsets(self) -> list[tuple[int, int]]:
        """Byte offset and length of each line (for the few lines that need them)."""
        return line_spans(self.offset, self.data)


def read_batches(src: Source, start: int = 0, partial_tail: bool | None = None) -> Iterator[Batch]:
    """Complete lines from decompressed byte offset `start`, in batches of about CHUNK.

    An unterminated last line is kept for the next run when the file may still be
    growing (a plain file) or is cut short (a truncated or damaged archive); in a whole
    archive or on stdin it is read now.
    """
    pos = 0
    pending = b""
    offset = start
    for chunk in decompressed(src, CHUNK):
        if pos + len(chunk) <= start:
            pos += len(chunk)
            continue
        if pos < start:
            chunk = chunk[start - pos :]
            pos = start
        pos += len(chunk)
        cut = chunk.rfind(b"\n")
        if cut < 0:
            pending += chunk
            continue
        # the batch in one copy: the lines held over, then this chunk's up to its last
        # newline (`pending + chunk` then a slice of it would copy every byte twice)
        data = b"".join((pending, memoryview(chunk)[:cut]))
        pending = chunk[cut + 1 :]
        yield Batch(offset, data, offset + len(data) + 1)
        offset += len(data) + 1
    if partial_tail is None:  # known only now: whether an archive was whole
        partial_tail = src.is_stdin or (src.compression is not None and src.complete)
    if pending and partial_tail:
        yield Batch(offset, pending, offset + len(pending))
