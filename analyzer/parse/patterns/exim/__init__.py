"""Exim main-log and reject-log message types.

Applies to Exim's own log files (`2013-06-10 18:33:32 [10099] ...`: the envelope reader
strips the timestamp and the optional `[pid]`) and to the same messages under a syslog
prefix with program `exim`, `exim4` or `exim4-daemon-*` (where Exim may still put its own
timestamp and `[pid]` in front of the message: `events._EximRoute` strips them).

Exim writes selectors (`H=`, `U=`, `P=`, `A=`, `S=`, `I=`, `Ci=`, `CV=`, `SNI=`, `X=`,
`K`, ...) in a fixed order that depends on `log_selector` and the version; the arrival and
delivery patterns name the ones the tables use and step over any other `name=value`.
Message ids: `1FZ9lT-000707-O2` (before 4.97) and `10HmaX-000000005vi-0000` (4.97+).

`PATTERNS` is the one table of the family, assembled here from its parts in a fixed
order: the fallbacks among them (broad catches) are tried in this order.
"""

from __future__ import annotations

from . import auth, chatter, messages, notices, rejects

PATTERNS = (
    *messages.ARRIVALS,  # `<=`, most frequent first
    *messages.DELIVERIES,  # `=>` ... `==`, `Completed`
    *messages.LOCAL_SUBMISSION,  # `cwd=`: the process's working directory
    *rejects.REJECTS,
    *auth.AUTH,  # SMTP AUTH
    *notices.SESSIONS,  # SMTP sessions and their troubles (with the client)
    *chatter.CHATTER,  # message and daemon chatter (the fallbacks)
)

__all__ = ["PATTERNS"]
