"""Every pattern's sample lines parse to that pattern with the fields they declare."""

import pytest

from analyzer.envelope import Clock
from analyzer.events import LineParser
from analyzer.patterns import FAMILIES
from datetime import date, timezone

PATTERNS = [p for patterns in FAMILIES.values() for p in patterns]


def _parser():
    return LineParser(Clock(timezone.utc, reference=date(2026, 12, 31)))


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


def _specific_matches(line):
    from analyzer.events import _Route, split_header

    header = split_header(line)
    route = _Route(header[3])
    message = header[5].rstrip()
    return [a.name for a in route.specific if a.match(message)]


def test_specific_patterns_never_overlap(corpora):
    """The parser tries specific patterns in any order: no line may match two."""
    lines = [line for p in PATTERNS for line in p.samples]
    for path in sorted((corpora / "lightmeter" / "individual_files").glob("*.log")):
        lines += path.read_text(errors="replace").splitlines()
    for name in ("logwatch-postfix-TD/lines.log", "fail2ban/postfix.log", "postfix-grok-patterns/lines.log"):
        lines += (corpora / name).read_text(errors="replace").splitlines()
    from analyzer.events import split_header

    overlaps = {}
    for line in lines:
        header = split_header(line)
        if header is None:
            line = "Oct 26 18:13:50 mx1 postfix/smtpd[1]: " + line  # grok keeps bare messages
        matches = _specific_matches(line)
        if len(matches) > 1:
            overlaps[tuple(matches)] = line
    assert not overlaps, overlaps
