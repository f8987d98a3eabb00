"""One log line -> one typed event: the header (envelope) plus the first pattern of the
line's MTA family that matches its message.

An event is a dict: `ts` (UTC epoch µs), `host`, `program`, `pid`, `event`, `pattern`,
`family`, and the canonical fields the pattern captured (None where a group did not take
part) with those computed from them (`derived`). Lines of programs beside the MTA come back as `event="other"` with `family=None`;
lines nothing recognises come back as `event="unparsed"` with a `reason`. Lines read by
another reader than the syslog header carry `envelope` (`exim`, `phpmail`, `journal`).

Speed: this runs once per input line. The syslog header is tried first and the other
readers only when it does not match (or, for a file detected as Exim's or PHP's own log,
their reader first); a line's patterns are tried most frequent first (see `_Route`), so
most lines cost one regex call after the header's.
"""

from __future__ import annotations

import re

from ..clock import BadTimestamp, Clock
from .derived import DERIVED
from .header import (
    _BRACKETED,
    _EXIM_ID_OR_PID,
    _FACILITY,
    _NO_TIME,
    EXIM_NATIVE,
    HEADER,
    PHP_FILE,
    default_host,
    journal_fields,
)
from .patterns import FAMILIES, Pattern, daemon_of, family_of, reason_class
from .patterns.base import FIELD_TYPES


def _compiled(pattern: Pattern) -> tuple[re.Pattern[str], tuple[re.Pattern[str], ...]]:
    """The pattern's regex and extra selectors as `Pattern.__post_init__` compiled them."""
    return pattern.compiled, pattern.compiled_extra


class _Alternative:
    """One pattern as the parser uses it: its match function, conversions, hit count."""

    __slots__ = (
        "pattern",
        "name",
        "event",
        "match",
        "typed",
        "fixed",
        "classify",
        "derive",
        "client",
        "hits",
        "extra",
        "own",
    )

    def __init__(self, pattern: Pattern):
        self.pattern = pattern
        self.name = pattern.name
        self.event = pattern.event
        compiled, compiled_extra = _compiled(pattern)
        self.match = compiled.match
        self.typed = tuple(
            (name, FIELD_TYPES[name]) for name in compiled.groupindex if name in FIELD_TYPES
        )
        self.fixed = pattern.fixed
        self.classify = pattern.event == "reject" and "reason_class" not in pattern.fixed
        self.derive = DERIVED.get(pattern.event)
        self.own = pattern.derive
        self.extra = tuple(
            (rx.search, tuple((n, FIELD_TYPES.get(n)) for n in rx.groupindex))
            for rx in compiled_extra
        )
        self.client = "client_name" in compiled.groupindex
        self.hits = 0

    def complete(self, event: dict, message: str) -> None:
        """The steps after the typed groups: extra selectors, fixed fields, the pattern's
        derive, reason class, client name, derived fields, event and pattern. (The
        compiled core matches and types a line, then calls this for the patterns whose
        steps are Python code.)"""
        if self.extra:
            _extra(event, self.extra, message)
        if self.fixed:
            event.update(self.fixed)
        if self.own is not None:
            self.own(event)
        if self.classify:
            event["reason_class"] = reason_class(event.get("reason"))
        if self.client and not event.get("client_name"):
            event["client_name"] = None  # `[ip]:port` names no host
        if self.derive is not None:
            self.derive(event)
        event["event"] = self.event
        event["pattern"] = self.name


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
            chosen = [
                _Alternative(p)
                for p in FAMILIES[self.family]
                if p.daemons is None or daemon in p.daemons
            ]
        self.specific = [a for a in chosen if not a.pattern.fallback]
        self.fallbacks = [a for a in chosen if a.pattern.fallback]
        self.lines = 0

    def prepare(self, message: str) -> str:
        return message

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


_EXIM_INNER = re.compile(
    r"(?:\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{3})?(?: [+-]\d{4})? )?"
    r"(?:\[\d+(?::\d+)?\] )?"
)


# what Exim's own lines mostly start with (after the time): a message id, or `[pid]`
_EXIM_LEAD = re.compile(r"[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4} |\[")


