"""Exim message and daemon chatter: the broad fallbacks tried after every other pattern."""

from __future__ import annotations

from ..base import Pattern
from .common import ID

CHATTER = (
    Pattern(
        "exim_message_notice",
        "other",
        # any other line about one message (delivery errors of a host, frozen, router and
        # filter notes, DKIM results, TLS notes, ACL `logwrite`s): never a line with a
        # delivery or arrival marker, nor one about a reject or authentication
        ID + r" (?!<=|=>|->|\*>|\*\*|==|>>|Completed\b|cwd=)"
        r"(?!.*(?:authenticat|\brejected\b|relay not permitted)).*$",
        {
            "1999-03-02 09:44:33 10HmaX-000000005vi-0000 Frozen (delivery error message)": {},
            "2026-11-26 09:00:00 1vAbCd-00000X-Q1 SMTP connection outbound 1764147600 1vAbCd-00000X-Q1 "
            "shop-anna.example x@y.example": {},
            "2026-11-26 09:00:00 1vAbCd-00000X-Q1 DKIM: d=shop-anna.example s=default c=relaxed/relaxed "
            "a=rsa-sha256 b=2048 [verification succeeded]": {},
            "2026-11-26 09:00:00 1vAbCd-00000X-Q1 H=mx.y.example [192.0.2.10] Connection timed out": {},
        },
        fallback=True,
    ),
    Pattern(
        "exim_daemon_chatter",
        "other",
        r"(?:(?:Start|End) (?:ODMR )?(?:'[^']*' )?queue run: .*|exim \S+ daemon started: .*|"
        r"daemon: .*|pid \w+: .*|(?:Warning|WARNING): (?!.*authenticat).*|"
        r"exim \S+ (?:daemon )?(?:started|exiting|restarted).*|"
        r"configured error code starts with .*|\S+ router: .*|qualify/rewrite: .*|"
        r"Connection from \S+ (?:refused|dropped).*|ATRN '[^']*' received from .*|"
        r"(?:TLS error on|TLS session:|Peer did not present a cert).*|expansion of \w+ failed.*|"
        r"Spool file \S+ is locked.*|(?:Message|message) \S+ is not frozen.*|"
        r"ETRN \S+ received from .*|recipient verify (?:defer|fail) .*|sender verify (?:defer|fail) .*|"
        r"timed out while reading local message|spool directory space check failed.*|"
        r"invalid (?:value for )?\w+: .*|failed to expand .*|Daemon cannot be run .*|"
        r"listen backlog .*|bind of \S+ failed.*|ACL (?:for|\"\w+\") .*|\"\w+\" verb not allowed .*|"
        r"DNS list lookup for .*|using queue '[^']*'|"
        r"(?:LOG|PANIC|ALERT): (?!.*authenticat).*)$",
        {
            "1999-03-02 09:44:33 Start queue run: pid=p1234": {},
            "1999-03-02 09:44:33 exim x.yz daemon started: pid=p1234, no queue runs, listening for SMTP on port 25": {},
        },
        fallback=True,
    ),
)
