"""Exim's message lines: arrivals (`<=`), deliveries (`=>`, `->`, `*>`, `>>`, `**`, `==`),
`Completed`, and the working directory of a local submission (`cwd=`).
"""

from __future__ import annotations

import re

from ..base import Pattern
from .common import HOST, ID, TOKEN


def _recipients(event: dict) -> None:
    """`for a@b c@d` (+received_recipients) -> recipients list and nrcpt."""
    if event["sender"] == "<>":
        event["sender"] = ""
    text = event.pop("recipients", None)
    if text:
        rcpts = text.split()
        event["recipients"] = rcpts
        event["nrcpt"] = len(rcpts)
    if event.get("subject"):
        event["subject"] = event["subject"].replace('\\"', '"').replace("\\\\", "\\")
    if event.get("size") is None:
        event.pop("size", None)


def _delivery(event: dict) -> None:
    """Address forms -> recipient / orig_recipient; `H=` -> relay and the agent kind;
    the flag -> status."""
    flag = event.pop("flag")
    address, parent = event.pop("address"), event.pop("parent", None)
    if "@" in address and not address.startswith(("|", "/", ">")) and address[:1] != ">":
        event["recipient"] = address.lstrip("<").rstrip(">")
        event["orig_recipient"] = parent if parent and parent != address else None
    else:  # `=> userx <userx@test.ex>`, `=> :blackhole: <x@y>`, `=> |/bin/prog <x@y>`
        event["recipient"] = parent or address
        event["orig_recipient"] = None
    event["status"] = _STATUS[flag]
    ip = event.pop("relay_ip", None)
    if ip is not None:
        name = event.pop("relay_name", None) or ""
        port = event.pop("relay_port", None)
        event["relay"] = f"{name}[{ip}]" + (f":{port}" if port else "")
        event["agent"] = "local" if ip.startswith("127.") or ip == "::1" else "smtp"
    else:
        event.pop("relay_name", None), event.pop("relay_port", None)
        transport = event.get("transport")
        event["relay"] = transport or ("local" if flag != "**" else None)
        event["agent"] = "local" if flag in ("=>", "->", "*>", ">>") else None
    response = event.get("response")
    if response:
        event["response"] = response.replace('\\"', '"')
        m = _DSN.search(response)
        if m:
            event["dsn"] = m[1]


# `>>`: a cutthrough delivery (relayed while the message was being received)
_STATUS = {
    "=>": "sent",
    "->": "sent",
    ">>": "sent",
    "*>": "suppressed",
    "**": "bounced",
    "==": "deferred",
}
_DSN = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")


ARRIVALS = (
    Pattern(
        "exim_arrival",
        "arrival",
        ID + r" <= (?P<sender><>|\S*)"
        r"(?: R=(?P<bounce_of>\S+))?"
        r"(?: H=" + HOST + r")?"
        r"(?: U=(?P<user>\S+))?"
        # between the selectors the tables use, any others are stepped over; the loops are
        # possessive (they cannot eat the selector that follows them): no backtracking
        r"(?: (?!P=)" + TOKEN + r")*+ P=(?P<proto>\S+)"
        r"(?: (?!A=|S=)"
        + TOKEN
        + r")*+(?: A=(?P<sasl_method>[^\s:]+)(?::(?P<sasl_username>\S+))?)?"
        r"(?: (?!S=)" + TOKEN + r")*+ S=(?:(?P<size>\d+)|\S*)"
        r"(?: (?!id=|T=|from <|for )" + TOKEN + r")*+(?: id=(?P<message_id>\S*))?"
        r"(?: (?!T=|from <|for )" + TOKEN + r')*+(?: T="(?P<subject>[^"\\]*+(?:\\.[^"\\]*+)*+)")?'
        r"(?: (?!from <|for )" + TOKEN + r")*+(?: from <(?P<header_from>[^>]*)>)?"
        r"(?: (?!for )" + TOKEN + r")*+(?: for (?P<recipients>.+))?$",
        {
            "2006-04-27 17:54:51 1FZ9lT-000707-O2 <= bob@barfoo.com H=someisp.com ([192.168.254.2]) "
            '[11.22.33.44] P=esmtpa A=fixed_plain:bob@barfoo.com S=715 id=ABCDEFG T="Buy Me!"': {
                "queue_id": "1FZ9lT-000707-O2",
                "sender": "bob@barfoo.com",
                "client_name": "someisp.com",
                "helo": "[192.168.254.2]",
                "client_ip": "11.22.33.44",
                "proto": "esmtpa",
                "sasl_method": "fixed_plain",
                "sasl_username": "bob@barfoo.com",
                "size": 715,
                "message_id": "ABCDEFG",
                "subject": "Buy Me!",
                "program": "exim",
                "host": "mx1",
            },
            '2006-04-27 17:43:41 1FZ8zt-0005lz-E7 <= bob@barfoo.com U=nobody P=local S=4001 T="Buy Me!"': {
                "user": "nobody",
                "proto": "local",
                "size": 4001,
                "client_ip": None,
            },
            "2026-11-26 09:00:01 [2212] 1vAbCd-00000X-Q1 <= info@shop-anna.example H=(laptop) "
            "[198.18.4.7]:50122 I=[10.0.0.1]:587 Ci=2212 P=esmtpsa X=TLS1.3:TLS_AES_256_GCM_SHA384:256 "
            "CV=no SNI=mx1.example A=dovecot_login:info@shop-anna.example S=2048 "
            'id=abc@shop-anna.example T="Re: \\"Angebot\\" for you" from <info@shop-anna.example> '
            "for a@gmail.example b@web.example": {
                "pid": 2212,
                "client_ip": "198.18.4.7",
                "client_port": 50122,
                "helo": "laptop",
                "client_name": None,
                "sasl_username": "info@shop-anna.example",
                "size": 2048,
                "subject": 'Re: "Angebot" for you',
                "nrcpt": 2,
                "recipients": ["a@gmail.example", "b@web.example"],
            },
            "1999-03-02 09:44:33 10HmaX-000000005vi-0000 <= <> R=10HmaW-000000005vi-0000 U=EXIMUSER "
            "P=local S=sss": {
                "sender": "",
                "bounce_of": "10HmaW-000000005vi-0000",
                "user": "EXIMUSER",
                "queue_id": "10HmaX-000000005vi-0000",
            },
            "1999-03-02 09:44:33 10HmaX-000000005vi-0000 <= CALLER@myhost.test.ex H=[127.0.0.1] "
            "P=smtp K S=sss for CALLER@test.ex": {
                "client_ip": "127.0.0.1",
                "proto": "smtp",
                "nrcpt": 1,
            },
            "2013-06-10 10:00:00 1Um6Xk-0001aB-Cd <= x@example.org H=mx.example.org [192.0.2.4] "
            'P=esmtps X=TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256 CV=no DN="/CN=mx.example.org" '
            "S=5000 id=1@x": {"client_name": "mx.example.org", "size": 5000, "message_id": "1@x"},
        },
        derive=_recipients,
    ),
)