class _EximRoute(_Route):
    """Exim under syslog (or journald) may still write its own timestamp and `[pid]` in
    front of the message (`exim[8003]: [8003] SMTP ...`): they are stepped over."""

    __slots__ = ()

    def prepare(self, message: str) -> str:
        first = message[:1]
        if first == "[" or (first.isdigit() and message[4:5] == "-"):
            inner = _EXIM_INNER.match(message)  # it matches any text (all optional)
            return message[inner.end() :] if inner is not None else message
        return message

    def find(self, message: str):
        return _Route.find(self, self.prepare(message))


def split_header(line: str):
    """(bsd time, iso time, host, program, pid, message) or None."""
    header = HEADER.match(line)
    return header.groups() if header else None


class LineParser:
    """Parses the lines of one source; holds that source's `Clock`.

    `format` (`postfix`, `exim`, `sendmail`, `phpmail`, `journal` or None) with `native`
    picks the reader tried first: Exim's or PHP's own line format for a file of that kind,
    else the syslog header. Every reader is tried when the first one does not match, so a
    file that mixes forms still parses. `host` is the host of lines that name none;
    `lean` leaves out the fields of `other` events (ingest only counts them).

    A file in Exim's or PHP's own format gets a subclass whose `parse` tries that reader
    first (a choice made once per parser, not per line)."""

    def __new__(
        cls,
        clock: Clock,
        format: str | None = None,
        host: str | None = None,
        native: bool = False,
        lean: bool = False,
    ) -> LineParser:
        if cls is LineParser and native and format in _NATIVE_FIRST:
            cls = _NATIVE_FIRST[format]
        return super().__new__(cls)

    def __init__(
        self,
        clock: Clock,
        format: str | None = None,
        host: str | None = None,
        native: bool = False,
        lean: bool = False,
    ):
        self.clock = clock
        # lean: the fields of `other` events are not wanted (ingest counts them only;
        # `analyzer parse` shows them)
        self.lean = lean
        self.format = format
        self.host = host or default_host()
        self._seconds = clock._cache  # the clock's own cache, read inline: one line, one lookup
        self._routes: dict[str, _Route] = {}
        self._native_exim = _Route("exim")

    def parse(self, line: str) -> dict:
        header = HEADER.match(line)
        if header is None:
            return self._parse_other(line)
        bsd, iso, host, program, pid, message = header.groups()
        ts = self._seconds.get(bsd) if bsd else None
        if ts is None:
            if not bsd and iso[10:11] == " " and _EXIM_ID_OR_PID.match(host):
                return self._parse_other(line)  # Exim's own line: `... 1Ai79e-0000Dq-8i SA: ...`
            try:
                ts = self.clock.bsd(bsd) if bsd else self.clock.iso(iso)
            except BadTimestamp:
                return _unparsed("bad timestamp")
        return self._event(ts, host, program, pid, message)

    def _route(self, program: str) -> _Route:
        route = self._routes.get(program)
        if route is None:
            family = family_of(program)
            route = self._routes[program] = (_EximRoute if family == "exim" else _Route)(program)
        return route

    def _event(
        self,
        ts: int,
        host: str,
        program: str,
        pid,
        message: str,
        envelope: str | None = None,
        route: _Route | None = None,
    ) -> dict:
        if message[-1:].isspace():
            message = message.rstrip()
        if route is None:
            route = self._routes.get(program)
            if route is None:
                route = self._route(program)
        alt, m = route.find(message)
        if alt is None and route.family is None and message.startswith("mail() on ["):
            route = self._route("php")  # PHP's mail.log = syslog under any program name
            alt, m = route.find(message)
        if alt is not None and alt.event == "other" and self.lean:
            event = {"event": "other", "pattern": alt.name}  # counted, never correlated
        elif alt is not None:
            event = m.groupdict()
            for name, kind in alt.typed:
                value = event[name]
                if value is not None:
                    event[name] = kind(value)
            alt.complete(event, message)
        elif route.family is None:
            event = {"event": "other", "pattern": None}
        else:
            event = {"event": "unparsed", "pattern": None, "reason": "no pattern"}
        event["ts"] = ts
        event["host"] = host
        event["program"] = program
        event["pid"] = int(pid) if pid else None
        event["family"] = route.family
        if envelope is not None:
            event["envelope"] = envelope
        return event

    # --- the readers behind the syslog header ---------------------------------------------
    def _parse_other(self, line: str) -> dict:
        first = line[:1]
        if first.isdigit():
            m = EXIM_NATIVE.match(line)
            if m is not None:
                return self._exim(m)
        elif first == "[":
            m = PHP_FILE.match(line)
            if m is not None:
                return self._php(m)
        elif first == "{":
            fields = journal_fields(line)
            if fields is not None:
                ts, host, program, pid, message = fields
                return self._event(ts, host or self.host, program, pid, message, "journal")
        m = _FACILITY.match(line)
        if m is not None:  # `Jun 17 14:37:39 <mail.info> host prog[pid]: ...`
            header = HEADER.match(m[1] + " " + m[2])
            if header is not None:
                bsd, _, host, program, pid, message = header.groups()
                return self._bsd_event(bsd, host, program, pid, message)
        m = _BRACKETED.match(line)
        if m is not None:  # `Oct 14 19:45:05 [exim] LOGIN authenticator failed ...`
            return self._bsd_event(m[1], self.host, m[2], None, m[3])
        m = _NO_TIME.match(line)
        if m is not None and family_of(m[2]) == "exim":
            inner = EXIM_NATIVE.match(m[4])
            if inner is not None:
                event = self._exim(inner)
                event["host"], event["program"], event["envelope"] = m[1], m[2], "syslog"
                if m[3]:
                    event["pid"] = int(m[3])
                return event
        if line.startswith("mail() on ["):
            return _unparsed("no timestamp")  # PHP 5.3 mail.log: no date to place it
        return _unparsed("no header")

    def _bsd_event(self, bsd: str, host: str, program: str, pid, message: str) -> dict:
        if bsd[:1] == "<":
            bsd = bsd[bsd.index(">") + 1 :]
        try:
            ts = self.clock.bsd(bsd)
        except BadTimestamp:
            return _unparsed("bad timestamp")
        return self._event(ts, host, program, pid, message)

    def _exim(self, m) -> dict:
        try:
            ts = self.clock.exim(m[1], m[2], m[3])
        except BadTimestamp:
            return _unparsed("bad timestamp")
        # Exim's own line: time and pid are read already, nothing to step over
        return self._event(ts, self.host, "exim", m[4], m[5], "exim", self._native_exim)

    def _php(self, m) -> dict:
        try:
            ts = self.clock.php(m[1], m[2])
        except BadTimestamp:
            return _unparsed("bad timestamp")
        return self._event(ts, self.host, "php", None, m[3], "phpmail")


