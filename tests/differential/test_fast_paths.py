"""The compiled core's fast paths (the hand-read syslog header and the hand-written
matchers of Postfix's hottest patterns, `rust/src/engine/fast/`) against the regex table
they stand in for: on every sample log, every corpus file the core takes, generated
logs with BSD and RFC 3339 headers, and mutated hot lines (a seeded loop and a
hypothesis test), the core with its fast paths on gives exactly the results of the core
with them off, and in `verify` mode (both run on every line a fast path answers) no
line differs. Each fast path must be bound to the table (a changed regex unbinds its
matcher: this test then says which) and must answer the lines it was written for."""

from __future__ import annotations

import functools
import gzip
import random
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from both import _batches, assert_same, fresh, job, require_core, zone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.clock import MONTHS
from analyzer.parse import rust_batch
from analyzer.samplegen import generate_postfix

ROOT = Path(__file__).resolve().parents[2]
BERLIN = "Europe/Berlin"
FORMATS = {"postfix": ("postfix", False), "exim": ("exim", False), "sendmail": ("sendmail", False)}
BOUND = {
    "header",
    "smtpd_connect",
    "smtpd_disconnect",
    "smtpd_client",
    "cleanup_message_id",
    "qmgr_queued",
    "qmgr_removed",
    "delivery",
    "postscreen_connect",
    "postscreen_verdict",
    "tls_and_transport",
    "pickup",
    "anvil_client_rate",
}


@pytest.fixture(autouse=True)
def _core():
    require_core()
    yield
    fresh()  # later tests get cores with the fast paths on (the default)


def _parse(mode: str, data: bytes, batch_bytes: int | None, **kw) -> tuple[list, tuple]:
    """The core's results over `data` with its fast paths in `mode`, from fresh cores
    (a route's order depends on the lines it saw), and its `fast_report()`."""
    fresh()
    out, offset, core = [], 0, None
    for chunk in _batches(data, batch_bytes):
        j = job(chunk, offset=offset, **kw)
        core = rust_batch._core(j)[0]
        core.fast_paths = mode
        try:
            out.append(rust_batch.parse_batch(j))
        except Exception as e:  # the Python parser raised: so must every mode
            out.append((type(e), str(e)))
        offset += len(chunk)
    assert core is not None
    return out, core.fast_report()


def same_as_regexes(data: bytes, batch_bytes: int | None = None, **kw) -> dict[str, int]:
    """Assert that the fast paths change nothing on `data`; the lines each answered."""
    want, _ = _parse("off", data, batch_bytes, **kw)
    answered: dict[str, int] = {}
    for mode in ("on", "verify"):
        got, (_, counts, mismatches) = _parse(mode, data, batch_bytes, **kw)
        assert mismatches == [], mode
        assert len(got) == len(want), mode
        for a, b in zip(want, got):
            if isinstance(a, tuple):
                assert b == a, mode
            else:
                assert_same(a, b)
        if mode == "verify":
            assert counts == answered, "verify and on answer the same lines"
        else:
            answered = dict(counts)
    return answered


def test_every_fast_path_is_bound_and_used():
    """A matcher is bound only to the exact regex it was written for: a change to the
    table shows here (rewrite the matcher, or drop it)."""
    fresh()
    data = "\n".join(HOT).encode()
    answered = same_as_regexes(data)
    _, (bound, _, _) = _parse("on", data, None)
    assert set(bound) == BOUND
    assert set(answered) == BOUND  # each answers its own lines
    assert answered["header"] == len(HOT)


def test_sample_logs():
    for name, fmt in [
        ("maillog", "postfix"),
        ("exim/exim_mainlog", "exim"),
        ("sendmail/maillog", "sendmail"),
    ]:
        data = (ROOT / "sample_logs" / name).read_bytes()
        native = name.startswith("exim/")
        counts = same_as_regexes(data, batch_bytes=1 << 20, format=fmt, native=native)
        if fmt == "postfix":
            lines = data.count(b"\n")
            assert counts["header"] > lines * 9 // 10
            assert sum(v for k, v in counts.items() if k != "header") > lines // 2


def test_corpora(corpora):
    """Every corpus file the core takes, read whole, in both zones."""
    from analyzer.parse.header import sniff_format

    seen = 0
    for path in sorted(corpora.rglob("*")):
        if not path.is_file() or path.suffix in (".jsonl", ".tsv", ".txt", ".md"):
            continue
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        head = data[:65536].decode("utf-8", "replace").split("\n")[:200]
        fmt, native = sniff_format(head)
        if fmt not in FORMATS or (native and fmt != "exim"):
            continue
        seen += 1
        for tz in ("UTC", BERLIN):
            same_as_regexes(
                data, format=fmt, native=native, zone=zone(tz), reference=date(2026, 3, 29)
            )
    assert seen >= 10


@functools.cache
def _generated() -> tuple[str, ...]:
    lines, _ = generate_postfix(start=datetime(2026, 3, 28, 22), days=1.25, messages_per_day=1500)
    return tuple(lines)


