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
from collections.abc import Callable
from typing import Any

from .derived import DERIVED, _command_counters, _recipient_domain
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
_DERIVED_PORTS: dict[Callable[[dict], None], str] = {
    _recipient_domain: "recipient_domain",
    _command_counters: "command_counters",
}


_LOOKAROUNDS = ("(?!", "(?=", "(?<!", "(?<=")
MARK = "__lookahead"  # the empty group that marks where a ported lookahead stood


def _groups(regex: str) -> list[tuple[int, int]]:
    """(start, end) of every group, `end` after its `)`; escapes and classes skipped."""
    spans, stack, i, in_class = [], [], 0, False
    while i < len(regex):
        c = regex[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if regex.startswith(("]", "^]"), i + 1):  # `[]...]`, `[^]...]`: a literal `]`
                i += 2 if regex[i + 1] == "]" else 3
                continue
        elif c == "(":
            stack.append(i)
        elif c == ")":
            if not stack:
                raise ValueError(f"unbalanced group in {regex!r}")
            spans.append((stack.pop(), i + 1))
        i += 1
    if stack:
        raise ValueError(f"unbalanced group in {regex!r}")
    return spans


def _lookarounds(regex: str) -> list[tuple[int, int]]:
    """The spans of the outermost lookaround groups, in order."""
    outer: list[tuple[int, int]] = []
    for start, end in sorted(_groups(regex)):
        if regex.startswith(_LOOKAROUNDS, start) and (not outer or start >= outer[-1][1]):
            outer.append((start, end))
    return outer


def strip_lookarounds(regex: str) -> str:
    """The regex without its lookarounds: it matches every line the original does (a
    lookaround only removes matches)."""
    out, at = [], 0
    for start, end in _lookarounds(regex):
        out.append(regex[at:start])
        at = end
    return "".join(out) + regex[at:]


def guarded(regex: str) -> tuple[str, str] | None:
    """A regex with one negative lookahead as (the regex with the empty group `MARK` in
    its place, the lookahead's body), or None where this port would not be exact.

    The core matches the first form; where the match went through the mark, the line is
    Python's if the body matches there (the lookahead would have failed). That is Python's
    result: the regex crate reports the same highest-priority path a backtracker takes,
    every path before it fails without the lookahead so fails with it, and this one holds
    with it. Not exact, so not ported: a lookahead inside a repetition (the mark keeps
    only its last place), a body that looks outside its start (`\\b`, anchors) or has
    groups of its own."""
    spans = _lookarounds(regex)
    if len(spans) != 1 or not regex.startswith("(?!", spans[0][0]):
        return None
    start, end = spans[0]
    body = regex[start + 3 : end - 1]
    if _lookarounds(body) or any(t in body for t in ("\\b", "\\B", "\\A", "\\Z", "(?P", "^")):
        return None
    for outer_start, outer_end in _groups(regex):
        repeated = regex[outer_end : outer_end + 1] in ("*", "+", "{")
        if outer_start < start and outer_end >= end and repeated:
            return None
    return regex[:start] + f"(?P<{MARK}>)" + regex[end:], body


def rust_regex(pattern: Pattern) -> tuple[str, str, str | None]:
    """(regex for the core, mode, lookahead body): mode `rust` (the same meaning; with a
    body, see `guarded`) or `gate` (a superset: a match goes to Python)."""
    regex = pattern.regex
    for text, equivalent in REWRITES:
        regex = regex.replace(text, equivalent)
    own = pattern.derive
    ported = own is None or getattr(own, "__name__", "") in PORTED
    if pattern.extra or not ported:
        return strip_lookarounds(regex), "gate", None
    if not _lookarounds(regex):
        return regex, "rust", None
    guard = guarded(regex)
    if guard is None:
        return strip_lookarounds(regex), "gate", None
    return guard[0], "rust", guard[1]


def pattern_spec(pattern: Pattern) -> tuple:
    """The tuple `Core` reads (its `PatternSpec`)."""
    regex, mode, guard = rust_regex(pattern)
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
        "client_name" in pattern.compiled.groupindex,
        derive,
        guard,
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
