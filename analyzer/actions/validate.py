"""Strict grammars for every value an action writes into a shell command, a map file or
an nftables set. Each check returns the canonical form of a valid value or None; the
caller counts a None as skipped and never prints the raw value.

Log text is hostile: a login, a path or a queue id may carry newlines, `;`, `$(..)`,
backticks, quotes, spaces, NUL or unicode lookalikes. Only plain ASCII of a narrow
alphabet passes, and paths are also quoted with `shlex.quote` where they reach a shell.
"""

from __future__ import annotations

import ipaddress
import numbers
import re
from collections import Counter

# a SASL login: a local part, optionally @ a domain; ASCII only, never starting with `-`
# (an option to the command it reaches) or `#` (a comment in a map file)
_LOGIN = re.compile(
    r"[A-Za-z0-9_][A-Za-z0-9._%+=-]{0,63}(@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*)?"
)
# a Unix user name (useradd's rule, as panels create them)
_USER = re.compile(r"[a-z_][a-z0-9_.-]{0,31}")
# Postfix queue ids: short (hex, 6+) or long (base-52 alphabet, 10+)
_POSTFIX_QID = re.compile(r"[0-9A-F]{6,20}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,20}")
# Exim message ids: the classic 6-6-2 and the 4.97+ 6-11-4 form
_EXIM_ID = re.compile(
    r"[0-9A-Za-z]{6}-[0-9A-Za-z]{6}-[0-9A-Za-z]{2}|[0-9A-Za-z]{6}-[0-9A-Za-z]{11}-[0-9A-Za-z]{4}"
)
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*")
# a path: absolute, printable ASCII without quotes, `$`, backticks, `\`, `;`, `&`, `|`,
# `<`, `>`, `*`, `?`, `[`, `]`, `{`, `}`, `!`, `#` at a segment start or spaces at ends
_FILENAME = re.compile(r"[A-Za-z0-9._@+~%=,][A-Za-z0-9._@+~%=,-]{0,254}")
_PATH_CHARS = re.compile(r"/[A-Za-z0-9._@+~%=,:/ -]{1,4095}")


def ip(value: object) -> str | None:
    """An IPv4 or IPv6 address in its canonical form (IPv4-mapped IPv6 as IPv4); no zone
    id (`fe80::1%eth0` carries text after the `%`), no networks."""
    if not isinstance(value, str) or not value.isascii():
        return None
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.scope_id is not None:
            return None
        if addr.ipv4_mapped is not None:
            return str(addr.ipv4_mapped)
    return str(addr)


def network(value: object) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """A network (`192.0.2.0/24`, or one address as a /32 or /128)."""
    if not isinstance(value, str) or not value.isascii():
        return None
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return None


def login(value: object) -> str | None:
    """A SASL login (`user` or `user@domain.example`), as logged."""
    if isinstance(value, str) and value.isascii() and _LOGIN.fullmatch(value):
        return value
    return None


def user(value: object) -> str | None:
    """A Unix account name (for the panel commands that take one)."""
    if isinstance(value, str) and value.isascii() and _USER.fullmatch(value):
        return value
    return None


def uid(value: object) -> int | None:
    """A uid: a non-negative integer below 2**32 (an int, a whole float, digits)."""
    n: int
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()):
            return None
        n = int(value)
    elif isinstance(value, numbers.Integral):  # int, numpy's integers
        n = int(value)
    elif isinstance(value, numbers.Real) and float(value).is_integer():  # pandas' floats
        n = int(float(value))
    else:
        return None
    return n if 0 <= n < 2**32 else None


def queue_id(value: object, mta: str) -> str | None:
    """A queue id in the grammar of `mta` (postfix, exim)."""
    if not isinstance(value, str) or not value.isascii():
        return None
    grammar = {"postfix": _POSTFIX_QID, "exim": _EXIM_ID}.get(mta)
    return value if grammar is not None and grammar.fullmatch(value) else None


def host(value: object) -> str | None:
    """A host name as syslog names it (letters, digits, `-`, dots)."""
    if isinstance(value, str) and value.isascii() and _HOST.fullmatch(value):
        return value
    return None


def path(value: object) -> str | None:
    """An absolute file path of printable ASCII without shell metacharacters, with no
    `.` or `..` segment and no leading or trailing space in a segment; still quoted with
    `shlex.quote` wherever it reaches a shell."""
    if not isinstance(value, str) or not value.isascii() or not _PATH_CHARS.fullmatch(value):
        return None
    segments = value.split("/")[1:]
    if any(s in (".", "..") or s != s.strip() or s.startswith("-") for s in segments):
        return None
    return value


def filename(value: object) -> str | None:
    """A file name without a directory (what the X-PHP-Originating-Script header gives)."""
    if not isinstance(value, str) or not value.isascii() or value in (".", ".."):
        return None
    return value if _FILENAME.fullmatch(value) else None


class Skipped(Counter):
    """What failed validation, counted by what it was meant to be (`login`, `IP`, ...)."""

    def text(self) -> str:
        """`3 values failed validation and were skipped (2 login, 1 path)`, or ''."""
        total = sum(self.values())
        if not total:
            return ""
        parts = ", ".join(f"{n} {what}" for what, n in sorted(self.items()))
        return (
            f"{total} value{'s' if total != 1 else ''} failed validation and were skipped ({parts})"
        )
