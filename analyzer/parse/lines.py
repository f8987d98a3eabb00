"""`analyzer parse`: one printable event dict per line, as the parse stage reads it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import chain, islice

from ..clock import Clock, parse_zone
from ..dataset.status import iso as _iso
from .events import LineParser
from .header import sniff_format


def parse_lines(
    lines: Iterable[str],
    tz: str | None = None,
    year: int | None = None,
    reference=None,
    format: str | None = None,
    host: str | None = None,
) -> Iterator[dict]:
    """One event dict per line, as `analyzer parse` prints it: header, `event`, the
    canonical fields the line carries (None-valued fields left out), raw text when
    unparsed. `ts` is an ISO 8601 UTC string. `format` (see `docs/formats.md`) is found
    from the first lines when not given; every line says which pattern table read it
    (`format`) and how its header was read (`envelope`). `host`: for lines without one
    (Exim's own log, PHP's mail.log file form); default: this machine's short name."""
    lines = iter(lines)
    first = list(islice(lines, 20))
    native = False
    if format is None:
        format, native = sniff_format(first)
    else:
        native = format in ("exim", "phpmail")
    parser = LineParser(
        Clock(parse_zone(tz), reference=reference, year=year),
        format=format,
        host=host,
        native=native,
    )
    for line in chain(first, lines):
        line = line.rstrip("\r\n").replace("\x00", "")
        if not line:
            continue
        event = parser.parse(line)
        head = {
            "ts": _iso(event["ts"]) if event["ts"] is not None else None,
            "host": event["host"],
            "program": event["program"],
            "pid": event["pid"],
            "format": event["family"],
            "event": event["event"],
            "pattern": event["pattern"],
        }
        out = {k: v for k, v in head.items() if v is not None or k == "format"}
        if event["event"] != "unparsed":
            out["envelope"] = event.get("envelope") or "syslog"
        out.update((k, v) for k, v in event.items() if v is not None and k not in _HEAD)
        if event["event"] == "unparsed":
            out["line"] = line
        yield out


_HEAD = frozenset({"ts", "host", "program", "pid", "family", "event", "pattern", "envelope"})
