"""Damaged and unfinished archives: every line decoded before the damage is kept (and
the warning says how many), and an archive still being written is not checkpointed past
its incomplete tail."""

import bz2
import gzip
import lzma
import os
import zlib
from datetime import datetime, timedelta

import pytest
from helpers import assert_same_dataset, ingest, table

from analyzer.dataset.store import Dataset

COMPRESS = {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}
DECODER = {
    "gz": lambda: zlib.decompressobj(wbits=47),
    "bz2": bz2.BZ2Decompressor,
    "xz": lzma.LZMADecompressor,
}
START = datetime(2026, 11, 26)
MTIME = datetime(2026, 11, 27, 12, 0).timestamp()


def _failures(n):
    """n AUTH failure lines, one second apart: each line is one row, its time its key."""
    return [
        f"{START + timedelta(seconds=i):%b %d %H:%M:%S} mx1 postfix/smtpd[{1000 + i % 9000}]: "
        f"warning: unknown[198.51.{i // 250 % 250}.{i % 250 + 1}]: SASL LOGIN authentication "
        f"failed: UGFzc3dvcmQ6 {i:06d} {'x' * (i * 7919 % 40)}"
        for i in range(n)
    ]


def _text(lines) -> bytes:
    return "".join(line + "\n" for line in lines).encode()


def _write(path, data: bytes, mtime=MTIME):
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))
    return path


def _correct_prefix(kind: str, damaged: bytes, original: bytes) -> int:
    """How many bytes a decoder fed one byte at a time yields before the damage that
    are still the original's."""
    d, out = DECODER[kind](), b""
    try:
        for i in range(len(damaged)):
            out += d.decompress(damaged[i : i + 1])
            if d.eof:
                break
    except (zlib.error, OSError, EOFError, lzma.LZMAError):
        pass
    n = 0
    while n < min(len(out), len(original)) and out[n] == original[n]:
        n += 1
    return n


@pytest.mark.parametrize("kind", ["xz", "gz", "bz2"])
def test_a_damaged_archive_keeps_every_line_decoded_before_the_damage(tmp_path, kind):
    lines = _failures(12000)
    original = _text(lines)
    damaged = bytearray(COMPRESS[kind](original))
    damaged[len(damaged) * 2 // 3] ^= 0x55
    damaged = bytes(damaged)
    good = original[: _correct_prefix(kind, damaged, original)].count(b"\n")
    assert 1000 < good < len(lines)  # the damage is real, and not at the start
    log = _write(tmp_path / f"maillog.1.{kind}", damaged)
    data = tmp_path / "d"
    summary = ingest([log], data, year=2026)
    rows = table(data, "auth_failures")
    kept = {ts.to_pydatetime().replace(tzinfo=None) for ts in rows.ts}
    assert all(START + timedelta(seconds=i) in kept for i in range(good))
    (warning,) = [w for w in summary.warnings if "damaged" in w]
    said = int(warning.split("kept the ")[1].split(" complete lines")[0].replace(",", ""))
    assert good <= said <= summary.lines
    # the archive is checkpointed at its last complete line: nothing is read twice
    assert ingest([log], data, year=2026).lines == 0


@pytest.mark.parametrize("kind", ["xz", "gz", "bz2"])
def test_an_archive_still_being_written_is_read_to_its_end_once_it_is_whole(tmp_path, kind):
    lines = _failures(20000)
    original = _text(lines)
    whole = COMPRESS[kind](original)
    log = tmp_path / f"maillog.1.{kind}"
    _write(log, whole[: len(whole) * 3 // 5], MTIME - 60)  # compression still running
    data = tmp_path / "d"
    first = ingest([log], data, year=2026)
    assert any("ends early" in w for w in first.warnings)
    assert first.unparsed == 0  # the cut-off line is not read as a line
    (cp,) = Dataset(data).state()["sources"].values()
    assert cp["offset"] == len(_text(lines[: first.lines]))  # before the incomplete tail
    _write(log, whole)
    second = ingest([log], data, year=2026)
    assert first.lines + second.lines == len(lines)
    assert not second.warnings
    ingest([_write(tmp_path / "plain", original)], tmp_path / "ref", year=2026)
    assert_same_dataset(data, tmp_path / "ref")
