"""The compiled parse core against the Python parse stage: identical `parse_batch`
results (events, unparsed rows, counts, key order, types) on the sample maillog, every
Postfix file of the corpora, generated Postfix logs with BSD and RFC 3339 headers (across
both DST changes and the reference-year rule), hostile lines, and damaged real lines
(hypothesis)."""

from __future__ import annotations

import functools
from datetime import date, datetime
from pathlib import Path

import pytest
from both import (
    assert_same,
    compare,
    fresh,
    job,
    python_parse_batch,
    require_core,
    rust_parse_batch,
    zone,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.clock import MONTHS
from analyzer.parse import rust_batch
from analyzer.parse.header import sniff_format
from analyzer.samplegen import generate_postfix

ROOT = Path(__file__).resolve().parents[2]
BERLIN = "Europe/Berlin"


@pytest.fixture(autouse=True)
def _core():
    require_core()


@pytest.mark.parametrize("tz", ["UTC", BERLIN])
def test_sample_maillog(tz):
    data = (ROOT / "sample_logs" / "maillog").read_bytes()
    lines, python_lines = compare(data, batch_bytes=1 << 20, zone=zone(tz))
    assert lines > 60_000
    assert python_lines < lines // 100  # the core parses nearly all of it itself


def _postfix_files(corpora: Path) -> list[Path]:
    """Every corpus file whose first lines say Postfix (syslog), as ingest tells it."""
    found = []
    for path in sorted(corpora.rglob("*")):
        if not path.is_file() or path.suffix in (".jsonl", ".tsv", ".txt", ".md", ".gz"):
            continue
        head = path.read_bytes()[:65536].decode("utf-8", "replace").split("\n")[:200]
        if sniff_format(head) == ("postfix", False):
            found.append(path)
    return found


def test_corpora_postfix_files(corpora):
    files = _postfix_files(corpora)
    assert len(files) >= 10, files
    for path in files:
        for tz in ("UTC", BERLIN):
            compare(path.read_bytes(), path=str(path), zone=zone(tz), reference=date(2026, 3, 29))


@functools.cache
def _generated(start: datetime, days: float = 1.25, messages: int = 1200) -> tuple[str, ...]:
    lines, _ = generate_postfix(start=start, days=days, messages_per_day=messages)
    return tuple(lines)


# the days of Europe/Berlin's DST changes in 2026 (a missing and a doubled local hour),
# and a reference date inside the log so that later dates fall back a year
@pytest.mark.parametrize(
    "start, reference",
    [
        (datetime(2026, 3, 28, 22), date(2026, 12, 31)),
        (datetime(2026, 10, 24, 22), date(2026, 12, 31)),
        (datetime(2026, 3, 28, 22), date(2026, 3, 28)),
    ],
)
@pytest.mark.parametrize("tz", ["UTC", BERLIN, "America/New_York"])
def test_generated_bsd(start, reference, tz):
    data = "\n".join(_generated(start)).encode()
    lines, python_lines = compare(data, batch_bytes=200_000, zone=zone(tz), reference=reference)
    assert lines > 10_000 and python_lines < lines // 100


ISO_FORMS = (
    "%Y-%m-%dT%H:%M:%S",  # naive: the zone of --tz
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S.%f+01:00",
    "%Y-%m-%dT%H:%M:%S.123-0530",
    "%Y-%m-%dT%H:%M:%S,5+00:00",
    "%Y-%m-%d %H:%M:%S",  # journalctl's space form (Python reads it)
    "%Y-%m-%dT%H:%M:%S.1234567891+02:00",  # ten digits: no header
)


def _iso(line: str, year: int, i: int) -> str:
    """The BSD header's time as one of the RFC 3339 / rsyslog forms, by turns."""
    month = MONTHS[line[:3]]
    day, hour, minute, second = int(line[4:6]), int(line[7:9]), int(line[10:12]), int(line[13:15])
    stamp = datetime(year, month, day, hour, minute, second)
    return stamp.strftime(ISO_FORMS[i % len(ISO_FORMS)]) + line[15:]


@pytest.mark.parametrize("tz", ["UTC", BERLIN])
def test_generated_rfc3339(tz):
    start = datetime(2026, 3, 28, 22)
    lines = [_iso(line, 2026, i) for i, line in enumerate(_generated(start))]
    data = "\n".join(lines).encode()
    total, python_lines = compare(data, batch_bytes=200_000, zone=zone(tz))
    assert total > 10_000 and python_lines < total * 3 // 10  # the space form is Python's


# Python raises IndexError on it (anvil's empty period): the core must raise it too
ANVIL_EMPTY_PERIOD = (
    "Mar 17 02:09:33 mx1 postfix/anvil[1]: statistics: max connection rate 3/ for "
    "(smtp:192.0.2.1) at Mar 17 02:00:00"
)
HOSTILE = [
    "Mar 29 02:30:00 mx1 postfix/smtpd[1]: connect from a.example[192.0.2.1]",  # no such hour
    "Feb 30 10:00:00 mx1 postfix/smtpd[1]: connect from a.example[192.0.2.1]",
    "Feb 28 10:58:99 mx1 postfix/smtpd[1]: connect from a.example[192.0.2.1]",
    "Feb 28 10:59:99 mx1 postfix/smtpd[1]: connect from a.example[192.0.2.1]",
    "Foo 28 10:00:00 mx1 postfix/smtpd[1]: connect from a.example[192.0.2.1]",
    "Mar  7 02:09:33 mx1 postfix/smtpd[1]: connect from unknown[192.0.2.1]",
    "Mar 7 02:09:33 mx1 postfix/smtpd[1]: connect from [192.0.2.1]:25",
    "Mar  17 02:09:33 mx1 postfix/smtpd[1]: connect from a[192.0.2.1]",
    "<22>Mar 17 02:09:33 mx1 postfix/smtpd[99999999999999999999999]: connect from a[1.2.3.4]",
    "Mar 17 02:09:33 mx1 postfix/smtpd[1]: disconnect from a[1.2.3.4] ehlo=1 auth=0/1 "
    "commands=1/2 auth=3 commands=99999999999999999999/1",
    "Mar 17 02:09:33 mx1 postfix/smtpd[1]: disconnect from a[1.2.3.4] ehlo=1 auth=x/1 quit=1",
    "Mar 17 02:09:33 mx1 postfix/smtp[1]: ABCDE12345: to=<U@Ex.AMPLE>, relay=none, delay=1e5, "
    "status=bounced (x)",
    "Mar 17 02:09:33 mx1 postfix/smtp[1]: ABCDE12345: to=<u@EXAMPLE.org>, relay=none, delay=.5, "
    "dsnx=1, dsn=5.0.0, status=bounced (host said: 550 no)",
    "Mar 17 02:09:33 mx1 postfix/qmgr[1]: ABCDE12345: from=<a@b>, size=999999999999999999999, "
    "nrcpt=1 (queue active)",
    "Mar 17 02:09:33 mx1 postfix/anvil[1]: statistics: max message rate 3/2h for "
    "(smtp:192.0.2.1) at Mar 17 02:00:00",
    "Mar 17 02:09:33 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from a[192.0.2.1]: 554 5.7.1 "
    "<x@y>: Relay access denied; from=<a@b> to=<x@y> proto=ESMTP helo=<h>",
    "Mar 17 02:09:33 mx1 postfix/smtpd[1]: warning: SASL authentication failed",
    # the ported lookaheads: where they fail, where they hold
    "Mar 17 02:09:33 mx1 postfix/qmgr[1]: warning: a SASL thing",
    "Mar 17 02:09:33 mx1 postfix/qmgr[1]: warning: no such thing",
    "Mar 17 02:09:33 mx1 postfix/anvil[1]: warning: authentication table",
    "Mar 17 02:09:33 mx1 postfix/anvil[1]: fatal: table lookup",
    "Mar 17 02:09:33 mx1 postfix/postscreen[1]: warning: SASL",
    "Mar 17 02:09:33 mx1 postfix/postscreen[1]: warning: dnsblog reply timeout",
    "Mar 17 02:09:33 mx1 postfix/postscreen[1]: cache btree:/x full cleanup: retained=1",
    "Mar 17 02:09:33 mx1 postfix/cleanup[1]: ABCDE12345: warning: header X-PHP-Originating-"
    "Script: 12:a.php from local; from=<a@b> to=<c@d>",
    "Mar 17 02:09:33 mx1 postfix/cleanup[1]: ABCDE12345: warning: header Subject: hi from "
    "local; from=<a@b> to=<c@d>",
    "Mar 17 02:09:33 mx1 postfix/smtpd[1]: connect from a[192.0.2.1]   \t ",
    "Mar 17 02:09:33 mx1 postfix/smtpd[1]: connect from a[192.0.2.1]\r",
    "Mar 17 02:09:33 mx1 postfix/smtpd[1]: connect from a[192.0.2.1]\x1c",
    "Mar 17 02:09:33 mx1 postfix/smtpd[1]: connect from ä[192.0.2.1]",
    "Mar 17 02:09:33 mx1 postfix/smtpd[1]: connect from a[١٢.0.2.1]",
    "Mar 17 02:09:33 mx1 dovecot[1]: imap-login: Login: user=<a>",
    "Mar 17 02:09:33 mx1 dovecot[1]: mail() on [/var/www/a.php:3]: To: x@y -- Headers: X",
    "Mar 17 02:09:33 mx1 exim[1]: 1Ai79e-0000Dq-8i <= a@b H=x [1.2.3.4] S=1",
    "Mar 17 02:09:33 mx1 sm-mta[1]: x: from=<a@b>, size=1, nrcpt=1",
    "Mar 17 02:09:33 mx1 php-fpm[1]: mail() on [/a.php:3]: To: x@y -- Headers: X",
    "Mar 17 02:09:33 mx1 postfix/smtpd[1]: " + "x" * 10_000,
    "Mar 17 02:09:33 mx1 postfix/smtpd[1]:connect from a[192.0.2.1]",
    "Mar 17 02:09:33 mx1 postfix/smtpd: connect from a[192.0.2.1]",
    "Mar 17 02:09:33 <mail.info> mx1 postfix/smtpd[1]: connect from a[192.0.2.1]",
    "Mar 17 02:09:33 [exim] LOGIN authenticator failed",
    "2026-03-17T02:09:60 mx1 postfix/smtpd[1]: connect from a[192.0.2.1]",
    "2026-02-30T02:09:00Z mx1 postfix/smtpd[1]: connect from a[192.0.2.1]",
    "2026-03-29T02:30:00 mx1 postfix/smtpd[1]: connect from a[192.0.2.1]",
    "2026-10-25T02:30:00 mx1 postfix/smtpd[1]: connect from a[192.0.2.1]",
    "2026-03-17T02:09:00+99:99 mx1 postfix/smtpd[1]: connect from a[192.0.2.1]",
    "0000-03-17T02:09:00 mx1 postfix/smtpd[1]: connect from a[192.0.2.1]",
    "2013-12-30 00:24:50 1Ai79e-0000Dq-8i SA: Debug: x",
    '{"__REALTIME_TIMESTAMP": "1700000000000000", "MESSAGE": "connect from a[1.2.3.4]", '
    '"SYSLOG_IDENTIFIER": "postfix/smtpd", "_HOSTNAME": "mx1"}',
    "[06-Oct-2016 01:38:43 America/Chicago] mail() on [/a.php:3]: To: x@y -- Headers: X",
    "just some text",
    "",
    "\x00\x00\x00",
]


@pytest.mark.parametrize("tz", ["UTC", BERLIN])
def test_hostile_lines(tz):
    data = "\n".join(HOSTILE).encode() + b"\n\xff\xfe broken utf-8\n"
    compare(data, zone=zone(tz), reference=date(2026, 3, 20))
    for line in HOSTILE:  # and each alone (the core's state fresh)
        compare(line.encode(), zone=zone(tz), reference=date(2026, 3, 20))


def test_lookahead_ports():
    from analyzer.parse.core_table import guarded, strip_lookarounds

    assert strip_lookarounds(r"a(?!b(?=c))d[(?!]e(?<!x)") == r"ad[(?!]e"
    assert guarded(r"x: (?!.*SASL).*$") == (r"x: (?P<__lookahead>).*$", ".*SASL")
    assert guarded(r"(?:(?!d)\w)+") is None  # in a repetition: not exact
    assert guarded(r"(?!\bx)y") is None  # the body looks before its start
    assert guarded(r"(?!a)(?!b)c") is None  # two of them


def test_python_exceptions_are_raised_by_both():
    """Python raises on anvil's empty period (`3/`): the core must not hide it."""
    data = "\n".join(HOSTILE[:5] + [ANVIL_EMPTY_PERIOD] + HOSTILE[5:]).encode()
    fresh()
    with pytest.raises(IndexError):
        python_parse_batch(job(data))
    with pytest.raises(IndexError):
        rust_parse_batch(job(data))


def test_jobs_the_core_does_not_take_go_to_python_whole():
    data = (ROOT / "sample_logs" / "php" / "mail.log").read_bytes()[:100_000]
    j = job(data, format="phpmail", native=True)
    assert not rust_batch.takes(j)
    fresh()
    assert_same(python_parse_batch(j), rust_parse_batch(j))


@pytest.fixture
def pools(corpora):
    """Real lines of every file the core takes (Postfix, Exim, Sendmail)."""
    from fuzzlines import load_pools

    pools = load_pools(corpora, ROOT / "sample_logs")
    return [p for p in pools if rust_batch.takes(job(b"", format=p.format, native=p.native))]


def test_damaged_lines(pools):
    """Both stages fed the same real lines with damaged copies between them (truncations,
    byte flips, NUL runs, invalid UTF-8, giant fields, odd whitespace, random bytes):
    identical events, unparsed rows and counts, with and without `--year`."""
    from fuzzlines import cases

    assert len(pools) >= 5 and {p.format for p in pools} >= {"postfix", "exim", "sendmail"}

    @settings(
        max_examples=100,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        case=cases(pools),
        tz=st.sampled_from(["UTC", BERLIN]),
        split=st.booleans(),
        year=st.sampled_from([None, 2026]),
    )
    def run(case, tz, split, year):
        compare(
            case.data,
            batch_bytes=2000 if split else None,
            zone=zone(tz),
            reference=date(2026, 3, 20),
            format=case.pool.format,
            native=case.pool.native,
            year=year,
        )

    run()
