"""Every pattern's sample lines parse to that pattern with the fields they declare."""

from datetime import UTC, date

import pytest

from analyzer.clock import Clock
from analyzer.parse.events import LineParser
from analyzer.parse.patterns import FAMILIES

PATTERNS = [p for patterns in FAMILIES.values() for p in patterns]


def _parser():
    # lines without a host of their own (Exim's log, PHP's mail.log) are charged to mx1
    return LineParser(Clock(UTC, reference=date(2026, 12, 31)), host="mx1")


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.name)
def test_pattern_has_samples(pattern):
    assert pattern.samples, f"pattern {pattern.name} has no sample line"


@pytest.mark.parametrize(
    "pattern,line,expected",
    [(p, line, exp) for p in PATTERNS for line, exp in p.samples.items()],
    ids=lambda v: v.name if hasattr(v, "regex") else None,
)
def test_sample_parses(pattern, line, expected):
    event = _parser().parse(line)
    assert event["pattern"] == pattern.name, (event["pattern"], line)
    assert event["event"] == pattern.event
    for key, value in expected.items():
        assert event.get(key) == value, (key, event.get(key), value)


class _Tracing(LineParser):
    """Remembers the program and message each line was routed with."""

    def _event(self, ts, host, program, pid, message, envelope=None, route=None):
        self.seen = (program, message.rstrip())
        return super()._event(ts, host, program, pid, message, envelope, route)


def _specific_matches(parser, line):
    parser.seen = None
    parser.parse(line)
    if parser.seen is None:
        return []
    program, message = parser.seen
    route = parser._route(program)
    if route.family is None and message.startswith("mail() on ["):
        route = parser._route("php")
    message = route.prepare(message)
    return [a.name for a in route.specific if a.match(message)]


def test_specific_patterns_never_overlap(corpora):
    """The parser tries specific patterns in any order: no line may match two (checked on
    every sample line and every line of the corpora, all MTA families)."""
    lines = [line for p in PATTERNS for line in p.samples]
    for path in sorted((corpora / "lightmeter" / "individual_files").glob("*.log")):
        lines += path.read_text(errors="replace").splitlines()
    for name in (
        "logwatch-postfix-TD/lines.log",
        "fail2ban/lines.log",
        "postfix-grok-patterns/lines.log",
        "exim-testsuite/lines.log",
        "sshguard/lines.log",
    ):
        lines += (corpora / name).read_text(errors="replace").splitlines()
    from analyzer.parse.events import split_header

    parser = _Tracing(Clock(UTC, reference=date(2026, 12, 31)), host="mx1")
    overlaps = {}
    for line in lines:
        if (
            split_header(line) is None
            and not line[:1].isdigit()
            and not line.startswith(("[", "{"))
        ):
            line = "Oct 26 18:13:50 mx1 postfix/smtpd[1]: " + line  # grok keeps bare messages
        matches = _specific_matches(parser, line)
        if len(matches) > 1:
            overlaps[tuple(matches)] = line
    assert not overlaps, overlaps


def test_every_family_is_reachable():
    from analyzer.parse.patterns import family_of

    assert family_of("postfix/submission/smtpd") == "postfix"
    assert family_of("exim4") == family_of("exim") == "exim"
    for name in ("sendmail", "sm-mta", "sm-msp-queue", "sm-acceptingconnections"):
        assert family_of(name) == "sendmail"
    for name in ("php", "php-fpm", "php-fpm8.2", "php-cgi"):
        assert family_of(name) == "phpmail"
    assert family_of("dovecot") is None and family_of("phpmyadmin") is None
