"""Both parse stages on one batch, and the assertion that they agree exactly: the same
result, events and rows equal key for key, in the same key order, with the same types.

The differential tests run only with the compiled core built (`require_core`): without
it they skip with one reason, unless `ANALYZER_CORE=rust` says it must be there (then
they fail)."""

from __future__ import annotations

import os
from dataclasses import fields
from datetime import UTC, date, timezone
from zoneinfo import ZoneInfo

import pytest

from analyzer.parse import batch as python_stage
from analyzer.parse import rust_batch
from analyzer.parse.batch import BatchJob as Job
from analyzer.parse.core import compiled

python_parse_batch = python_stage.parse_batch

NOT_BUILT = "the compiled core (analyzer._core) is not built (no cargo at install)"


def require_core() -> None:
    """Skip (or fail, under ANALYZER_CORE=rust) when the compiled core is missing."""
    if compiled() is None:
        if os.environ.get("ANALYZER_CORE", "").strip().lower() == "rust":
            pytest.fail(NOT_BUILT + "; ANALYZER_CORE=rust is set", pytrace=False)
        pytest.skip(NOT_BUILT)


rust_parse_batch = rust_batch.parse_batch


def job(
    data: bytes,
    path: str = "maillog",
    zone: ZoneInfo | timezone = UTC,
    reference: date = date(2026, 12, 31),
    offset: int = 0,
    format: str | None = "postfix",
    native: bool = False,
    year: int | None = None,
    last_month: int = 0,
):
    """A batch as ingest makes it: whole lines, without the final newline (`year`,
    `last_month`: `--year`'s clock state at its start)."""
    body = data[:-1] if data.endswith(b"\n") else data
    return Job(
        data=body,
        offset=offset,
        end=offset + len(data),
        path=path,
        zone=zone,
        reference=reference,
        year=year,
        last_month=last_month,
        format=format,
        native=native,
        host="mx1",
    )


def fresh() -> None:
    """Forget both stages' parsers: the order in which a program's patterns are tried
    depends on the lines a parser saw, so both start from the same (no) history."""
    python_stage._parsers.clear()
    rust_batch._cores.clear()


def zone(name: str) -> ZoneInfo | timezone:
    """A `--tz` name as the tests write it: `UTC` or an IANA name."""
    return UTC if name == "UTC" else ZoneInfo(name)


def typed(d: dict) -> list:
    return [(k, type(v).__name__, v) for k, v in d.items()]


def assert_same(want, got) -> None:
    assert type(got) is type(want)
    for f in fields(want):
        a, b = getattr(want, f.name), getattr(got, f.name)
        if f.name in ("events", "unparsed"):
            assert len(b) == len(a), f.name
            for i, (x, y) in enumerate(zip(a, b)):
                assert typed(y) == typed(x), f"{f.name}[{i}]"
        else:
            assert type(b) is type(a) and b == a, f.name
            if isinstance(a, dict):
                assert list(b) == list(a), f.name  # Counter order: first seen


def compare(data: bytes, batch_bytes: int | None = None, **kw) -> tuple[int, int]:
    """Both stages over `data` (cut into batches of about `batch_bytes` at line ends, as
    ingest reads a file), asserting each batch's results equal; with `year`, each batch
    starts with the year state the one before ended with, as ingest chains them. (lines,
    lines the core handed to Python)."""
    fresh()
    lines = python_lines = 0
    offset = 0
    for chunk in _batches(data, batch_bytes):
        j = job(chunk, offset=offset, **kw)
        assert rust_batch.takes(j)
        try:
            want = python_parse_batch(j)
        except Exception as e:  # a Python parser error: the core raises the same
            with pytest.raises(type(e)) as raised:
                rust_parse_batch(j)
            assert str(raised.value) == str(e)
            return lines, python_lines
        got = rust_parse_batch(j)
        assert_same(want, got)
        lines += want.lines
        python_lines += rust_batch._core(j)[0].python_lines
        offset += len(chunk)
        if j.year is not None:
            kw["year"], kw["last_month"] = want.year, want.last_month
    return lines, python_lines


def _batches(data: bytes, size: int | None) -> list[bytes]:
    if size is None:
        return [data]
    out, start = [], 0
    while start < len(data):
        cut = data.find(b"\n", start + size)
        end = len(data) if cut < 0 else cut + 1
        out.append(data[start:end])
        start = end
    return out
