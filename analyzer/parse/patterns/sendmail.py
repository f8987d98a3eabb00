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
"""

from __future__ import annotations

import re

from .base import Pattern

QID = r"(?P<queue_id>[0-9A-Za-z]{12,18})"
_QID_OR_NOQUEUE = r"(?:" + QID + r"|NOQUEUE): "
# relay=name [ip] (may be forged) | relay=[ip] | relay=name [IPv6:...]
RELAY = (
    r"(?:(?P<client_name>[^\s,\[]+) )?\[(?:IPv6:)?(?P<client_ip>[^\]\s]+)\]"
    r"(?: \(may be forged\))?"
)
_ANGLE = re.compile(r"<([^>]*)>")


def _address(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        return text[1:-1]
    m = _ANGLE.search(text)
    return m[1] if m else text


def _split_recipients(text: str) -> list[str]:
    """`<a@b>,<c@d>` / `a@b,c@d` / `Name <a@b>` -> addresses."""
    if text[:1] == "<" and text[-1:] == ">" and text.count("<") == 1:
        return [text[1:-1]]  # the common case: one recipient
    if "<" in text:
        found = _ANGLE.findall(text)
        if found:
            return found
    return [part.strip().strip('"') for part in text.split(",") if part.strip()]


def seconds(text: str) -> float | None:
    """Sendmail delays: `00:00:05`, `1+02:03:04` (days+hh:mm:ss)."""
    if len(text) == 8 and text[2] == ":" and text[5] == ":":  # hh:mm:ss, the common case
        try:
            return float(int(text[:2]) * 3600 + int(text[3:5]) * 60 + int(text[6:]))
        except ValueError:
            return None
    days = 0
    if "+" in text:
        d, _, text = text.partition("+")
        days = int(d) if d.isdigit() else 0
    parts = text.split(":")
    try:
        h, m, s = (int(p) for p in parts) if len(parts) == 3 else (0, *map(int, parts))
    except ValueError:
        return None
    return float(days * 86400 + h * 3600 + m * 60 + s)


# mailer -> the kind of delivery agent (`deliveries.program` = `<program>/<kind>`)
_LOCAL_MAILERS = {
    "local",
    "procmail",
    "cyrus",
    "cyrusv2",
    "lmtp",
    "mail.local",
    "maildrop",
    "dovecot",
    "*file*",
    "*include*",
}
_SMTP_MAILERS = {"esmtp", "smtp", "smtp8", "dsmtp", "relay", "uucp-dom"}


def _arrival(event: dict) -> None:
    event["sender"] = _address(event.get("sender"))
    if event.get("message_id"):
        event["message_id"] = event["message_id"].strip("<>")
    if event.get("local_user"):  # relay=apache@localhost: handed in by a local process
        event["user"] = event.pop("local_user")
        event.pop("local_host", None)
        event["proto"] = event.get("proto") or "local"


def _delivery(event: dict) -> None:
    text = event.pop("recipient_list")
    if text[:1] == "<" and text[-1:] == ">" and text.count("<") == 1:
        event["recipient"] = text[1:-1]  # the common case: one recipient
    else:
        recipients = _split_recipients(text)
        event["recipient"] = recipients[0] if recipients else None
        if len(recipients) > 1:
            event["recipients"] = recipients
    event["delay"] = seconds(event.pop("delay_text"))
    mailer = event["mailer"]
    event["agent"] = _AGENTS.get(mailer, mailer)
    ctladdr = event.pop("ctladdr")
    if ctladdr and "@" not in ctladdr:
        event["user"] = ctladdr.strip("<>")
    stat = event.pop("stat")
    first = stat[:4]
    if first == "Sent":
        event["status"] = "sent"
        response = stat[4:].strip()
        if response[:1] == "(" and response[-1:] == ")":
            response = response[1:-1]
        event["response"] = response or None
    elif first == "Defe" and stat.startswith("Deferred"):
        event["status"] = "deferred"
        event["response"] = stat[8:].lstrip(": ") or None
    elif stat[:6].lower() == "queued":
        event["status"] = "queued"
        event["response"] = None
    else:
        event["status"] = "deferred" if (event["dsn"] or "").startswith("4") else "bounced"
        event["response"] = stat
    relay = event["relay"]
    if relay and " " in relay:
        event["relay"] = relay.replace(" ", "")  # `mx.example. [192.0.2.1]` -> Postfix style


_AGENTS = {
    **{m: "local" for m in _LOCAL_MAILERS},
    **{m: "smtp" for m in _SMTP_MAILERS},
    "prog": "pipe",
    "": None,
}


_STAGES = {
    "check_relay": "CONNECT",
    "check_mail": "MAIL",
    "check_rcpt": "RCPT",
    "check_data": "DATA",
    "check_eoh": "DATA",
    "check_eom": "DATA",
    "check_compat": "RCPT",
    "check_etrn": "ETRN",
    "check_expn": "EXPN",
    "check_vrfy": "VRFY",
    "tls_client": "STARTTLS",
    "tls_server": "STARTTLS",
}
_MILTER_STAGES = {
    "connect": "CONNECT",
    "helo": "HELO",
    "from": "MAIL",
    "to": "RCPT",
    "data": "DATA",
    "eoh": "DATA",
    "eom": "DATA",
    "body": "DATA",
}


def _ruleset_reject(event: dict) -> None:
    ruleset = event.pop("ruleset")
    event["stage"] = _STAGES.get(ruleset)
    arg1 = event.pop("arg1", None)
    if ruleset in ("check_rcpt", "check_compat"):
        event["recipient"] = _address(arg1)
    elif ruleset == "check_mail":
        event["sender"] = _address(arg1)
    event.pop("arg2", None)


def _milter_reject(event: dict) -> None:
    where = event.pop("where")
    event["stage"] = _MILTER_STAGES.get(where.split("=", 1)[0].lower(), "DATA")
    if where.startswith("from="):
        event["sender"] = _address(where[5:])
    elif where.startswith("to="):
        event["recipient"] = _address(where[3:])


def _dsn(event: dict) -> None:
    event["sender"] = ""
    event["nrcpt"] = 1


PATTERNS = (
    # --- messages, most frequent first -------------------------------------------------
    Pattern(
        "sendmail_delivery",
        "delivery",
        QID + r": to=(?P<recipient_list>.*?), (?:orig_to=[^,]*, )?"
        r"(?:ctladdr=(?P<ctladdr>.*?) \((?P<uid>\d+)/\d+\), )?"
        r"delay=(?P<delay_text>[\d+:]+), (?:xdelay=[\d+:]+, )?mailer=(?P<mailer>[^,]+), "
        r"(?:\w+=[^,]*, )*?pri=\d+, (?:relay=(?P<relay>[^,]+), )?"
        r"(?:\w+=[^,]*, )*?(?:dsn=(?P<dsn>\d\.\d{1,3}\.\d{1,3}), )?stat=(?P<stat>.*)$",
        {
            "Jul 16 16:35:36 localhost sendmail[7648]: l6GKZVbA007648: to=Rzwicker <rzwicker@bssb.com>, "
            "ctladdr=apache (48/48), delay=00:00:05, xdelay=00:00:04, mailer=relay, pri=30711, "
            "relay=[127.0.0.1] [127.0.0.1], dsn=2.0.0, stat=Sent (l6GKZWij007649 Message accepted for delivery)": {
                "queue_id": "l6GKZVbA007648",
                "recipient": "rzwicker@bssb.com",
                "uid": 48,
                "user": "apache",
                "delay": 5.0,
                "mailer": "relay",
                "relay": "[127.0.0.1][127.0.0.1]",
                "dsn": "2.0.0",
                "status": "sent",
                "response": "l6GKZWij007649 Message accepted for delivery",
                "recipient_domain": "bssb.com",
                "agent": "smtp",
            },
            "Nov 26 10:00:05 mx1 sm-mta[3001]: 5AQA04xF003000: to=<a@gmail.example>,<b@gmail.example>, "
            "ctladdr=<site1017@mx1.example> (1017/1017), delay=00:00:02, xdelay=00:00:01, mailer=esmtp, "
            "pri=121234, relay=gmail-smtp-in.l.google.example. [198.51.100.27], dsn=2.0.0, stat=Sent (OK 1 - gsmtp)": {
                "recipient": "a@gmail.example",
                "recipients": ["a@gmail.example", "b@gmail.example"],
                "uid": 1017,
                "user": None,
                "relay": "gmail-smtp-in.l.google.example.[198.51.100.27]",
                "response": "OK 1 - gsmtp",
            },
            "Nov 26 10:00:05 mx1 sm-mta[3001]: 5AQA04xF003000: to=<x@nowhere.example>, delay=1+02:00:00, "
            "xdelay=00:00:30, mailer=esmtp, pri=30000, relay=mx.nowhere.example., dsn=4.0.0, "
            "stat=Deferred: Connection timed out with mx.nowhere.example.": {
                "status": "deferred",
                "delay": 93600.0,
                "dsn": "4.0.0",
                "response": "Connection timed out with mx.nowhere.example.",
            },
            "Nov 26 10:00:05 mx1 sm-mta[3001]: 5AQA04xF003000: to=<x@y.example>, delay=00:00:01, xdelay=00:00:01, "
            "mailer=esmtp, pri=30000, relay=mx.y.example. [192.0.2.10], dsn=5.1.1, stat=User unknown": {
                "status": "bounced",
                "response": "User unknown",
                "dsn": "5.1.1",
            },
            "Nov 26 10:00:05 mx1 sm-mta[3002]: 5AQA04xF003001: to=<info@shop-anna.example>, delay=00:00:00, "
            "xdelay=00:00:00, mailer=local, pri=31234, dsn=2.0.0, stat=Sent": {
                "status": "sent",
                "agent": "local",
                "relay": None,
                "response": None,
            },
        },
        derive=_delivery,
    ),
    Pattern(
        "sendmail_from",
        "arrival",
        QID + r": from=(?P<sender><[^>]*>|[^,]*), size=(?P<size>\d+), class=-?\d+, (?:pri=\d+, )?"
        r"nrcpts=(?P<nrcpt>\d+)(?:, +msgid=(?P<message_id><[^>]*>|[^,]*))?(?:, +bodytype=[^,]*)?"
        r"(?:, +proto=(?P<proto>[^,]+))?(?:, +daemon=(?P<daemon>[^,]+))?(?:, +\w+=[^,]*)*?"
        r"(?:, +relay=(?:(?P<local_user>[^\s@,\[]+)@(?P<local_host>[^\s,\[]+)(?=,|$)|"
        + RELAY
        + r"))?"
        r"(?:, .*)?$",
        {
            "Jul 16 16:35:32 localhost sendmail[7648]: l6GKZVbA007648: from=apache, size=711, class=0, "
            "nrcpts=1,  msgid=<200707162035.l6GKZVbA007648@localhost>, relay=apache@localhost": {
                "queue_id": "l6GKZVbA007648",
                "sender": "apache",
                "size": 711,
                "nrcpt": 1,
                "user": "apache",
                "proto": "local",
                "client_ip": None,
            },
            "Nov  3 11:35:30 Microsoft sendmail[26254]: rA37ZTSC026254: from=<davaojk25@domain.com>, size=0, "
            "class=0, nrcpts=0, bodytype=8BITMIME, proto=ESMTP, daemon=MTA, relay=163.23.32.95.dsl-dynamic.vsi.ru "
            "[95.32.23.163]": {
                "sender": "davaojk25@domain.com",
                "nrcpt": 0,
                "proto": "ESMTP",
                "daemon": "MTA",
                "client_name": "163.23.32.95.dsl-dynamic.vsi.ru",
                "client_ip": "95.32.23.163",
            },
            "Jun 17 14:37:39 <mail.info> robin sm-mta[2794]: 55HIbcGI002794: from=<root@yourhost.com>, size=108, "
            "class=0, nrcpts=0, proto=ESMTP, daemon=MTA-v4, relay=[192.168.1.45]": {
                "client_ip": "192.168.1.45",
                "client_name": None,
                "host": "robin",
            },
            "Nov 26 10:00:04 mx1 sm-mta[3000]: 5AQA04xF003000: from=<site1017@mx1.example>, size=1500, class=0, "
            "nrcpts=1, msgid=<abc@www.blog-kochen.example>, proto=ESMTP, daemon=MTA, relay=localhost [127.0.0.1]": {
                "client_name": "localhost",
                "client_ip": "127.0.0.1",
                "message_id": "abc@www.blog-kochen.example",
            },
            "Nov 26 10:00:04 mx1 sm-mta[3000]: 5AQA04xF003002: from=<>, size=2500, class=0, nrcpts=1, "
            "msgid=<x@y>, proto=ESMTPSA, daemon=MSA, relay=client.example [IPv6:2001:db8::5] (may be forged)": {
                "sender": "",
                "client_ip": "2001:db8::5",
                "proto": "ESMTPSA",
            },
        },
        derive=_arrival,
    ),
    Pattern(
        # srvrsmtp.c logs it with NOQID (no prefix): the session has no queue id before
        # MAIL FROM; the correlator charges the process's next messages to the login
        "sendmail_auth_server",
        "authenticated",
        r"(?:" + QID + r": )?AUTH=server, relay=" + RELAY + r", authid=(?P<sasl_username>[^,]*), "
        r"mech=(?P<sasl_method>[^,\s]+)(?:, bits=\d+)?$",
        {
            "Dec  6 11:43:12 mx sm-mta[29813]: AUTH=server, relay=client.example [198.51.100.7], authid=augie, "
            "mech=PLAIN, bits=0": {
                "client_ip": "198.51.100.7",
                "client_name": "client.example",
                "sasl_username": "augie",
                "sasl_method": "PLAIN",
                "queue_id": None,
                "pid": 29813,
            },
            "Nov 26 10:00:01 mx1 sm-mta[3100]: 5AQA01aa003100: AUTH=server, relay=unknown [198.18.7.7], "
            "authid=info@shop-anna.example, mech=PLAIN, bits=0": {
                "client_ip": "198.18.7.7",
                "sasl_username": "info@shop-anna.example",
                "sasl_method": "PLAIN",
            },
            "Mar  2 08:01:10 mail sendmail[4410]: AUTH=server, relay=dsl-1.isp.example [IPv6:2001:db8::7] "
            "(may be forged), authid=office@shop-anna.example, mech=LOGIN, bits=0": {
                "client_ip": "2001:db8::7",
                "sasl_username": "office@shop-anna.example",
                "sasl_method": "LOGIN",
            },
        },
    ),
    Pattern(
        # Sendmail authenticating as a client to the next hop (a smarthost): the server's
        # own credentials, never a sender's identity, so it is not an `authenticated` event
        "sendmail_auth_client",
        "other",
        r"(?:" + QID + r": )?AUTH=client, (?:relay=(?P<relay>[^,]+), )?"
        r"(?:mech=(?P<sasl_method>[^,\s]+)(?:, bits=\d+)?|.*)$",
        {
            "Dec  6 11:43:20 mx sm-mta[29813]: AUTH=client, relay=smtp.provider.example, mech=PLAIN, bits=0": {
                "relay": "smtp.provider.example",
                "sasl_method": "PLAIN",
                "sasl_username": None,
                "event": "other",
            },
            "Dec  6 11:43:20 mx sm-mta[29830]: wB6AhD1x029813: AUTH=client, relay=[192.0.2.25], mech=LOGIN, "
            "bits=0": {"relay": "[192.0.2.25]", "queue_id": "wB6AhD1x029813", "event": "other"},
            "Dec  6 11:43:20 mx sm-mta[29830]: AUTH=client, available mechanisms do not fulfill requirements": {
                "relay": None,
                "event": "other",
            },
        },
    ),
    Pattern(
        "sendmail_dsn",
        "arrival",
        r"(?P<bounce_of>[0-9A-Za-z]{12,18}): "
        + QID
        + r": (?:DSN|postmaster notify|return to sender): (?P<reason>.*)$",
        {
            "Nov 26 10:00:06 mx1 sm-mta[3003]: 5AQA04xF003000: 5AQA06xF003003: DSN: User unknown": {
                "bounce_of": "5AQA04xF003000",
                "queue_id": "5AQA06xF003003",
                "reason": "User unknown",
                "origin": "bounce",
                "sender": "",
            }
        },
        fixed={"origin": "bounce"},
        derive=_dsn,
    ),
    # --- rejects ------------------------------------------------------------------------
    Pattern(
        "sendmail_ruleset_reject",
        "reject",
        r"(?:"
        + QID
        + r": )?ruleset=(?P<ruleset>\w+), arg1=(?P<arg1>.*?), (?:arg2=(?P<arg2>[^,]*), )?"
        r"relay="
        + RELAY
        + r", reject=(?P<code>\d{3}) (?:(?P<dsn>\d\.\d{1,3}\.\d{1,3}) )?(?P<reason>.*)$",
        {
            "Feb 25 03:01:10 kismet sm-acceptingconnections[27713]: s1P819mk027713: ruleset=check_rcpt, "
            "arg1=<asservnew@freemailhost.ru>, relay=128-68-136-133.broadband.corbina.ru [128.68.136.133], "
            "reject=550 5.7.1 <asservnew@freemailhost.ru>... Relaying denied. Proper authentication required.": {
                "queue_id": "s1P819mk027713",
                "stage": "RCPT",
                "recipient": "asservnew@freemailhost.ru",
                "client_ip": "128.68.136.133",
                "code": 550,
                "dsn": "5.7.1",
                "reason_class": "relay_denied",
                "program": "sm-acceptingconnections",
            },
            "Feb 24 01:46:44 petermurray sm-mta[24422]: ruleset=check_relay, arg1=leased-line-54-82.telecom.by, "
            "arg2=217.21.54.82, relay=leased-line-54-82.telecom.by [217.21.54.82], reject=421 4.3.2 Connection "
            "rate limit exceeded.": {
                "stage": "CONNECT",
                "client_ip": "217.21.54.82",
                "code": 421,
                "reason_class": "policy",
                "queue_id": None,
            },
            "Feb 23 07:57:28 petermurray sm-mta[6519]: s1N7vR47006519: ruleset=check_rcpt, "
            "arg1=<camila.pinto@camilopinto.pt>, relay=[2.180.185.27], reject=553 5.1.8 "
            "<camila.pinto@camilopinto.pt>... Domain of sender address camila.pinto@andrewweitzman.com does not exist": {
                "client_ip": "2.180.185.27",
                "reason_class": "sender_rejected",
            },
            "Nov 26 10:00:00 mx1 sm-mta[3004]: 5AQA00ab003004: ruleset=check_mail, arg1=<x@bad.example>, "
            "relay=[198.18.0.9], reject=451 4.1.8 Domain of sender address x@bad.example does not resolve": {
                "stage": "MAIL",
                "sender": "x@bad.example",
                "recipient": None,
            },
        },
        derive=_ruleset_reject,
    ),
    Pattern(
        "sendmail_rcpt_refused",
        "reject",
        QID + r": <(?P<recipient>[^>]*)>\.\.\. (?P<reason>.*)$",
        {
            "Nov  3 11:35:30 Microsoft sendmail[26254]: rA37ZTSC026250: <arhipov@domain.com>... No such user here": {
                "recipient": "arhipov@domain.com",
                "reason_class": "unknown_recipient",
                "stage": "RCPT",
            },
            "Jun 17 14:37:39 <mail.notice> robin sm-mta[2794]: 55HIbcGI002794: <baduser@yourhost.com>... User unknown": {
                "recipient": "baduser@yourhost.com",
                "reason": "User unknown",
            },
        },
        fixed={"stage": "RCPT"},
    ),
    Pattern(
        "sendmail_milter_reject",
        "reject",
        _QID_OR_NOQUEUE + r"Milter(?: \S+)?: (?P<where>[^,]*), reject=(?P<code>\d{3})"
        r"(?: (?P<dsn>\d\.\d{1,3}\.\d{1,3}))? ?(?P<reason>.*)$",
        {
            "Nov 26 10:00:00 mx1 sm-mta[3005]: 5AQA00ab003005: Milter: data, reject=554 5.7.1 Spam detected": {
                "stage": "DATA",
                "code": 554,
                "reason_class": "milter",
                "reason": "Spam detected",
            }
        },
        fixed={"reason_class": "milter"},
        derive=_milter_reject,
    ),
    Pattern(
        "sendmail_pregreet",
        "reject",
        QID
        + r": rejecting commands from (?:(?P<client_name>\S+) )? ?\[(?:IPv6:)?(?P<client_ip>[^\]]+)\]"
        r"(?: \(may be forged\))? due to (?P<reason>pre-greeting traffic.*)$",
        {
            "Feb 27 10:53:06 batman sm-mta[44307]: s1R9r60D044307: rejecting commands from  [209.15.212.253] "
            "due to pre-greeting traffic after 0 seconds": {
                "client_ip": "209.15.212.253",
                "stage": "CONNECT",
                "reason_class": "policy",
            }
        },
        fixed={"stage": "CONNECT", "reason_class": "policy"},
    ),
    # --- SMTP AUTH ----------------------------------------------------------------------
    Pattern(
        "sendmail_auth_failure",
        "auth_failed",
        QID
        + r": AUTH failure \((?P<sasl_method>[^)]*)\): (?P<reason>.*?)(?:, user=(?P<sasl_username>.*?))?"
        r", relay=" + RELAY + r"$",
        {
            "Feb 25 04:02:27 relay1 sendmail[16664]: 06I02CNi016764: AUTH failure (LOGIN): authentication failure "
            "(-13) SASL(-13): authentication failure: checkpass failed, user=user@example.com, relay=example.com "
            "[192.0.2.3] (may be forged)": {
                "sasl_method": "LOGIN",
                "sasl_username": "user@example.com",
                "client_ip": "192.0.2.3",
                "client_name": "example.com",
            },
            "Feb 25 04:02:28 relay1 sendmail[16665]: 06I02CNi016765: AUTH failure (LOGIN): authentication failure "
            "(-13) SASL(-13): authentication failure: checkpass failed, user=criminal, relay=[192.0.2.100], "
            "relay=[192.0.2.4] (may be forged)": {"client_ip": "192.0.2.4"},
            "May 29 23:14:05 server sendmail[25411]: 26H8MRrS025411: AUTH failure (LOGIN): authentication "
            "failure (-13) SASL(-13): authentication failure: checkpass failed, relay=[192.0.2.9]": {
                "client_ip": "192.0.2.9",
                "sasl_username": None,
            },
        },
    ),
    Pattern(
        "sendmail_auth_attack",
        "auth_failed",
        QID
        + r": "
        + RELAY
        + r": (?P<reason>possible SMTP attack: command=AUTH, count=(?P<count>\d+))$",
        {
            "Feb 16 23:33:20 smtp1 sm-mta[5133]: s1GNXHYB005133: [190.5.230.178]: possible SMTP attack: "
            "command=AUTH, count=5": {"client_ip": "190.5.230.178", "count": "5"},
            "Feb 24 13:00:17 kismet sm-acceptingconnections[1499]: s1OHxxSn001499: 192.241.70.95.dsl.static."
            "turk.net [95.70.241.192] (may be forged): possible SMTP attack: command=AUTH, count=6": {
                "client_ip": "95.70.241.192"
            },
        },
        fixed={"summary": True},
    ),
    # --- session notices with the client ----------------------------------------------
    Pattern(
        "sendmail_session_notice",
        "other",  # (tls.c logs STARTTLS with NOQID: no prefix)
        r"(?:"
        + _QID_OR_NOQUEUE
        + r")?(?:(?:lost input channel|timeout waiting for input|connect) from |"
        r"STARTTLS=server, relay=)?"
        + RELAY
        + r"(?::? (?:did not issue MAIL/EXPN/VRFY/ETRN during connection to \S+|"
        r"possible SMTP attack: command=(?!AUTH,).*|(?:EXPN|VRFY|expn|vrfy) .* \[rejected\]|"
        r"to \S+ after \w+|during .*)|, .*)?$",
        {
            "Mar  6 16:55:28 s192-168-0-1 sm-mta[20949]: v26LtRA0020949: some-host-24.example.org [192.0.2.194] "
            "did not issue MAIL/EXPN/VRFY/ETRN during connection to MTA": {
                "client_ip": "192.0.2.194"
            },
            "Mar 29 22:51:46 server sm-mta[50438]: 06QDQnNf050438: example.com [IPv6:2001:DB8::1] did not issue "
            "MAIL/EXPN/VRFY/ETRN during connection to IPv6": {"client_ip": "2001:DB8::1"},
            "Jul 31 13:03:43 <mail.notice> alarmpi sm-mta[24291]: 56VFYCxS024291: lost input channel from "
            "mail.aqicn.org [139.162.120.196] to MTA-v4 after rcpt": {
                "client_ip": "139.162.120.196"
            },
            "Feb 23 21:18:47 batman sm-mta[93301]: s1NKIkZa093301: [76.72.174.70]: EXPN root [rejected]": {
                "client_ip": "76.72.174.70"
            },
            "Nov 26 10:00:01 mx1 sm-mta[3100]: 5AQA01aa003100: STARTTLS=server, relay=unknown [198.18.7.7], "
            "version=TLSv1.3, verify=NO, cipher=TLS_AES_256_GCM_SHA384, bits=256/256": {
                "client_ip": "198.18.7.7"
            },
            "Dec  6 11:43:11 mx sm-mta[29813]: STARTTLS=server, relay=client.example [198.51.100.7], "
            "version=TLSv1.3, verify=NO, cipher=TLS_AES_256_GCM_SHA384, bits=256/256": {
                "client_ip": "198.51.100.7",
                "queue_id": None,
            },
        },
    ),
    Pattern(
        "sendmail_chatter",
        "other",
        r"(?:(?:[0-9A-Za-z]{12,18}|NOQUEUE): )?(?!.*(?:AUTH|authenticat|[Rr]elaying))"
        r"(?:STARTTLS=client.*|SYSERR.*|starting daemon .*|"
        r"\S+: \d+ aliases, longest .*|alias database .*|gethostbyaddr.*|"
        r"My unqualified host name .*|unable to qualify my own domain name.*|"
        r"(?:rejecting|accepting) connections .*|grew WorkList .*|runqueue: .*|"
        r"[0-9A-Za-z]{12,18}: (?:sender notify|clone|return to sender).*|"
        r"(?:sender notify|clone|done|Milter(?: \S+)?|milter|collect|timeout|"
        r"Authentication-Warning|savemail|queueup|SMTP outgoing connect)\b.*|Losing .*)$",
        {
            "Nov 26 00:00:00 mx1 sm-mta[2000]: starting daemon (8.17.1): SMTP+queueing@00:10:00": {},
            "Nov 26 10:00:05 mx1 sm-mta[3001]: 5AQA04xF003000: Milter add: header: X-Spam-Status: No": {},
        },
        fallback=True,
    ),
)