ISO_FORMS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.123456+01:00", "%Y-%m-%dT%H:%M:%SZ")


def _iso(line: str, i: int) -> str:
    month = MONTHS[line[:3]]
    day, hour, minute, second = int(line[4:6]), int(line[7:9]), int(line[10:12]), int(line[13:15])
    stamp = datetime(2026, month, day, hour, minute, second, tzinfo=UTC)
    text = stamp.strftime(ISO_FORMS[i % len(ISO_FORMS)]).replace("+01:00", "+0100" * (i % 2))
    return ("<22>" if i % 7 == 0 else "") + text + line[15:]


@pytest.mark.parametrize("tz", ["UTC", BERLIN])
def test_generated(tz):
    lines = _generated()
    counts = same_as_regexes("\n".join(lines).encode(), batch_bytes=300_000, zone=zone(tz))
    assert counts["header"] == len(lines)
    assert sum(v for k, v in counts.items() if k != "header") > len(lines) // 2
    iso = [_iso(line, i) for i, line in enumerate(lines)]
    counts = same_as_regexes("\n".join(iso).encode(), batch_bytes=300_000, zone=zone(tz))
    assert counts["header"] == len(lines)


# one or more lines of every fast path, with the variants each handles
HOT = [
    "Mar 17 02:09:33 mx1 postfix/smtpd[2201]: connect from mail-a.example.net[203.0.113.5]",
    "Mar 17 02:09:33 mx1 postfix/submission/smtpd[2202]: connect from unknown[2001:db8::25]",
    "Mar 17 02:09:33 mx1 postfix/smtpd[1]: connect from [192.0.2.1]:25",
    "Mar 17 02:09:33 mx1 postfix/smtpd[123]: disconnect from unknown[192.0.2.1] helo=1 auth=0/1 "
    "quit=1 commands=2/3",
    "Mar 17 02:09:33 mx1 postfix/smtpd[123]: disconnect from mail.example.com[192.0.2.2]",
    "Mar  9 10:05:51 server postfix/smtpd[22074]: 10C0D60C50: client=host16.hiway.at[85.238.181.16], "
    "sasl_method=LOGIN, sasl_username=info@brunoaita.it",
    "Oct 13 16:40:42 ucs postfix/smtpd[18581]: ED01244770: client=localhost[127.0.0.1], "
    "orig_queue_id=4F5C64474F, orig_client=unknown[28.55.140.112]",
    "Nov 26 09:00:02 mx1 postfix-incoming/smtpd[77]: 4F2A11C0E3: client=unknown[192.0.2.7]",
    "Nov 26 09:00:02 mx1 postfix/smtpd[77]: 4F2A11C0E3: client=a[192.0.2.7]:587, "
    "sasl_method=PLAIN, sasl_username=u@x, sasl_sender=<s@x>",
    "Nov 26 09:00:02 mx1 postfix/cleanup[7]: 4F2A11C0E3: message-id=<a.b@c.example>",
    "Nov 26 09:00:02 mx1 postfix/cleanup[7]: 3bHLg21qzBz9vNC: resent-message-id=a.b@c",
    "Nov 26 09:00:02 mx1 postfix/cleanup[7]: 4F2A11C0E3: message-id=<>",
    "Nov 26 10:00:00 mx1 postfix/qmgr[20]: 4F2A11C0E3: from=<a@b.example>, size=1234, nrcpt=2 "
    "(queue active)",
    "Nov 26 10:00:00 mx1 postfix/qmgr[20]: 4F2A11C0E7: from=<>, size=3000, nrcpt=1 (queue active)",
    "Nov 26 10:00:00 mx1 postfix/qmgr[20]: 4F2A11C0E3: removed",
    "Nov 26 10:00:00 mx1 postfix/postsuper[20]: 3bHLg21qzBz9vNC: removed",
    "Nov 26 10:00:00 mx1 postfix/smtp[9]: 4F2A11C0E3: to=<x@y.example>, relay=mx.y.example"
    "[192.0.2.5]:25, delay=0.52, delays=0.1/0/0.2/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: "
    "queued as 4BC)",
    "Nov 26 10:00:00 mx1 postfix/lmtp[9]: 4F2A11C0E3: to=<x@y.example>, orig_to=<z@y.example>, "
    "relay=mail.y[private/dovecot-lmtp], conn_use=2, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, "
    "status=sent (250 2.0.0 <x@y.example> Saved)",
    "Nov 26 10:00:00 mx1 postfix/local[9]: 4F2A11C0E3: to=<root@mx1>, relay=local, delay=1, "
    'delays=0/0/0/1, dsn=5.1.1, status=bounced (unknown user: "root")',
    "Nov 26 10:00:00 mx1 postfix/virtual[9]: 4F2A11C0E3: to=x@y, relay=virtual, delay=1.5, "
    "status=deferred",
    "Nov 26 10:00:00 mx1 postfix/pipe[9]: 4F2A11C0E3: to=<x@y>, relay=dovecot, delay=0.2, "
    "delays=0.1/0/0/0.1, tls=none, conn=x, dsn=2.0.0, status=sent (delivered via dovecot "
    "service)",
    "Nov 26 10:00:00 mx1 postfix/postscreen[14766]: CONNECT from [192.0.2.6]:55868 to [10.0.0.1]:25",
    "Nov 26 10:00:00 mx1 postfix/postscreen[14766]: PASS OLD [192.0.2.6]:55868",
    "Nov 26 10:00:00 mx1 postfix/postscreen[14766]: DISCONNECT [192.0.2.6]:55868",
    "Nov 26 10:00:00 mx1 postfix/smtp[9]: Trusted TLS connection established to "
    "mx.example.org[192.0.2.5]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)",
    "Nov 26 10:00:00 mx1 postfix/smtpd[9]: Anonymous TLS connection established from "
    "a[192.0.2.5]: TLSv1.3",
    "Nov 26 10:00:00 mx1 postfix/pickup[9]: 4F2A11C0E3: uid=33 from=<www-data>",
    "Nov 26 10:00:00 mx1 postfix/anvil[9]: statistics: max connection rate 3/60s for "
    "(smtp:192.0.2.1) at Nov 26 09:58:00",
    "Nov 26 10:00:00 mx1 postfix/anvil[9]: statistics: max message rate 2/2h for "
    "(submission:2001:db8::1) at Nov 26 09:58:00",
    "Nov 26 10:00:00 mx1 postfix/anvil[9]: statistics: max connection count 12 for "
    "(smtp:::ffff:192.0.2.1) at Nov 26 09:58:00",
    "Nov 26 10:00:00 mx1 postfix/anvil[9]: statistics: max newtls request rate 1/h for "
    "(private/smtp:192.0.2.1) at Nov 26 09:58:00",
    "<22>Nov 26 10:00:00 mx1 postfix/smtpd[9]: connect from a[192.0.2.5]",
    "2026-11-26T10:00:00.123456+01:00 mx1 postfix/smtpd[9]: connect from a[192.0.2.5]",
    "2026-11-26T10:00:00Z mx1 postfix/qmgr[9]: 4F2A11C0E3: removed",
    "2026-11-26T10:00:00+0100 mx1 postfix/pickup[9]: 4F2A11C0E3: uid=0 from=<root>",
    "Nov 26 10:00:00 mx1 dovecot: imap-login: Login: user=<a>",
]
# what a mutation may put in a line: the matchers' separators, odd spaces, huge numbers
ODD = ["<", ">", ",", "[", "]", ":", "(", ")", "\t", "=", "x", "9", "\x0b", "-", " ", ", ", "/"]
HUGE = "9" * 25


