"""Sendmail's message lines: deliveries (`to=`), arrivals (`from=`) and DSNs (bounces)."""

from __future__ import annotations

from ..base import Pattern
from .common import _ANGLE, QID, RELAY, _address


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


def _dsn(event: dict) -> None:
    event["sender"] = ""
    event["nrcpt"] = 1


MESSAGES = (
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
)

BOUNCES = (
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
)
