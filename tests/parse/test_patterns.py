"""Every pattern's sample lines parse to that pattern with the fields they declare."""

import hashlib
import importlib
import json
import pkgutil
from datetime import UTC, date

import pytest

from analyzer.clock import Clock
from analyzer.parse.events import LineParser
from analyzer.parse.patterns import FAMILIES, Pattern

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


def _fingerprint(patterns) -> str:
    """sha256 of a table: every pattern in order, with everything it declares."""
    rows = [
        (
            p.name,
            p.event,
            p.regex,
            p.samples,
            p.daemons,
            p.fixed,
            p.fallback,
            p.extra,
            None if p.derive is None else p.derive.__name__,
        )
        for p in patterns
    ]
    return hashlib.sha256(json.dumps(rows, default=repr).encode()).hexdigest()


# The tables as they were when each MTA's one module became a package of parts (issue 10):
# the assembly in the package's __init__ keeps them identical. A deliberate change of a
# table changes its fingerprint: print the new ones with
#   python -c "from tests.parse.test_patterns import *; print(fingerprints())"
RECORDED = {
    "postfix": (41, "b50c1262d2e2e410d8c46193c85288b512c61c18f0ff743c1b1e62afab6b4ec2"),
    "exim": (20, "867ddd27fa63d39c7377e83dc00ef8cf6b649eff31fb34731ae45e13d9406de1"),
    "sendmail": (13, "ebaf9f30b0b2f31845ceafe882262453f7cc24523fe7abe33da3dbf17dc8e55f"),
    "phpmail": (1, "dba04b9b994701950d1f5fe5f003b821ee9c98953506b20b6e742472871606dd"),
}


def fingerprints() -> dict[str, tuple[int, str]]:
    return {family: (len(t), _fingerprint(t)) for family, t in FAMILIES.items()}


def test_tables_are_the_recorded_ones():
    assert fingerprints() == RECORDED


@pytest.mark.parametrize("family", ["postfix", "exim", "sendmail"])
def test_every_part_is_assembled_once(family):
    """Each pattern a part module declares is in the family's one table, once, and the
    table holds nothing else (a part added but left out of the assembly fails here)."""
    package = importlib.import_module(f"analyzer.parse.patterns.{family}")
    declared = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, tuple) and value and all(isinstance(p, Pattern) for p in value):
                declared += value
    table = FAMILIES[family]
    assert len({p.name for p in table}) == len(table)
    assert sorted(p.name for p in declared) == sorted(p.name for p in table)
