"""What a pattern is: a named regex over the message part of a line, the event it yields,
the programs it applies to, and sample lines with the fields they must produce.

Named groups are canonical field names (see `FIELD_TYPES`); `fixed` adds constant fields
(e.g. `reason_class` of a milter reject). Adding a log variant is adding a `Pattern`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

EVENTS = frozenset(
    {
        "connect",
        "disconnect",
        "client",
        "pickup",
        "script_header",
        "message_id",
        "queued",
        "delivery",
        "removed",
        "expired",
        "reject",
        "auth_failed",
        "php_mail",
        "other",
        # a message starts with everything one line says about it (Exim `<=`, Sendmail `from=`)
        "arrival",
        # an SMTP session authenticated (Sendmail `AUTH=server`: its later messages are SASL)
        "authenticated",
        # the working directory of a local submission process (Exim `cwd=... N args: ...`)
        "cwd",
        # the MTA made a notice (bounce) about a message (Postfix `sender non-delivery
        # notification: <new queue id>`): the notice is charged to that message's identity
        "bounce_notice",
        # a line naming a message's queue id and a relay or client, about the message but no
        # step of its life (smtp `host X[ip] said:`, cleanup `warning: header ...`)
        "notice",
        # anvil's statistics of one client (max connection rate, count, message rate, ...)
        "client_rate",
    }
)

# Canonical fields and their Python types; anything not listed is a string.
FIELD_TYPES: dict[str, type] = {
    "pid": int,
    "uid": int,
    "size": int,
    "nrcpt": int,
    "code": int,
    "client_port": int,
    "script_line": int,
    "delay": float,
    "figure": int,
}

# Building blocks shared by the MTA modules.
CLIENT = r"(?P<client_name>[^\s\[\]]*)\[(?P<client_ip>[^\]\s]*)\](?::(?P<client_port>\d+))?"
# Postfix short ids are hex; long ids (enable_long_queue_ids) avoid vowels.
POSTFIX_QID = r"(?P<queue_id>[0-9A-F]{5,20}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,16})"
ADDR = r"<(?P<{}>[^>]*)>"


@dataclass(frozen=True)
class Pattern:
    name: str
    event: str
    regex: str
    samples: dict[str, dict]  # full log line -> fields it must yield (a subset)
    daemons: tuple[str, ...] | None = None  # last component of the program; None = any
    fixed: dict[str, object] = field(default_factory=dict)
    # A fallback is a broad catch (e.g. any `warning:`) tried, in declaration order, only
    # after every specific pattern failed. Specific patterns of one program never match
    # the same line (a test checks it), so the parser may try them in any order.
    fallback: bool = False
    # Selectors whose place in the line varies (Exim `H=`, `F=`, `U=` before `rejected`):
    # regexes searched in the message after the main match; their named groups fill the
    # fields the main regex left empty.
    extra: tuple[str, ...] = ()
    # A function of the event dict run after the groups are typed, for fields that need
    # more than a regex (Sendmail `delay=1+02:03:04` -> seconds, `stat=` -> status).
    derive: Callable[[dict], None] | None = None

    def __post_init__(self) -> None:
        if self.event not in EVENTS:
            raise ValueError(f"pattern {self.name}: unknown event {self.event!r}")

    # compiled at first use, not at import: a run on the compiled engine matches with the
    # core's regexes and needs few of these (compiling all took ~60 ms of its start)
    @cached_property
    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.regex)

    @cached_property
    def compiled_extra(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(x) for x in self.extra)


def addr(name: str) -> str:
    return ADDR.format(name)
