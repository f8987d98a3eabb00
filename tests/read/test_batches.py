"""`read_batches`: a source's complete lines from an offset on, in batches whose offsets,
ends and bytes put together are the file's lines exactly (lines longer than a chunk,
chunks ending on a newline, an unterminated last line kept for the next run)."""

from __future__ import annotations

import random

import pytest

from analyzer.read import batches
from analyzer.read.sources import describe


@pytest.mark.parametrize("seed", range(12))
def test_batches_are_the_files_complete_lines(tmp_path, monkeypatch, seed):
    rng = random.Random(seed)
    monkeypatch.setattr(batches, "CHUNK", rng.choice([7, 16, 64, 100]))
    lines = [b"x" * rng.choice([0, 1, 5, 30, 150]) + str(i).encode() for i in range(200)]
    tail = b"unterminated" if seed % 2 else b""
    data = b"\n".join(lines) + b"\n" + tail
    path = tmp_path / "maillog"
    path.write_bytes(data)
    start = rng.choice([0, len(lines[0]) + 1])  # from the start, or from the second line
    got = list(batches.read_batches(describe(str(path)), start))
    assert got[0].offset == start
    for batch, after in zip(got, got[1:], strict=False):
        assert after.offset == batch.end  # contiguous
    for batch in got:
        assert data[batch.offset : batch.end] == batch.data + b"\n"
    assert got[-1].end == len(data) - len(tail)  # the unterminated line is left for later
    assert b"\n".join(b.data for b in got) == data[start : len(data) - len(tail) - 1]
