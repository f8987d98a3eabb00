"""One log line -> one typed event: the header (envelope) plus the first pattern of the
line's MTA family that matches its message.

An event is a dict: `ts` (UTC epoch µs), `host`, `program`, `pid`, `event`, `pattern`,
and the canonical fields the pattern captured (None where a group did not take part).
Lines of programs beside the MTA come back as `event="other"` with `family=None`;
lines nothing recognises come back as `event="unparsed"` with a `reason`.
"""

from __future__ import annotations

from .envelope import HEADER, BadTimestamp, Clock
from .patterns import FAMILIES, Pattern, daemon_of, family_of, reason_class
from .patterns.base import FIELD_TYPES


class _Route:
    """The patterns that can match one program, with their type conversions."""

    __slots__ = ("family", "patterns")

    def __init__(self, family: str | None, patterns: list[tuple[Pattern, object, tuple]]):
        self.family = family
        self.patterns = patterns


def _compile_route(program: str) -> _Route:
    family = family_of(program)
    if family is None:
        return _Route(None, [])
    daemon = daemon_of(program)
    chosen = []
    for p in FAMILIES[family]:
        if p.daemons is None or daemon in p.daemons:
            typed = tuple((name, FIELD_TYPES[name]) for name in p.compiled.groupindex
                          if name in FIELD_TYPES)
            chosen.append((p, p.compiled.match, typed))
    return _Route(family, chosen)


class LineParser:
    """Parses the lines of one source; holds that source's `Clock`."""

    def __init__(self, clock: Clock):
        self.clock = clock
        self._routes: dict[str, _Route] = {}

    def parse(self, line: str) -> dict:
        header = HEADER.match(line)
        if header is None:
            return {"event": "unparsed", "reason": "no header", "ts": None, "host": None,
                    "program": None, "pid": None, "family": None}
        bsd, iso, host, program, pid, message = header.groups()
        if message[-1:].isspace():
            message = message.rstrip()
        try:
            ts = self.clock.bsd(bsd) if bsd else self.clock.iso(iso)
        except BadTimestamp:
            return {"event": "unparsed", "reason": "bad timestamp", "ts": None, "host": None,
                    "program": None, "pid": None, "family": None}
        route = self._routes.get(program)
        if route is None:
            route = self._routes[program] = _compile_route(program)
        for pattern, match, typed in route.patterns:
            m = match(message)
            if m is not None:
                event = m.groupdict()
                for name, kind in typed:
                    value = event[name]
                    if value is not None:
                        event[name] = kind(value)
                if pattern.fixed:
                    event.update(pattern.fixed)
                if pattern.event == "reject" and event.get("reason_class") is None:
                    event["reason_class"] = reason_class(event.get("reason"))
                event["event"] = pattern.event
                event["pattern"] = pattern.name
                break
        else:
            event = {"event": "unparsed" if route.family else "other", "pattern": None,
                     "reason": "no pattern" if route.family else None}
        event["ts"] = ts
        event["host"] = host
        event["program"] = program
        event["pid"] = int(pid) if pid else None
        event["family"] = route.family
        return event