class _EximFirst(LineParser):
    """A file of Exim's own log: its reader first, then the syslog header's."""

    def parse(self, line: str) -> dict:
        m = EXIM_NATIVE.match(line)
        if m is None:
            return LineParser.parse(self, line)
        if _EXIM_LEAD.match(m[5]) is None:
            header = HEADER.match(line)  # `2019-10-22 03:39:17 mx1 exim[29786]: ...` is syslog
            if header is not None and family_of(header[4]) is not None:
                return LineParser.parse(self, line)
        return self._exim(m)


class _PhpFirst(LineParser):
    """A file of PHP's own mail.log: its reader first, then the syslog header's."""

    def parse(self, line: str) -> dict:
        m = PHP_FILE.match(line)
        if m is None:
            return LineParser.parse(self, line)
        return self._php(m)


_NATIVE_FIRST: dict[str, type[LineParser]] = {"exim": _EximFirst, "phpmail": _PhpFirst}


def _extra(event: dict, extra, message: str) -> None:
    """Fill fields the main regex left empty from the pattern's extra selectors."""
    for search, names in extra:
        m = search(message)
        if m is None:
            continue
        for name, kind in names:
            value = m[name]
            if value is not None and event.get(name) is None:
                event[name] = kind(value) if kind is not None else value


def _unparsed(reason: str) -> dict:
    return {
        "event": "unparsed",
        "reason": reason,
        "ts": None,
        "host": None,
        "program": None,
        "pid": None,
        "family": None,
        "pattern": None,
    }
