"""The pattern tables of every MTA, and how a program name selects one.

`FAMILIES` maps an MTA family to its patterns; `family_of(program)` says which family a
syslog program belongs to (None: a program beside the MTA, such as dovecot or amavis,
whose lines are counted, not parsed). `REASON_CLASSES` turns reject texts of every MTA
into the shared `reason_class` vocabulary.
"""

from __future__ import annotations

import re

from ..header import family_of  # with the header: sniffing a file needs no pattern table
from . import exim, phpmail, postfix, sendmail
from .base import FIELD_TYPES, Pattern

FAMILIES: dict[str, tuple[Pattern, ...]] = {
    "postfix": postfix.PATTERNS,
    "exim": exim.PATTERNS,
    "sendmail": sendmail.PATTERNS,
    "phpmail": phpmail.PATTERNS,
}


def daemon_of(program: str) -> str:
    """`postfix/submission/smtpd` -> `smtpd`."""
    return program.rsplit("/", 1)[-1]


# First match wins; checked against the reject text of any MTA.
REASON_CLASSES: tuple[tuple[str, re.Pattern], ...] = tuple(
    (name, re.compile(rx, re.I))
    for name, rx in (
        (
            "relay_denied",
            r"Relay access denied|Relaying (?:temporarily )?denied|relay not permitted",
        ),
        (
            "rbl",
            r"blocked using|listed (?:at|in|by) |\bRBL\b|\bDNSBL\b|spamhaus|spamcop|barracudacentral",
        ),
        (
            "unknown_recipient",
            r"User unknown|Unknown user|unknown recipient|No such user|"
            r"undeliverable address|unrouteable address|mailbox unavailable|"
            r"Recipient address rejected: (?:unverified|Unknown)",
        ),
        ("helo_rejected", r"Helo command rejected|\bHELO\b.*(?:rejected|invalid)"),
        (
            "sender_rejected",
            r"Sender address rejected|Domain of sender address|sender verify failed|"
            r"Sender (?:address )?(?:domain )?(?:not|must)",
        ),
        (
            "client_rejected",
            r"Client host rejected|reverse (?:hostname|DNS)|cannot find your hostname",
        ),
        (
            "policy",
            r"Recipient address rejected|policy|content rejected|Greylist|rate limit|"
            r"too many|Message size exceeds|message too big|not allowed",
        ),
    )
)


def reason_class(reason: str | None) -> str:
    if reason:
        for name, rx in REASON_CLASSES:
            if rx.search(reason):
                return name
    return "other"


__all__ = ["FAMILIES", "FIELD_TYPES", "Pattern", "daemon_of", "family_of", "reason_class"]
