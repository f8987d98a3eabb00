"""The Postfix pattern table as data for the compiled core (`analyzer._core.Core`).

The core compiles the same regex sources with Rust's `regex` crate, which has no
lookaround. Where a pattern needs one it is either rewritten into an equivalent regex
(`REWRITES`, each with why it is equal) or used as a gate: the regex with its lookaheads
removed matches a superset of the lines, so where the gate does not match Python's
pattern does not either, and where it does the line is parsed by Python. Python
`derive` functions are ported in Rust by name (`PORTED`); a pattern with another one, or
with `extra` selectors, is a gate too.
"""

from __future__ import annotations

import re
from typing import Any

from .events import DERIVED, _command_counters, _recipient_domain
from .header import HEADER
from .patterns import FAMILIES, REASON_CLASSES, Pattern
from .patterns.base import FIELD_TYPES

# (text in a pattern's regex, the regex-crate equivalent). The delivery pattern's
# `(?!dsn=)\w+=` is a word that is not exactly `dsn` followed by `=` (`\w+` must run up to
# the `=`, which is no word character): the same set of words, spelled out, with no group
# inside, so the captures around it do not move.
REWRITES: tuple[tuple[str, str], ...] = (
    (r"(?!dsn=)\w+=", r"(?:[^\Wd]\w*|d(?:[^\Ws]\w*)?|ds(?:[^\Wn]\w*)?|dsn\w+)="),
)

# Python `derive` functions of patterns with a Rust port (by function name)
PORTED = {"_anvil": "anvil"}
# the `DERIVED` step of an event, by function
_DERIVED_PORTS = {_recipient_domain: "recipient_domain", _command_counters: "command_counters"}


def strip_lookarounds(regex: str) -> str:
    """The regex without its `(?!...)`, `(?=...)`, `(?<!...)`, `(?<=...)` groups: it
    matches every line the original does (a lookaround only removes matches)."""
    out, i = [], 0
    while i < len(regex):
        if regex.startswith(("(?!", "(?=", "(?<!", "(?<="), i):
            i = _group_end(regex, i)
            continue
        if regex[i] == "\\":
            out.append(regex[i : i + 2])
            i += 2
            continue
        out.append(regex[i])
        i += 1
    return "".join(out)


def _group_end(regex: str, start: int) -> int:
    """The index after the group opening at `start` (escapes and classes skipped)."""
    depth, i, in_class = 0, start, False
    while i < len(regex):
        c = regex[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if regex[i + 1 : i + 2] == "]" or regex[i + 1 : i + 3] == "^]":
                i += 2 if regex[i + 1] == "]" else 3  # `[]...]`, `[^]...]`: `]` is literal
                continue
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError(f"unbalanced group at {start} in {regex!r}")


def rust_regex(pattern: Pattern) -> tuple[str, str]:
    """(regex for the core, mode): `rust` (same meaning) or `gate` (a superset)."""
    regex = pattern.regex
    for text, equivalent in REWRITES:
        regex = regex.replace(text, equivalent)
    own = pattern.derive
    ported = own is None or getattr(own, "__name__", "") in PORTED
    stripped = strip_lookarounds(regex)
    if stripped != regex or pattern.extra or not ported:
        return stripped, "gate"
    return regex, "rust"


def pattern_spec(pattern: Pattern) -> tuple:
    """The tuple `Core` reads (its `PatternSpec`)."""
    regex, mode = rust_regex(pattern)
    derived = DERIVED.get(pattern.event)
    if pattern.derive is not None and mode == "rust":
        derive = PORTED[pattern.derive.__name__]
        if derived is not None:
            raise ValueError(f"pattern {pattern.name}: two derive steps")
    else:
        derive = _DERIVED_PORTS[derived] if derived is not None else ""
    return (
        pattern.name,
        pattern.event,
        regex,
        mode,
        pattern.daemons,
        list(pattern.fixed.items()),
        pattern.fallback,
        pattern.event == "reject" and "reason_class" not in pattern.fixed,
        "client_name" in re.compile(pattern.regex).groupindex,
        derive,
    )


def anvil_tables() -> tuple[dict[str, str], dict[str, int]]:
    """`_anvil`'s tables, read from the function's own module (wherever it lives)."""
    for pattern in FAMILIES["postfix"]:
        if pattern.derive is not None and pattern.derive.__name__ == "_anvil":
            scope = pattern.derive.__globals__
            return dict(scope["ANVIL_KINDS"]), dict(scope["_SECONDS"])
    return {}, {}


def header_regex() -> str:
    """HEADER without its last group, the message (`(.*)` under re.S: all the rest of
    the line): the core takes the message as the text after the match, which is the same
    and saves running the capture engine over it."""
    source = HEADER.pattern
    if not source.endswith("(.*)") or not HEADER.flags & re.S:
        raise ValueError("HEADER no longer ends with the message group (.*) under re.S")
    return source[: -len("(.*)")]


def core_arguments() -> dict[str, Any]:
    """Everything `Core` needs but the clock and the fallback: the tables as data."""
    kinds, seconds = anvil_tables()
    types = {name: "float" if kind is float else "int" for name, kind in FIELD_TYPES.items()}
    return {
        "header": header_regex(),
        "patterns": [pattern_spec(p) for p in FAMILIES["postfix"]],
        "field_types": types,
        "reason_classes": [(name, rx.pattern) for name, rx in REASON_CLASSES],
        "anvil_kinds": kinds,
        "seconds": seconds,
    }
