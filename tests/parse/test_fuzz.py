"""Property-based tests over damaged real lines (corpora and sample logs; see
`tests/fuzzlines.py`): no exception escapes, every good line still yields its event
whatever damaged lines surround it, every line is counted once (events + unparsed =
lines), and an unparsed row points at its bytes. Budgets are small to keep the suite fast;
`tools/fuzz.py` runs the same properties for as long as one likes."""

import gzip
import tempfile
from datetime import UTC, date
from pathlib import Path

import pytest
from conftest import SAMPLE_LOGS
from fuzzlines import Case, cases, load_pools
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer import api
from analyzer.clock import Clock
from analyzer.parse.batch import BatchJob, parse_batch
from analyzer.parse.events import LineParser
from analyzer.read.batches import Batch

REFERENCE = date(2026, 12, 31)
DAY_US = 86_400_000_000
SETTINGS = dict(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


@pytest.fixture
def pools(corpora):
    return load_pools(corpora, SAMPLE_LOGS)


def batch_of(data: bytes) -> Batch:
    """The data as ingest batches it: whole lines, the final newline not included."""
    body = data[:-1] if data.endswith(b"\n") else data
    return Batch(0, body, len(data))


def parse_each(case_pool, data: bytes) -> list:
    """One event (or None for an empty line) per decoded line, as `parse_batch` reads them."""
    parser = LineParser(
        Clock(UTC, reference=REFERENCE, year=2026),
        format=case_pool.format,
        host="mx1",
        native=case_pool.native,
        lean=True,
    )
    return [parser.parse(line) if line else None for line in batch_of(data).lines()]


def comparable(event: dict) -> dict:
    """An event without its date: damaged lines before it may move the year on (a flipped
    byte can turn `Jan` into `Jun`), never the time of day or anything else."""
    out = {k: v for k, v in event.items() if k != "ts"}
    out["time_of_day"] = event["ts"] % DAY_US if event["ts"] is not None else None
    return out


def check_lines(case: Case) -> None:
    clean = parse_each(case.pool, b"\n".join(case.good) + b"\n")
    damaged = parse_each(case.pool, case.data)
    # where each piece's first line lands (a damaged piece may hold newlines of its own)
    starts, at = [], 0
    for piece in case.pieces:
        starts.append(at)
        at += piece.count(b"\n") + 1
    assert len(damaged) == at  # no line lost or invented by the decoding
    for k, i in enumerate(case.good_at):
        assert clean[k] is not None and damaged[starts[i]] is not None
        assert comparable(damaged[starts[i]]) == comparable(clean[k]), case.pool.name
    lines = [e for e in damaged if e is not None]
    unparsed = sum(e["event"] == "unparsed" for e in lines)
    recognised = sum(e["event"] != "unparsed" for e in lines)
    assert recognised + unparsed == len(lines)

    # the ingest path: the same count, and each unparsed row points at its own bytes
    result = parse_batch(
        BatchJob(
            batch_of(case.data).data,
            0,
            len(case.data),
            "fuzz",
            UTC,
            REFERENCE,
            2026,
            0,
            case.pool.format,
            case.pool.native,
            "mx1",
        )
    )
    assert result.lines == len(lines)
    assert len(result.unparsed) == unparsed
    for row in result.unparsed:
        raw = case.data[row["offset"] : row["offset"] + row["line_length"]]
        text = raw.decode("utf-8", "replace").replace("\x00", "")
        assert text[:8192] == row["line"]


@settings(max_examples=40, **SETTINGS)
@given(data=st.data())
def test_damaged_lines_cost_no_good_line(pools, data):
    check_lines(data.draw(cases(pools)))


def expected_lines(case: Case, plain: bool) -> tuple[int, int]:
    """(lines a first ingest reads, lines left for the next): a plain file's unterminated
    last line waits (the MTA may be writing it); an archive's is read."""
    lines = [line for line in batch_of(case.data).lines() if line]
    tail = batch_of(case.data).lines()[-1] if not case.final_newline else ""
    if plain and tail:
        return len(lines) - 1, 1
    return len(lines), 0


def check_ingest(case: Case, compressed: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / ("maillog.gz" if compressed else "maillog")
        log.write_bytes(gzip.compress(case.data) if compressed else case.data)
        data = Path(tmp) / "data"
        summary = api.ingest(
            [str(log)], data=data, tz="UTC", year=2026, format=case.pool.format, host="mx1"
        )
        first, waiting = expected_lines(case, plain=not compressed)
        assert summary.lines == first
        assert len(api.table("unparsed", data=data)) == summary.unparsed
        assert summary.events + summary.unparsed + summary.beside_mta == summary.lines
        if not compressed:  # the last line completed: read once, nothing read twice
            with open(log, "ab") as f:
                f.write(b"\n")
            again = api.ingest(
                [str(log)], data=data, tz="UTC", year=2026, format=case.pool.format, host="mx1"
            )
            assert again.lines == waiting
        for name in ("messages", "deliveries", "rejects", "connections"):
            api.table(name, data=data)  # every table reads back


@settings(max_examples=8, **SETTINGS)
@given(data=st.data(), compressed=st.booleans())
def test_damaged_files_ingest_every_line_once(pools, data, compressed):
    check_ingest(data.draw(cases(pools)), compressed)


def test_a_hostile_exim_token_is_parsed_at_once():
    """Found by tools/fuzz.py: a 3,000-character run of `=` after `rejected` in an Exim
    line that then fails to match took 3 s in `exim_rejected` (`\\S+=\\S*` splits a run of
    `=` in O(n^2) ways at each step), so 200 kB would stop an ingest for hours. A selector
    name holds no `=`; the line must come back at once (before the fix this test hangs)."""
    hostile = "=" * 200_000
    line = (
        f"1999-03-02 09:44:33 H=(x.y.z) [10.9.8.10] U=CALLER rejected EHLO or HE{hostile}LO x.y.z"
    )
    (event,) = api.parse_lines([line], tz="UTC", format="exim")
    assert event["event"] == "unparsed" and event["ts"] == "1999-03-02T09:44:33Z"
    fine = f"2026-11-26 10:00:00 H=(x.y.z) [10.9.8.10] rejected EHLO or HELO {hostile}x: syntactically invalid"
    (event,) = api.parse_lines([fine], tz="UTC", format="exim")
    assert (event["event"], event["client_ip"], event["stage"]) == ("reject", "10.9.8.10", "HELO")


def test_a_damaged_journal_pid_costs_no_line():
    """Found by tools/fuzz.py: a journald entry whose `_PID` holds a byte that is not a
    digit (here an invalid UTF-8 byte, decoded as U+FFFD) raised ValueError in the middle
    of an ingest. The entry is read without a pid."""
    line = (
        '{"__REALTIME_TIMESTAMP": "1795651140000000", "_HOSTNAME": "mx1", '
        '"SYSLOG_IDENTIFIER": "postfix/smtpd", "_PID": "\\ufffd4310", '
        '"MESSAGE": "connect from unknown[192.0.2.1]"}'
    )
    (event,) = api.parse_lines([line], format="journal")
    assert (event["event"], event["client_ip"], event.get("pid")) == ("connect", "192.0.2.1", None)
    for odd in ('{"x": 1}', '"_PID": 12', '"SYSLOG_IDENTIFIER": {"a": 1}'):
        (event,) = api.parse_lines([line.replace('"_PID": "\\ufffd4310"', odd)], format="journal")
        assert event["event"] in ("connect", "unparsed")
