"""Sendmail message types (programs `sendmail`, `sm-mta`, `sm-msp-queue`,
`sm-acceptingconnections` and other `sm-*` names).

Since 8.12 a local submission makes two hops: the MSP (`sendmail` / `sm-msp-queue`, queue
id A: `from=apache, ... relay=apache@localhost`, then `to=..., ctladdr=apache (48/48), ...
mailer=relay, relay=[127.0.0.1] [127.0.0.1], stat=Sent (B Message accepted for delivery)`)
hands the message over SMTP to the MTA (`sm-mta`, queue id B: `from=<apache@host>, ...
relay=localhost [127.0.0.1]`), which delivers it. The correlator joins the two (see
`correlate.Correlator._handoff`).

Sendmail logs no `removed` line: a message is complete when every recipient counted in
`nrcpts=` has a final `stat=` (sent or bounced).

`PATTERNS` is the one table of the family, assembled here from its parts in a fixed
order: the fallback among them (the broad catch) comes last.
"""

from __future__ import annotations

from . import auth, chatter, messages, notices, rejects

PATTERNS = (
    *messages.MESSAGES,  # `to=` (delivery), `from=` (arrival): most frequent first
    *auth.LOGINS,  # `AUTH=server`, `AUTH=client`
    *messages.BOUNCES,  # DSN
    *rejects.REJECTS,
    *auth.FAILURES,  # SMTP AUTH failures and attacks
    *notices.SESSIONS,  # session notices with the client
    *chatter.CHATTER,  # daemon chatter (the fallback)
)

__all__ = ["PATTERNS"]
