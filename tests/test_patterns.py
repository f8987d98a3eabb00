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
