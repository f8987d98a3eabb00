"""Every table of the dataset, declared once: its name, meaning, time column and columns.

The store writes with these schemas, the API returns these columns, and `docs/tables.md`
is generated from them (`python -m analyzer.schema`). Column names follow the canonical
event vocabulary of `docs/architecture.md`; the dataset is a public interface.
"""

from __future__ import annotations

from .model import Column, Table


def _cols(*specs: tuple[str, str, str]) -> tuple[Column, ...]:
    return tuple(Column(*spec) for spec in specs)


_CLIENT = (
    ("client_name", "string", "Client host name as logged (`unknown` when it has no rDNS)."),
    ("client_ip", "string", "Client IP address (IPv4 or IPv6)."),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "messages",
            "One row per message lifecycle (a queue id from its first line to `removed`), "
            "charged to its accountable identity. Postfix reuses queue ids: the key is "
            "`host` + `queue_id` + `first_seen`.",
            "first_seen",
            _cols(
                ("first_seen", "timestamp", "First line of this message (UTC)."),
                ("last_seen", "timestamp", "Last line of this message (UTC)."),
                (
                    "host",
                    "string",
                    "Syslog host that logged the message (`--host` for logs that name none).",
                ),
                (
                    "queue_id",
                    "string",
                    "MTA queue id (Exim: message id; Sendmail local submission: the MTA's queue id).",
                ),
                (
                    "identity",
                    "string",
                    "Accountable principal: `sasl:<user>`, `uid:<n>`, "
                    "`user:<login>` or `ip:<client_ip>`; empty when the message began before the logs did.",
                ),
                (
                    "origin",
                    "string",
                    "`sasl` (authenticated SMTP), `local` (pickup / sendmail "
                    "binary / Exim `P=local`), `smtp` (unauthenticated SMTP), `bounce` (MTA-generated "
                    "notification) or `unknown`.",
                ),
                (
                    "program",
                    "string",
                    "Program that accepted it (`postfix/submission/smtpd`, `postfix/pickup`, `exim`, `sendmail`, `sm-mta`, ...).",
                ),
                ("sasl_method", "string", "SASL mechanism of an authenticated submission."),
                ("sasl_username", "string", "SASL login of an authenticated submission."),
                (
                    "uid",
                    "int64",
                    "Local UID of a local submission (from the login with `--passwd`).",
                ),
                (
                    "user",
                    "string",
                    "Local login name of a local submission, when the MTA logs it (Exim `U=`, Sendmail `relay=user@localhost`) or `--passwd` names the uid.",
                ),
                (
                    "script",
                    "string",
                    "Originating script: full path when known, else the basename.",
                ),
                (
                    "script_path",
                    "string",
                    "Full path of the originating script when PHP's mail.log gave it, "
                    "else the submitting process's directory (Exim `cwd=`, ending in `/` when Exim wrote it so).",
                ),
                *_CLIENT,
                (
                    "sender",
                    "string",
                    "Envelope sender as logged; empty string is the null sender `<>`.",
                ),
                ("size", "int64", "Message size in bytes."),
                ("nrcpt", "int64", "Number of recipients."),
                ("message_id", "string", "Message-ID header."),
                ("subject", "string", "Subject, when the MTA logs it (Exim `T=`)."),
                (
                    "bounce_of",
                    "string",
                    "Queue id of the message this MTA-generated notice "
                    "reports on (Postfix `sender non-delivery notification`): the notice is "
                    "charged to that message's identity.",
                ),
                (
                    "submission_queue_id",
                    "string",
                    "Queue id of the hop that handed this message to the MTA "
                    "(Sendmail's MSP queue id of a local submission): the same message, counted once.",
                ),
                (
                    "filter_of",
                    "string",
                    "Queue id of the message a content filter (amavis on 10024/10025, an "
                    "Exim spam-scanner router) handed back as this one: the same message, counted once under "
                    "that original, whose identity, origin and client this row takes over; its deliveries and "
                    "bounces count for that identity. Empty for an original message.",
                ),
                ("sent", "int64", "Recipients delivered."),
                (
                    "deferred",
                    "int64",
                    "Delivery attempts deferred (a recipient can be deferred several times).",
                ),
                ("bounced", "int64", "Recipients bounced."),
                ("expired", "bool", "The message expired in the queue and was returned to sender."),
                (
                    "rejected",
                    "bool",
                    "Rejected after it had a queue id (content, milter): never delivered.",
                ),
                (
                    "complete",
                    "bool",
                    "The lifecycle ended with `removed` (false: flushed after going quiet).",
                ),
            ),
        ),
        Table(
            "deliveries",
            "One row per delivery attempt (sent, deferred, bounced, ...), with the identity "
            "of the message it belongs to.",
            "ts",
            _cols(
                ("ts", "timestamp", "Time of the attempt (UTC)."),
                ("host", "string", "Syslog host."),
                (
                    "program",
                    "string",
                    "Delivery agent (`postfix/smtp`, `postfix/lmtp`, `postfix/local`, ...; "
                    "Exim and Sendmail: `exim/smtp`, `exim/local`, `sm-mta/smtp`, `sm-mta/local`, ...: "
                    "`local` delivers on this server).",
                ),
                ("queue_id", "string", "Queue id of the message."),
                (
                    "message_first_seen",
                    "timestamp",
                    "`first_seen` of the message: with host and queue_id, the join key to `messages`.",
                ),
                ("identity", "string", "Identity of the message (denormalised for reports)."),
                ("recipient", "string", "Recipient address as logged."),
                ("orig_recipient", "string", "Original recipient before aliasing (`orig_to=`)."),
                ("recipient_domain", "string", "Lower-cased domain of the recipient."),
                (
                    "relay",
                    "string",
                    "Next hop (`host[ip]:port`, `local`, `private/dovecot-lmtp`, ...).",
                ),
                (
                    "status",
                    "string",
                    "`sent`, `deferred`, `bounced`, `expired`, ...; `filtered`: handed to a "
                    "content filter that re-injected the message (the `messages` row whose `filter_of` is this "
                    "queue id), not a delivery.",
                ),
                ("dsn", "string", "Enhanced status code, e.g. `5.1.1`."),
                ("delay", "float64", "Total delay in seconds."),
                ("response", "string", "Text in parentheses after the status."),
            ),
        ),
        Table(
            "rejects",
            "Every reject, before the queue (`NOQUEUE`) or after, at any SMTP stage, "
            "classified by `reason_class`.",
            "ts",
            _cols(
                ("ts", "timestamp", "Time of the reject (UTC)."),
                ("host", "string", "Syslog host."),
                (
                    "program",
                    "string",
                    "Program that rejected (`postfix/smtpd`, `postfix/postscreen`, `postfix/cleanup`, ...).",
                ),
                ("queue_id", "string", "Queue id, or empty for `NOQUEUE`."),
                (
                    "stage",
                    "string",
                    "`CONNECT`, `HELO`, `MAIL`, `RCPT`, `DATA`, `END-OF-MESSAGE`, ...",
                ),
                *_CLIENT,
                ("code", "int64", "SMTP reply code (554, 450, ...)."),
                ("dsn", "string", "Enhanced status code (`5.7.1`)."),
                ("reason", "string", "Reject text as logged."),
                (
                    "reason_class",
                    "string",
                    "`relay_denied`, `rbl`, `unknown_recipient`, `sender_rejected`, "
                    "`helo_rejected`, `client_rejected`, `policy`, `milter`, `other`.",
                ),
                ("sender", "string", "Envelope sender (`from=`), empty string for `<>`."),
                ("recipient", "string", "Envelope recipient (`to=`)."),
                ("helo", "string", "HELO/EHLO name given by the client."),
                ("proto", "string", "`SMTP` or `ESMTP`."),
                (
                    "sasl_username",
                    "string",
                    "SASL login of the session, when it had authenticated.",
                ),
                (
                    "local_client",
                    "bool",
                    "Client is loopback or one of the server's own addresses (`--local-ip`).",
                ),
            ),
        ),
        Table(
            "auth_failures",
            "SMTP AUTH failures.",
            "ts",
            _cols(
                ("ts", "timestamp", "Time of the failure (UTC)."),
                ("host", "string", "Syslog host."),
                ("program", "string", "Program (`postfix/submission/smtpd`, ...)."),
                *_CLIENT,
                ("sasl_method", "string", "Mechanism (`LOGIN`, `PLAIN`, ...)."),
                (
                    "sasl_username",
                    "string",
                    "Username tried, when logged (Postfix >= 3.8, Exim, Sendmail).",
                ),
                ("reason", "string", "Failure text as logged."),
            ),
        ),
        Table(
            "connections",
            "SMTP sessions from connect to disconnect, with Postfix's command counters.",
            "ts",
            _cols(
                ("ts", "timestamp", "Connect time (UTC)."),
                ("disconnect_ts", "timestamp", "Disconnect time (UTC); empty when never seen."),
                ("host", "string", "Syslog host."),
                (
                    "program",
                    "string",
                    "Service (`postfix/smtpd`, `postfix/submission/smtpd`, ...).",
                ),
                ("pid", "int64", "Process id of the session."),
                *_CLIENT,
                ("sasl_method", "string", "SASL mechanism, when the session authenticated."),
                ("sasl_username", "string", "SASL login, when the session authenticated."),
                ("messages", "int64", "Messages queued in this session."),
                (
                    "counters",
                    "string",
                    "Command counters as logged (`ehlo=1 auth=0/1 quit=1 commands=2/3`).",
                ),
                ("auth_ok", "int64", "Successful AUTH commands."),
                ("auth_total", "int64", "AUTH commands."),
                ("commands_ok", "int64", "Successful commands."),
                ("commands_total", "int64", "All commands."),
            ),
        ),
        Table(
            "notices",
            "Lines about one message that are no step of its life but name its queue id "
            "with a relay or a client: a delivery agent's diagnostics (the next hop's reply, "
            "`refused to talk to me`, a lost connection, `Cannot start TLS`, PIX workarounds) "
            "and cleanup's header_checks/body_checks WARN, INFO, HOLD, ... lines.",
            "ts",
            _cols(
                ("ts", "timestamp", "Time of the line (UTC)."),
                ("host", "string", "Syslog host."),
                (
                    "program",
                    "string",
                    "Program (`postfix/smtp`, `postfix/lmtp`, `postfix/cleanup`).",
                ),
                ("queue_id", "string", "Queue id of the message the line is about."),
                (
                    "kind",
                    "string",
                    "`reply` (`host X said:`), `refused`, `connection` (lost, timed out), "
                    "`tls_failed`, `pix_workarounds`, `header`, `body`.",
                ),
                ("relay_name", "string", "Next hop's host name (delivery agents)."),
                ("relay_ip", "string", "Next hop's IP address (delivery agents)."),
                (
                    "command",
                    "string",
                    "The command the reply answered (`RCPT TO`, `MAIL FROM`, ...).",
                ),
                *_CLIENT,
                ("sender", "string", "Envelope sender (cleanup lines)."),
                ("recipient", "string", "Envelope recipient (cleanup lines)."),
                ("proto", "string", "`SMTP` or `ESMTP` (cleanup lines)."),
                ("helo", "string", "HELO name (cleanup lines)."),
                (
                    "action",
                    "string",
                    "The header/body check's action: `warning`, `info`, `hold`, ...",
                ),
                ("header", "string", "Header name (`Subject`); empty for a body line."),
                ("value", "string", "Header value or body text as logged."),
                ("text", "string", "Reply or diagnostic text (the optional text of a check)."),
            ),
        ),
        Table(
            "client_rates",
            "Postfix anvil's statistics of one client: the highest connection rate, "
            "connection count, message or recipient rate it reached (anvil logs them "
            "every `anvil_status_update_time`). A client hammering the server.",
            "ts",
            _cols(
                ("ts", "timestamp", "Time of the statistics line (UTC)."),
                ("host", "string", "Syslog host."),
                ("client_ip", "string", "Client IP address."),
                ("service", "string", "Service anvil counted for (`smtp`, `submission`, ...)."),
                (
                    "kind",
                    "string",
                    "`connection_rate`, `connection_count`, `message_rate`, "
                    "`recipient_rate`, `newtls_rate`.",
                ),
                ("figure", "int64", "At most this many per `period` (a count: at once)."),
                (
                    "period",
                    "int64",
                    "Seconds a rate is counted over (`anvil_rate_time_unit`, 60 by "
                    "default); empty for a count.",
                ),
            ),
        ),
        Table(
            "php_mail",
            "PHP `mail.log` entries: which script called `mail()`, and the local submission "
            "it produced when one matched (same host, within seconds, same uid/login and "
            "script name when known, a recipient in common). Unmatched entries are rows too: "
            "script activity all the same.",
            "ts",
            _cols(
                (
                    "ts",
                    "timestamp",
                    "Time of the call (UTC; the file form's zone identifier applied).",
                ),
                ("host", "string", "Host (syslog form), else `--host`."),
                ("script_path", "string", "Full path of the calling script."),
                ("script_line", "int64", "Line number in the script."),
                (
                    "uid",
                    "int64",
                    "UID: from the matched message, or the home directory owning the path (`--passwd`).",
                ),
                ("user", "string", "Login of that uid, when known."),
                ("recipient", "string", "`To:` as logged."),
                ("subject", "string", "`Subject:` as logged (PHP >= 7)."),
                (
                    "identity",
                    "string",
                    "Identity of the matched message, else `uid:<n>` / `user:<login>` "
                    "when known, else empty.",
                ),
                ("queue_id", "string", "Queue id of the matched message; empty when none matched."),
                (
                    "message_first_seen",
                    "timestamp",
                    "`first_seen` of the matched message: with host and "
                    "queue_id, the join key to `messages`.",
                ),
            ),
        ),
        Table(
            "unparsed",
            "Every MTA line no pattern recognised (and every line without a readable "
            "header), kept with its source and byte offset so coverage gaps can be seen.",
            "ts",
            _cols(
                ("ts", "timestamp", "Time from the line's header; empty when it had none."),
                ("host", "string", "Syslog host, when the header was readable."),
                ("program", "string", "Program, when the header was readable."),
                ("source", "string", "File the line came from (`-` for stdin)."),
                ("offset", "int64", "Byte offset of the line in the (decompressed) source."),
                ("reason", "string", "`no header` (not a log line we can read) or `no pattern`."),
                ("line", "string", "The raw line (invalid UTF-8 replaced; cut at 8 KiB)."),
                ("line_length", "int64", "Length of the raw line in bytes."),
            ),
        ),
    )
}