DELIVERIES = (
    Pattern(
        "exim_delivery",
        "delivery",
        ID
        + r" (?P<flag>=>|->|\*>|>>) (?P<address>:blackhole:|>?[^\s<>]+|<[^>]*>)(?: <(?P<parent>[^>]*)>)?"
        r"(?: (?!T=|H=|C=)" + TOKEN + r")*+(?: T=(?P<transport>\S+))?"
        r"(?: (?!H=|C=)"
        + TOKEN
        + r")*+(?: H=(?:(?P<relay_name>[^\s\[\]]+) )?\[(?P<relay_ip>[^\]\s]+)\]"
        r"(?::(?P<relay_port>\w+))?\*?)?"
        r"(?: (?!C=)" + TOKEN + r')*+(?: C="(?P<response>[^"\\]*+(?:\\.[^"\\]*+)*+)")?'
        r"(?: " + TOKEN + r")*+$",
        {
            "2026-11-26 09:00:03 1vAbCd-00000X-Q1 => a@gmail.example R=dnslookup T=remote_smtp "
            "H=gmail-smtp-in.l.google.example [198.51.100.27]:25 X=TLS1.3:TLS_AES_256_GCM_SHA384:256 "
            'CV=yes C="250 2.0.0 OK 1700000000 x1si - gsmtp" QT=2s DT=1s': {
                "recipient": "a@gmail.example",
                "status": "sent",
                "transport": "remote_smtp",
                "relay": "gmail-smtp-in.l.google.example[198.51.100.27]:25",
                "agent": "smtp",
                "response": "250 2.0.0 OK 1700000000 x1si - gsmtp",
                "dsn": "2.0.0",
                "recipient_domain": "gmail.example",
            },
            "1999-03-02 09:44:33 10HmaX-000000005vi-0000 => userx <userx@test.ex> R=localuser T=local_delivery": {
                "recipient": "userx@test.ex",
                "relay": "local_delivery",
                "agent": "local",
                "status": "sent",
            },
            "1999-03-02 09:44:33 10HmaX-000000005vi-0000 -> b@test.ex R=x T=smtp H=127.0.0.1 [127.0.0.1]:1225": {
                "recipient": "b@test.ex",
                "status": "sent",
                "relay": "127.0.0.1[127.0.0.1]:1225",
                "agent": "local",
            },
            "1999-03-02 09:44:33 10HmaX-000000005vi-0000 => :blackhole: <blackhole@the.local.host.name> R=system_aliases": {
                "recipient": "blackhole@the.local.host.name",
                "relay": "local",
            },
            "2026-11-26 09:00:03 1vAbCd-00000X-Q2 => anna <info@shop-anna.example> R=virtual_user "
            "T=virtual_userdelivery": {
                "recipient": "info@shop-anna.example",
                "orig_recipient": None,
                "relay": "virtual_userdelivery",
            },
            "2026-11-26 09:00:03 1vAbCd-00000X-Q3 => jack@x.example <info@hosted.example> R=fwd T=remote_smtp "
            "H=mx.x.example [192.0.2.8]": {
                "recipient": "jack@x.example",
                "orig_recipient": "info@hosted.example",
            },
            "1999-03-02 09:44:33 10HmaX-000000005vi-0000 *> userx@test.ex R=r1 T=t1": {
                "status": "suppressed"
            },
        },
        derive=_delivery,
    ),
    Pattern(
        "exim_delivery_failed",
        "delivery",
        ID
        + r" (?P<flag>\*\*|==) (?P<address>:blackhole:|>?[^\s<>]+?|<[^>]*>)(?: <(?P<parent>[^>]*)>)?"
        r"(?:(?: (?!T=|H=|defer )" + TOKEN + r")*? T=(?P<transport>[^\s:]+))?"
        r"(?: (?!H=|defer |\w+=\S*:)" + TOKEN + r")*?"
        r"(?: (?:routing )?defer \((?P<errno>[^)\s]*)\))?"
        r"(?: H=(?:(?P<relay_name>[^\s\[\]]+) )?\[(?P<relay_ip>[^\]\s]+)\](?::(?P<relay_port>\w+))?\*?)?"
        r"(?: [^\s=]+=\S*?)*?(?: ?:(?: (?P<response>.*))?)?$",
        {
            "2026-11-26 09:00:03 1vAbCd-00000X-Q1 ** x@nowhere.example R=dnslookup T=remote_smtp "
            "H=mx.nowhere.example [192.0.2.9]: SMTP error from remote mail server after RCPT TO:<x@nowhere.example>: "
            "550 5.1.1 <x@nowhere.example>: Recipient address rejected: User unknown": {
                "status": "bounced",
                "recipient": "x@nowhere.example",
                "dsn": "5.1.1",
                "relay": "mx.nowhere.example[192.0.2.9]",
                "transport": "remote_smtp",
            },
            "1999-03-02 09:44:33 10HmaX-000000005vi-0000 ** userx@test.ex: Unrouteable address": {
                "status": "bounced",
                "recipient": "userx@test.ex",
                "response": "Unrouteable address",
                "relay": None,
            },
            "2026-11-26 09:00:03 1vAbCd-00000X-Q1 == x@nowhere.example R=dnslookup T=remote_smtp defer (110): "
            "Connection timed out": {
                "status": "deferred",
                "errno": "110",
                "response": "Connection timed out",
                "relay": "remote_smtp",
            },
            "2026-11-26 09:00:03 1vAbCd-00000X-Q1 == x@y.example R=dnslookup T=remote_smtp defer (-44) "
            "H=mx.y.example [192.0.2.10]: SMTP error from remote mail server after RCPT TO:<x@y.example>: "
            "451 4.7.1 Greylisted": {
                "status": "deferred",
                "dsn": "4.7.1",
                "relay": "mx.y.example[192.0.2.10]",
            },
            "1999-03-02 09:44:33 10HmaX-000000005vi-0000 == userx@test.ex routing defer (-51): retry time not reached": {
                "status": "deferred",
                "errno": "-51",
            },
            "1999-03-02 09:44:33 10HmaX-000000005vi-0000 ** |TESTSUITE/aux-fixed/showenv <userx@test.ex> "
            "R=r2 T=t2: Child process of t2 transport returned 127 (could mean unable to exec or command "
            "does not exist) from command: /non/existent/file": {
                "recipient": "userx@test.ex",
                "status": "bounced",
            },
        },
        derive=_delivery,
    ),
    Pattern(
        "exim_completed",
        "removed",
        ID + r" (?:Completed|removed by \S+|cancelled by \S+)(?: QT=\S+)?$",
        {
            "1999-03-02 09:44:33 10HmaX-000000005vi-0000 Completed": {
                "queue_id": "10HmaX-000000005vi-0000"
            },
            "2026-11-26 09:00:04 [2213] 1vAbCd-00000X-Q1 Completed QT=3s": {
                "queue_id": "1vAbCd-00000X-Q1",
                "pid": 2213,
            },
            "1999-03-02 09:44:33 10HmaY-000000005vi-0000 removed by CALLER": {
                "queue_id": "10HmaY-000000005vi-0000"
            },
        },
    ),
)

LOCAL_SUBMISSION = (
    Pattern(
        "exim_cwd",
        "cwd",
        r"cwd=(?P<script_path>.*?) (?P<argc>\d+) args: (?P<args>.*?)"
        r"(?: -M[c] " + ID + r")?$",
        {
            "2006-04-27 17:43:50 cwd=/home/ClientX/public_html/phpBB/ 5 args: /usr/sbin/exim -Mc 1FZ8zt-0005lz-E7": {
                "script_path": "/home/ClientX/public_html/phpBB/",
                "queue_id": "1FZ8zt-0005lz-E7",
            },
            "2026-11-26 09:00:00 cwd=/home/site1003/public_html 3 args: /usr/sbin/sendmail -t -i": {
                "script_path": "/home/site1003/public_html",
                "queue_id": None,
                "args": "/usr/sbin/sendmail -t -i",
            },
        },
    ),
)
