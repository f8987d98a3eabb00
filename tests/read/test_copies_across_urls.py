"""Copies of a log in other directories or URLs (a log copied to another machine during
an incident) share its checkpoint: a line is counted once however the copies are read,
a shorter older copy reads nothing, an unrelated file of the same name is a new source,
and a run again reads nothing. Plain paths, `file://` URLs and fsspec's memory file
system; each dataset equals one run over the log itself."""

from __future__ import annotations

import os
import shutil
from datetime import datetime

import fsspec
import pytest
from helpers import assert_same_dataset, ingest

from analyzer.read.sources import HEAD_BYTES
from analyzer.samplegen.postfix import generate_postfix

MTIME = datetime(2026, 11, 27, 12, 0).timestamp()


@pytest.fixture(scope="module")
def text() -> bytes:
    lines = generate_postfix(seed=31, days=0.1, messages_per_day=6000)[0]
    data = "".join(line + "\n" for line in lines).encode()
    assert len(data) > 4 * HEAD_BYTES  # the copies below are cut past the head and in it
    return data


def cut_at(text: bytes, share: float) -> bytes:
    """`text` up to the end of the line at `share` of it."""
    return text[: text.rindex(b"\n", 0, int(len(text) * share)) + 1]


def write(path, data: bytes) -> str:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.utime(path, (MTIME, MTIME))
    return str(path)


@pytest.fixture(scope="module")
def whole(text, tmp_path_factory) -> str:
    """The dataset of one run over the log itself."""
    root = tmp_path_factory.mktemp("whole")
    data = str(root / "data")
    ingest([write(root / "mx1" / "maillog", text)], data)
    return data


def test_a_copy_read_after_its_log_reads_nothing(text, whole, tmp_path):
    log = write(tmp_path / "mx1" / "maillog", text)
    copy = write(tmp_path / "incident" / "maillog", text)
    data = str(tmp_path / "d")
    first = ingest([log], data)
    assert first.lines == text.count(b"\n")
    again = ingest([copy], data)
    assert again.lines == 0
    assert [s.status for s in again.sources] == ["unchanged"]
    assert_same_dataset(data, whole)


def test_copies_in_one_first_run_are_counted_once(text, whole, tmp_path):
    older = cut_at(text, 0.6)
    paths = [
        write(tmp_path / "a" / "maillog", older),  # read first: the shorter one
        write(tmp_path / "b" / "maillog", text),
        write(tmp_path / "c" / "maillog", text),
    ]
    data = str(tmp_path / "d")
    run = ingest([os.path.dirname(p) for p in paths], data)
    assert run.lines == text.count(b"\n")
    assert [s.lines for s in run.sources] == [
        older.count(b"\n"),
        text.count(b"\n") - older.count(b"\n"),
        0,
    ]
    assert_same_dataset(data, whole)
    assert ingest([os.path.dirname(p) for p in paths], data).lines == 0


def test_a_longer_copy_reads_on_and_its_log_then_reads_nothing(text, whole, tmp_path):
    """Read from the log, then from a copy made later (longer), then from the log grown to
    the copy's length: each line once."""
    part = cut_at(text, 0.4)
    log = write(tmp_path / "mx1" / "maillog", part)
    data = str(tmp_path / "d")
    assert ingest([log], data).lines == part.count(b"\n")
    copy = write(tmp_path / "shipped" / "maillog", text)
    on = ingest([copy], data)
    assert on.lines == text.count(b"\n") - part.count(b"\n")
    assert on.sources[0].status == f"copy of {log}, resumed"
    write(log, text)
    grown = ingest([log], data)
    assert grown.lines == 0 and grown.sources[0].status == "unchanged"
    assert_same_dataset(data, whole)


@pytest.mark.parametrize("share", [0.5, 0.002], ids=["past-the-head", "within-the-head"])
def test_a_shorter_older_copy_reads_nothing(text, whole, tmp_path, share):
    """A copy taken earlier in the incident holds the log's beginning: all of it was read.
    Within the head (shorter than the checkpoint's fingerprint) it is recognised by the
    beginning of the log's own file."""
    older = cut_at(text, share)
    assert (len(older) > HEAD_BYTES) == (share > 0.1)
    log = write(tmp_path / "mx1" / "maillog", text)
    copy = write(tmp_path / "incident" / "maillog", older)
    data = str(tmp_path / "d")
    ingest([log], data)
    again = ingest([copy], data)
    assert again.lines == 0
    assert again.sources[0].status == f"copy of {log}, already read"
    assert_same_dataset(data, whole)
    both = ingest([os.path.dirname(copy), os.path.dirname(log)], data)  # both, in one run
    assert both.lines == 0


def test_an_unrelated_file_of_the_same_name_is_a_new_source(text, tmp_path):
    other_text = "".join(
        line + "\n" for line in generate_postfix(seed=32, days=0.05, messages_per_day=6000)[0]
    ).encode()
    log = write(tmp_path / "mx1" / "maillog", text)
    other = write(tmp_path / "mx2" / "maillog", other_text)
    data = str(tmp_path / "d")
    ingest([log], data)
    second = ingest([other], data)
    assert second.lines == other_text.count(b"\n")
    assert second.sources[0].status == "new"
    assert ingest([log, other], data).lines == 0


def test_file_urls_and_paths_are_one_log(text, whole, tmp_path):
    log = write(tmp_path / "mx1" / "maillog", text)
    copy = write(tmp_path / "copied" / "maillog", text)
    data = str(tmp_path / "d")
    ingest([log], data)
    from_url = ingest([(tmp_path / "copied" / "maillog").as_uri()], data)
    assert from_url.lines == 0
    shutil.copy(copy, tmp_path / "copied" / "again")  # another name: a new source (a limit)
    assert ingest([str(tmp_path / "copied" / "again")], data).lines == text.count(b"\n")


def test_copied_objects_across_memory_urls(text, whole, tmp_path):
    """The log as an object, a copy of it under another prefix and a shorter older copy
    under a third: read in any order, each line once; a run again reads nothing."""
    memory = fsspec.filesystem("memory")
    older = cut_at(text, 0.3)
    try:
        memory.pipe("/fleet/mx1/maillog", cut_at(text, 0.7))
        memory.pipe("/incident/mx1/maillog", text)
        memory.pipe("/older/mx1/maillog", older)
        data = str(tmp_path / "d")
        first = ingest(["memory://older/mx1/maillog"], data)
        assert first.lines == older.count(b"\n")
        second = ingest(["memory://fleet/mx1/maillog", "memory://incident/mx1/maillog"], data)
        assert second.lines == text.count(b"\n") - older.count(b"\n")
        again = ingest(
            ["memory://fleet/*/maillog", "memory://incident/*/maillog", "memory://older/*/maillog"],
            data,
        )
        assert again.lines == 0
    finally:
        for prefix in ("/fleet", "/incident", "/older"):
            memory.rm(prefix, recursive=True)
    assert_same_dataset(data, whole)
