"""Postfix message types, most frequent first within each daemon.

Applies to every program whose name starts with `postfix` (`postfix/smtpd`,
`postfix/submission/smtpd`, `postfix-incoming/smtpd`, ...); `daemons` filters on the
last component of the program name.

`PATTERNS` is the one table of the family, assembled here from the daemons' modules in
a fixed order: the fallbacks among them (broad catches) are tried in this order.
"""

from __future__ import annotations

from . import anvil, chatter, delivery, postscreen, queue, smtpd

PATTERNS = (
    *smtpd.SESSIONS,  # smtpd sessions, rejects, SASL failures, client notices
    *delivery.DIAGNOSTICS,  # delivery agents' diagnostics about one message; policy servers
    *postscreen.SCREENING,  # postscreen, tlsproxy, dnsblog
    *queue.PICKUP,  # local submission
    *queue.CLEANUP,
    *queue.QMGR,
    *delivery.DELIVERIES,  # delivery agents' `status=` lines, bounce notifications
    *anvil.ANVIL,  # a client hammering the server
    *chatter.CHATTER,  # process and daemon chatter (the last fallback)
)

__all__ = ["PATTERNS"]
