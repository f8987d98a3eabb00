"""One log line -> one typed event: the header (envelope) plus the first pattern of the
line's MTA family that matches its message.

An event is a dict: `ts` (UTC epoch µs), `host`, `program`, `pid`, `event`, `pattern`,
`family`, and the canonical fields the pattern captured (None where a group did not take
part). Lines of programs beside the MTA come back as `event="other"` with `family=None`;
lines nothing recognises come back as `event="unparsed"` with a `reason`.

Speed: this runs once per input line. A line's patterns are tried most frequent first
(see `_Route`), so most lines cost one regex call after the header's.
"""

from __future__ import annotations

from .envelope import HEADER, BadTimestamp, Clock
from .patterns import FAMILIES, Pattern, daemon_of, family_of, reason_class
from .patterns.base import FIELD_TYPES

def _recipient_domain(event: dict) -> None:
    recipient = event.get("recipient")
    at = recipient.rfind("@") if recipient else -1
    event["recipient_domain"] = recipient[at + 1:].lower() if at >= 0 else None


def _command_counters(event: dict) -> None:
    """`ehlo=1 auth=0/1 quit=1 commands=2/3` -> auth_ok/auth_total, commands_ok/_total."""
    for name in ("auth", "commands"):
        event[name + "_ok"] = event[name + "_total"] = None
    for item in (event.get("counters") or "").split():
        name, _, value = item.partition("=")
        if name == "auth" or name == "commands":
            ok, _, total = value.partition("/")
            if ok.isdigit() and (not total or total.isdigit()):
                event[name + "_ok"], event[name + "_total"] = int(ok), int(total or ok)


# Fields computed from what a pattern captured, per event (part of the event, so
# `analyzer parse` shows them too).
DERIVED = {"delivery": _recipient_domain, "disconnect": _command_counters}


class _Alternative:
    """One pattern as the parser uses it: its match function, conversions, hit count."""

    __slots__ = ("pattern", "name", "event", "match", "typed", "fixed", "classify", "derive",
                 "client", "hits")

    def __init__(self, pattern: Pattern):
        self.pattern = pattern
        self.name = pattern.name
        self.event = pattern.event
        self.match = pattern.compiled.match
        self.typed = tuple((name, FIELD_TYPES[name]) for name in pattern.compiled.groupindex
                           if name in FIELD_TYPES)
        self.fixed = pattern.fixed
        self.classify = pattern.event == "reject" and "reason_class" not in pattern.fixed
        self.derive = DERIVED.get(pattern.event)
        self.client = "client_name" in pattern.compiled.groupindex
        self.hits = 0


class _Route:
    """The patterns that can apply to one program. Specific patterns are kept sorted by
    how often they matched (they are mutually exclusive, so order does not change the
    result, only the number of tries); fallbacks follow in declaration order."""

    __slots__ = ("family", "specific", "fallbacks", "lines")

    def __init__(self, program: str):
        self.family = family_of(program)
        chosen = []
        if self.family is not None:
            daemon = daemon_of(program)
            chosen = [_Alternative(p) for p in FAMILIES[self.family]
                      if p.daemons is None or daemon in p.daemons]
        self.specific = [a for a in chosen if not a.pattern.fallback]
        self.fallbacks = [a for a in chosen if a.pattern.fallback]
        self.lines = 0

    def find(self, message: str):
        self.lines += 1
        if self.lines & 0x3FFF == 0 or self.lines == 512:
            self.specific.sort(key=lambda a: -a.hits)
        for alt in self.specific:
            m = alt.match(message)
            if m is not None:
                alt.hits += 1
                return alt, m
        for alt in self.fallbacks:
            m = alt.match(message)
            if m is not None:
                return alt, m
        return None, None


def split_header(line: str):
    """(bsd time, iso time, host, program, pid, message) or None."""
    header = HEADER.match(line)
    return header.groups() if header else None


class LineParser:
    """Parses the lines of one source; holds that source's `Clock`."""

    def __init__(self, clock: Clock):
        self.clock = clock
        self._seconds = clock._cache  # the clock's own cache, read inline: one line, one lookup
        self._routes: dict[str, _Route] = {}

    def parse(self, line: str) -> dict:
        header = split_header(line)
        if header is None:
            return _unparsed("no header")
        bsd, iso, host, program, pid, message = header
        ts = self._seconds.get(bsd) if bsd else None
        if ts is None:
            try:
                ts = self.clock.bsd(bsd) if bsd else self.clock.iso(iso)
            except BadTimestamp:
                return _unparsed("bad timestamp")
        if message[-1:].isspace():
            message = message.rstrip()
        route = self._routes.get(program)
        if route is None:
            route = self._routes[program] = _Route(program)
        alt, m = route.find(message)
        if alt is not None:
            event = m.groupdict()
            for name, kind in alt.typed:
                value = event[name]
                if value is not None:
                    event[name] = kind(value)
            if alt.fixed:
                event.update(alt.fixed)
            if alt.classify:
                event["reason_class"] = reason_class(event.get("reason"))
            if alt.client and not event["client_name"]:
                event["client_name"] = None  # `[ip]:port` names no host
            if alt.derive is not None:
                alt.derive(event)
            event["event"] = alt.event
            event["pattern"] = alt.name
        elif route.family is None:
            event = {"event": "other", "pattern": None}
        else:
            event = {"event": "unparsed", "pattern": None, "reason": "no pattern"}
        event["ts"] = ts
        event["host"] = host
        event["program"] = program
        event["pid"] = int(pid) if pid else None
        event["family"] = route.family
        return event


def _unparsed(reason: str) -> dict:
    return {"event": "unparsed", "reason": reason, "ts": None, "host": None, "program": None,
            "pid": None, "family": None, "pattern": None}
