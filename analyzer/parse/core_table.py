"""The pattern tables (Postfix, Exim, Sendmail) as data for the compiled core
(`analyzer._core.Core`).

Postfix: the core compiles the same regex sources with Rust's `regex` crate, which has
no lookaround. Where a pattern needs one it is either rewritten into an equivalent regex
(`REWRITES`, each with why it is equal) or used as a gate: the regex with its lookaheads
removed matches a superset of the lines, so where the gate does not match Python's
pattern does not either, and where it does the line is parsed by Python. Python
`derive` functions are ported in Rust by name (`PORTED`); a pattern with another one, or
with `extra` selectors, is a gate too.

Exim and Sendmail (`family_spec`): a regex whose only lookaround is one negative
lookahead (and no possessive loop) is matched by the `regex` crate with the lookahead as a
guard (`guarded`, as for Postfix); another regex with lookarounds or possessive loops is
matched by `fancy-regex`, a backtracking engine with Python's semantics, behind the
`regex` crate's match of its superset (`superset`: most lines fail there, fast). A
pattern with `extra` selectors or a Python `derive` is matched and typed in Rust, then
finished by its step's Rust port (`finish_ports`: the `derive` functions below, each
ported line by line in `rust/src/finish/`, with the tables and regexes they read handed
over from their modules); the Python step (`_Alternative.complete`) stays the reference
the differential tests hold the ports to, and finishes the rare event a port leaves to
Python (a number beyond i64) or a pattern without a port.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .derived import DERIVED, _command_counters, _recipient_domain
from .events import _EXIM_INNER, _EXIM_LEAD, _Alternative
from .header import EXIM_NATIVE, HEADER
from .patterns import FAMILIES, REASON_CLASSES, Pattern
from .patterns.base import FIELD_TYPES
from .patterns.exim import messages as exim_messages
from .patterns.exim import rejects as exim_rejects
from .patterns.sendmail import messages as sendmail_messages
from .patterns.sendmail import rejects as sendmail_rejects

# (text in a pattern's regex, the regex-crate equivalent). The delivery pattern's
# `(?!dsn=)\w+=` is a word that is not exactly `dsn` followed by `=` (`\w+` must run up to
# the `=`, which is no word character): the same set of words, spelled out, with no group
# inside, so the captures around it do not move.
REWRITES: tuple[tuple[str, str], ...] = (
    (r"(?!dsn=)\w+=", r"(?:[^\Wd]\w*|d(?:[^\Ws]\w*)?|ds(?:[^\Wn]\w*)?|dsn\w+)="),
    # Sendmail `from=`'s `relay=user@host(?=,|$)`: what follows the group is `(?:, .*)?$`,
    # so any match through it has `,` or the end there; the lookahead removes none
    (r"(?P<local_host>[^\s,\[]+)(?=,|$)", r"(?P<local_host>[^\s,\[]+)"),
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


def superset(regex: str) -> str:
    """The regex without lookarounds and with its possessive quantifiers (`*+ ++ ?+ }+`)
    made greedy: each only removes matches, so every line the original matches, this
    one does (the `regex` crate has neither)."""
    regex = strip_lookarounds(regex)
    out, i, in_class = [], 0, False
    while i < len(regex):
        c = regex[i]
        if c == "\\":
            out.append(regex[i : i + 2])
            i += 2
            continue
        out.append(c)
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if regex.startswith(("]", "^]"), i + 1):  # `[]...]`, `[^]...]`: a literal `]`
                skip = 1 if regex[i + 1] == "]" else 2
                out.append(regex[i + 1 : i + 1 + skip])
                i += skip
        elif c in "*+?}" and regex[i + 1 : i + 2] == "+" and regex[i - 1 : i] != "(":
            i += 1  # the possessive `+`
        i += 1
    return "".join(out)


def _fancy(regex: str) -> bool:
    """Whether the regex needs a backtracking engine (lookarounds, possessive loops)."""
    return superset(regex) != regex


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
        "(?P<client_name>" in pattern.regex,
        derive,
        guard,
    )


FAMILIES_IN_CORE = ("postfix", "exim", "sendmail")


def family_spec(family: str, pattern: Pattern) -> tuple:
    """`pattern_spec` plus (family, the exact regex for fancy-regex or None, whether the
    Python step finishes the event)."""
    if family == "postfix":
        return (*pattern_spec(pattern), (family, None, False))
    finish = pattern.event != "other" and (pattern.derive is not None or bool(pattern.extra))
    regex = pattern.regex
    for text, equivalent in REWRITES:
        regex = regex.replace(text, equivalent)
    fancy = _fancy(regex)
    # one negative lookahead and no possessive loop: the regex crate with the lookahead
    # ported as a guard (`guarded`), no backtracking engine
    guard = (
        guarded(regex)
        if fancy and superset(regex) == strip_lookarounds(regex) and family == "exim"
        else None
    )
    if guard is not None:
        regex, fancy = guard[0], False
    derived = DERIVED.get(pattern.event)
    return (
        pattern.name,
        pattern.event,
        superset(regex) if fancy else regex,
        "fancy" if fancy else "rust",
        pattern.daemons,
        list(pattern.fixed.items()),
        pattern.fallback,
        pattern.event == "reject" and "reason_class" not in pattern.fixed,
        "(?P<client_name>" in pattern.regex,
        _DERIVED_PORTS[derived] if derived is not None and not finish else "",
        guard[1] if guard is not None else None,
        (family, regex if fancy else None, finish),
    )


# Python `derive` functions of finishing patterns -> (their Rust port in
# rust/src/finish/, the dicts it reads by name, the regexes it reads by name)
FINISH_PORTS: dict[Callable[[dict], None], tuple[str, dict[str, dict], dict[str, re.Pattern]]] = {
    exim_messages._recipients: ("exim_arrival", {}, {}),
    exim_messages._delivery: (
        "exim_delivery",
        {"status": exim_messages._STATUS},
        {"dsn": exim_messages._DSN},
    ),
    exim_rejects._reject: (
        "exim_reject",
        {"stages": exim_rejects._STAGES},
        {"hello_from": exim_rejects._HELLO_FROM},
    ),
    sendmail_messages._delivery: ("sendmail_delivery", {"agents": sendmail_messages._AGENTS}, {}),
    sendmail_messages._arrival: ("sendmail_arrival", {}, {}),
    sendmail_messages._dsn: ("sendmail_dsn", {}, {}),
    sendmail_rejects._ruleset_reject: (
        "sendmail_ruleset",
        {"stages": sendmail_rejects._STAGES},
        {},
    ),
    sendmail_rejects._milter_reject: (
        "sendmail_milter",
        {"stages": sendmail_rejects._MILTER_STAGES},
        {},
    ),
}


def finish_port(pattern: Pattern) -> tuple | None:
    """The Rust port of a finishing pattern's Python step (`finish::PortSpec`: port,
    extra regexes, derived step, tables, regexes), or None where it has none: a `derive`
    without a port, or an extra selector the `regex` crate cannot match as Python does."""
    port = FINISH_PORTS.get(pattern.derive) if pattern.derive is not None else None
    if port is None or any(_fancy(x) for x in pattern.extra):
        return None
    name, tables, regexes = port
    derived = DERIVED.get(pattern.event)
    return (
        name,
        list(pattern.extra),
        _DERIVED_PORTS[derived] if derived is not None else "",
        tables,
        {key: rx.pattern for key, rx in regexes.items()},
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


def exim_regexes() -> tuple[str, str, str]:
    """Exim's own line (`EXIM_NATIVE` without its message group, as `header_regex`), what
    its message mostly starts with (`_EXIM_LEAD`), and the time and `[pid]` Exim may
    repeat inside a syslog message (`_EXIM_INNER`)."""
    source = EXIM_NATIVE.pattern
    if not source.endswith("(.*)") or not EXIM_NATIVE.flags & re.S:
        raise ValueError("EXIM_NATIVE no longer ends with the message group (.*) under re.S")
    return source[: -len("(.*)")], _EXIM_LEAD.pattern, _EXIM_INNER.pattern


def core_arguments() -> dict[str, Any]:
    """Everything `Core` needs but the clock and the fallback: the tables as data, and the
    Python step of each pattern that has one (None for the others)."""
    kinds, seconds = anvil_tables()
    types = {name: "float" if kind is float else "int" for name, kind in FIELD_TYPES.items()}
    patterns = [p for f in FAMILIES_IN_CORE for p in FAMILIES[f]]
    specs = [family_spec(f, p) for f in FAMILIES_IN_CORE for p in FAMILIES[f]]
    finishing = [spec[-1][2] for spec in specs]
    return {
        "header": header_regex(),
        "patterns": specs,
        "finishers": [_Alternative(p).complete if f else None for f, p in zip(finishing, patterns)],
        "ports": [finish_port(p) if f else None for f, p in zip(finishing, patterns)],
        "exim": exim_regexes(),
        "field_types": types,
        "reason_classes": [(name, rx.pattern) for name, rx in REASON_CLASSES],
        "anvil_kinds": kinds,
        "seconds": seconds,
    }