def mutate(rng: random.Random, line: str) -> str:
    """`line` with one to three of: a truncation, an inserted or replaced odd character,
    a doubled space, a field cut out, a number made huge."""
    for _ in range(rng.randint(1, 3)):
        at = rng.randint(0, len(line))
        kind = rng.randrange(6)
        if kind == 0:
            line = line[:at]
        elif kind == 1:
            line = line[:at] + rng.choice(ODD) + line[at:]
        elif kind == 2:
            line = line[:at] + rng.choice(ODD) + line[at + 1 :]
        elif kind == 3:
            i = line.find(" ", at)
            line = line if i < 0 else line[:i] + "  " + line[i + 1 :]
        elif kind == 4:  # a field cut out: from a separator to the next one
            i = line.find(rng.choice([" ", ", ", "="]), at)
            j = line.find(rng.choice([" ", ",", ">", "]"]), i + 1)
            line = line if i < 0 or j < 0 else line[:i] + line[j:]
        else:
            digits = [k for k, c in enumerate(line) if c.isdigit()]
            if digits:
                k = rng.choice(digits)
                line = line[:k] + HUGE + line[k + 1 :]
    return line


def test_mutated_hot_lines_seeded():
    """Thousands of damaged hot lines in one run (a seeded loop: the same every time)."""
    rng = random.Random(11)
    lines = [mutate(rng, rng.choice(HOT)) for _ in range(20_000)]
    lines += [mutate(rng, line) for line in _generated()[:5000]]
    counts = same_as_regexes(
        "\n".join(lines).encode(),
        batch_bytes=100_000,
        zone=zone(BERLIN),
        reference=date(2026, 12, 1),
    )
    assert counts["header"] > 10_000
    assert sum(v for k, v in counts.items() if k != "header") > 2_000


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(
    picks=st.lists(st.integers(0, len(HOT) - 1), min_size=1, max_size=12),
    seed=st.integers(0, 2**32),
    split=st.booleans(),
)
def test_mutated_hot_lines(picks, seed, split):
    rng = random.Random(seed)
    lines = [HOT[i] if rng.random() < 0.3 else mutate(rng, HOT[i]) for i in picks]
    same_as_regexes("\n".join(lines).encode(), batch_bytes=200 if split else None)
