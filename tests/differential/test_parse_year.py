"""The compiled core with an explicit `--year` against the Python stage: the BSD year
state (the year, the last line's month, the clock's text cache whose hits skip the
December -> January rule) is one state for the Rust pass and the Python parser behind
it, so both give the same times, and the same state at the end of each batch, however
the lines are ordered and whichever side parses them."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from both import compare, require_core

from analyzer.samplegen import generate_postfix
from analyzer.samplegen.mta import generate_mta


@pytest.fixture(autouse=True)
def _core():
    require_core()


def _berlin():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/Berlin")


def test_generated_postfix_over_new_year():
    lines, _ = generate_postfix(start=datetime(2026, 12, 31, 12), days=1, messages_per_day=1500)
    data = "\n".join(lines).encode()
    for tz in (UTC, _berlin()):
        total, python_lines = compare(data, batch_bytes=100_000, zone=tz, year=2026)
        assert total > 10_000 and python_lines == 0


def test_generated_sendmail_over_new_year():
    lines, _ = generate_mta("sendmail", start=datetime(2026, 12, 31, 12), days=1)
    data = "\n".join(lines).encode()
    total, python_lines = compare(
        data, batch_bytes=100_000, zone=_berlin(), year=2026, format="sendmail"
    )
    assert total > 5_000 and python_lines == 0


# a header the Python parser reads (not ASCII: `\d` takes Arabic-Indic digits) between
# the ones the core reads: both advance the one state
NON_ASCII = "Jan ٠٢ 00:00:01 mx1 postfix/smtpd[1]: connect from ä[192.0.2.1]"


def _line(month: str, day: int, second: int, python: bool) -> str:
    head = f"{month} {day:2d} 23:59:{second:02d}"
    host = "mx1 postfix/smtpd[1]: connect from " + ("ä" if python else "a")
    return f"{head} {host}[192.0.2.1]"


def test_unordered_lines_and_the_text_cache():
    """December and January lines mixed, times repeated (cache hits skip the year rule),
    a third of them parsed by Python, a missing hour and a bad day between."""
    rng = random.Random(7)
    lines = []
    for i in range(3000):
        month = rng.choice(["Dec", "Dec", "Jan", "Jun", "Jul"])
        lines.append(_line(month, rng.randint(1, 3), rng.randint(0, 5), rng.random() < 0.3))
        if i % 500 == 0:
            lines += [NON_ASCII, "Mar 29 02:30:00 mx1 postfix/smtpd[1]: connect from a[1.2.3.4]"]
            lines.append("Feb 30 10:00:00 mx1 postfix/smtpd[1]: connect from a[1.2.3.4]")
    data = "\n".join(lines).encode()
    for tz in (UTC, _berlin()):
        for size in (None, 2_000):
            total, python_lines = compare(data, batch_bytes=size, zone=tz, year=2026, last_month=11)
            assert total == len(lines) and 0 < python_lines < total // 2
