"""Exim main-log and reject-log message types.

Applies to Exim's own log files (`2013-06-10 18:33:32 [10099] ...`: the envelope reader
strips the timestamp and the optional `[pid]`) and to the same messages under a syslog
prefix with program `exim`, `exim4` or `exim4-daemon-*` (where Exim may still put its own
timestamp and `[pid]` in front of the message: `events._EximRoute` strips them).

Exim writes selectors (`H=`, `U=`, `P=`, `A=`, `S=`, `I=`, `Ci=`, `CV=`, `SNI=`, `X=`,
`K`, ...) in a fixed order that depends on `log_selector` and the version; the arrival and
delivery patterns name the ones the tables use and step over any other `name=value`.
Message ids: `1FZ9lT-000707-O2` (before 4.97) and `10HmaX-000000005vi-0000` (4.97+).
"""

from __future__ import annotations

import re

from .base import Pattern

ID = r"(?P<queue_id>[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4})"
# H=name (helo) [ip]:port -- name and helo are each optional
HOST = (
    r"(?:(?P<client_name>[^\s\[\]()]+) )?(?:\((?P<helo>[^)]*)\) )?"
    r"\[(?P<client_ip>[^\]\s]+)\](?::(?P<client_port>\d+))?"
)
# one selector or word: name="quoted value", name=value, or a bare word such as `K`
TOKEN = r'(?:\w++="[^"\\]*+(?:\\.[^"\\]*+)*+"|\S++)'


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

_STAGES: dict[str, str] = {}
_HELLO_FROM = re.compile(HOST)


def _reject(event: dict) -> None:
    """`rejected RCPT <x>` / `rejected after DATA` / `rejected EHLO from H` -> stage,
    recipient or sender; `temporarily rejected` keeps the 4xx sense in `action`."""
    target = event.pop("target", None)
    bare = event.pop("bare", None)
    target = target if target is not None else bare
    stage = event.pop("stage", None)
    after = event.pop("after", None)
    hello_from = event.pop("hello_from", None)
    client_from = event.pop("client_from", None)
    if stage:
        event["stage"] = _STAGES.get(stage, stage)
        if stage == "RCPT":
            event["recipient"] = target
        elif stage == "MAIL" and event.get("sender") is None and target is not None:
            event["sender"] = target.strip("<>")
    elif after or event.pop("data_acl", None):
        event["stage"] = "DATA"
    elif event.pop("connection", None):
        event["stage"] = "CONNECT"
    if event.pop("hello", None):
        event["stage"] = "HELO"
    if hello_from is not None or client_from is not None:
        m = _HELLO_FROM.search(hello_from or client_from)
        if m and event.get("client_ip") is None:
            event.update({k: v for k, v in m.groupdict().items() if v is not None})
            if event.get("client_port"):
                event["client_port"] = int(event["client_port"])
    if event.pop("temporarily", None):
        event["action"] = "defer"


def _from_ip(event: dict) -> None:
    ip = event.pop("from_ip", None)
    if ip is not None:
        event["client_ip"] = ip


# `rejected EHLO from (helo) [ip]:port`, `rejected HELO from CALLER`
_FROM_HOST = r"(?:[^\s()\[\]]+ )?(?:\([^)]*\) )?\[[^\]]*\](?::\d+)?|[^:\s]+"

# selectors that may sit anywhere before `rejected` / in a warning. A generic selector is
# `[^\s=]+=\S*`, never `\S+=\S*`: that one splits a long run of `=` (the client chooses
# HELO arguments and addresses) between name and value in n ways per step, and a line
# that then fails to match takes hours (tests/parse/test_fuzz.py)
_SEL_HOST = r"(?:^| )H=" + HOST
_SEL_SENDER = r"(?:^| )F=<?(?P<sender>[^\s>]*)>?(?: |$)"
_SEL_AUTH = r"(?:^| )A=[^\s:]+:(?P<sasl_username>\S+)"
_SEL_PROTO = r"(?:^| )P=(?P<proto>\S+)"

PATTERNS = (
    # --- arrivals (`<=`), most frequent first -------------------------------------------
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
    # --- deliveries ---------------------------------------------------------------------
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
    # --- local submission: the process's working directory ----------------------------
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
    # --- rejects ------------------------------------------------------------------------
    Pattern(
        "exim_rejected",
        "reject",
        r"(?:"
        + ID
        + r" )?(?!SMTP protocol|too many )(?:\S+ )*?(?P<temporarily>temporarily )?rejected "
        r"(?:(?P<hello>EHLO or HELO|EHLO|HELO)(?: from (?P<hello_from>"
        + _FROM_HOST
        + r")|(?: \S+)?)"
        r"|(?P<stage>[A-Z][A-Z-]{2,})(?: from (?P<client_from>"
        + _FROM_HOST
        + r")| (?:FROM:|TO:)?(?:<(?P<target>[^>]*)>|(?P<bare>[^\s:]+)))?"
        r"|(?P<after>(?:after|during) (?:DATA|DKIM|MIME|PRDR|[A-Z]+)\S*(?: ACL checks)?)"
        r"|(?P<data_acl>by local_scan\(\)|by non-SMTP ACL|by the local_scan\(\) function|from <[^>]*>)"
        r"|(?P<connection>connection(?: in \"\w+\" ACL)?))"
        r"(?: H="
        + HOST.replace("?P<client_name>", "?:")
        .replace("?P<helo>", "?:")
        .replace("?P<client_ip>", "?:")
        .replace("?P<client_port>", "?:")
        + r"| [^\s=]+=\S*)*(?:: (?P<reason>.*))?$",
        {
            "2013-06-10 18:33:32 [10099] H=(yakult.com.tw) [202.132.70.178]:3755 I=[1.2.3.4]:25 "
            "F=menacedsj04@listserv.eurasia.org rejected RCPT dir@ml3.ru: relay not permitted": {
                "client_ip": "202.132.70.178",
                "client_port": 3755,
                "helo": "yakult.com.tw",
                "stage": "RCPT",
                "sender": "menacedsj04@listserv.eurasia.org",
                "recipient": "dir@ml3.ru",
                "reason": "relay not permitted",
                "reason_class": "relay_denied",
                "pid": 10099,
            },
            "2024-03-21 09:18:51 H=m05.horp.tld [9.12.1.21]:43030 I=[194.169.175.2]:25 Ci=7326 CV=no "
            "SNI=mail.leone.tld F=<user@example.tld> rejected RCPT <locus@leone.tld>: relay not permitted": {
                "client_name": "m05.horp.tld",
                "client_ip": "9.12.1.21",
                "sender": "user@example.tld",
                "recipient": "locus@leone.tld",
                "reason_class": "relay_denied",
            },
            "2013-06-15 11:20:36 [2516] 1Unmew-0000ea-SE H=egeftech.static.otenet.gr [83.235.177.148]:32706 "
            "I=[1.2.3.4]:25 F=auguriesvbd40@google.com rejected after DATA: This message contains a virus "
            "(Sanesecurity.Junk.39934.UNOFFICIAL).": {
                "queue_id": "1Unmew-0000ea-SE",
                "stage": "DATA",
                "client_ip": "83.235.177.148",
            },
            "2004-01-18 07:15:35 1Ai79e-0000Dq-8i F=uzwltcmwto24@melissacam.biz H=lsanca1-ar3-4-47-028-040."
            "lsanca1.elnk.dsl.genuity.net [4.47.28.40] P=smtp rejected by local_scan(): Rejected: hits=7.5": {
                "client_ip": "4.47.28.40",
                "stage": "DATA",
                "proto": "smtp",
                "sender": "uzwltcmwto24@melissacam.biz",
            },
            "1999-03-02 09:44:33 rejected HELO from CALLER: syntactically invalid argument(s): !@#$%^&*(": {
                "stage": "HELO",
                "client_ip": None,
            },
            "1999-03-02 09:44:33 rejected EHLO from (x) [10.0.0.2]: syntactically invalid argument(s)": {
                "stage": "HELO",
                "client_ip": "10.0.0.2",
            },
            "1999-03-02 09:44:33 U=CALLER F=<x@y> rejected RCPT <a@b>": {
                "stage": "RCPT",
                "recipient": "a@b",
                "sender": "x@y",
                "reason_class": "other",
            },
            "1999-03-02 09:44:33 H=(test) [10.0.0.1] F=<x@y> temporarily rejected RCPT <a@b>: greylisted": {
                "action": "defer",
                "reason_class": "policy",
            },
            '1999-03-02 09:44:33 H=[10.0.0.1] rejected connection in "connect" ACL: host banned': {
                "stage": "CONNECT",
                "client_ip": "10.0.0.1",
            },
            "2013-06-15 16:36:49 H=altmx.marsukov.com [111.67.203.116] F=<kadrofutcheti@mail.ru> rejected "
            "RCPT <oksana@birzhatm.ua>: Unknown user": {"reason_class": "unknown_recipient"},
            "1999-03-02 09:44:33 H=(test) [10.0.0.1] A=plain:userx F=<x@y> rejected MAIL <x@y>: bad sender": {
                "stage": "MAIL",
                "sasl_username": "userx",
                "sender": "x@y",
            },
            "1999-03-02 09:44:33 rejected MAIL FROM:<userx@test.ex> U=CALLER: message too big: size=10 max=1": {
                "stage": "MAIL",
                "sender": "userx@test.ex",
                "reason": "message too big: size=10 max=1",
                "reason_class": "policy",
            },
            "1999-03-02 09:44:33 H=(foobar) [127.0.0.1] rejected AUTH plain: STARTTLS required": {
                "stage": "AUTH",
                "client_ip": "127.0.0.1",
                "reason": "STARTTLS required",
            },
            "1999-03-02 09:44:33 H=(x.y.z) [10.9.8.10] U=CALLER rejected EHLO or HELO x.y.z: bad": {
                "stage": "HELO",
                "client_ip": "10.9.8.10",
                "reason": "bad",
            },
            '1999-03-02 09:44:33 U=CALLER F=<> temporarily rejected RCPT <"deny verify = junk"@test.ex>: x': {
                "stage": "RCPT",
                "recipient": '"deny verify = junk"@test.ex',
                "action": "defer",
            },
            "1999-03-02 09:44:33 rejected from <someone@some.domain> H=(tester) [127.0.0.1]: Non-CRLF-terminated": {
                "stage": "DATA",
                "client_ip": "127.0.0.1",
                "reason": "Non-CRLF-terminated",
            },
            "1999-03-02 09:44:33 rejected MAIL from [127.0.0.1]: no HELO/EHLO given": {
                "stage": "MAIL",
                "client_ip": "127.0.0.1",
                "sender": None,
            },
            "1999-03-02 09:44:33 10HmaX-000000005vi-0000 rejected from <x@y> U=CALLER: message too big: read=501": {
                "stage": "DATA",
                "queue_id": "10HmaX-000000005vi-0000",
            },
        },
        extra=(_SEL_HOST, _SEL_SENDER, _SEL_AUTH, _SEL_PROTO),
        derive=_reject,
    ),
    Pattern(
        "exim_dropped_by_acl",
        "reject",
        r"H=" + HOST + r"(?: \S+)*? dropped by '(?P<acl>\w+)' ACL(?:: (?P<reason>.*))?$",
        {
            "2022-04-03 21:53:54 H=[192.0.2.101]:62839 dropped by 'connect' ACL: Country is banned": {
                "client_ip": "192.0.2.101",
                "stage": "CONNECT",
                "reason": "Country is banned",
            }
        },
        fixed={"stage": "CONNECT"},
    ),
    Pattern(
        "exim_too_many_recipients",
        "reject",
        r"too many recipients(?: in one message)?: excess (?:temporarily )?rejected: sender=<(?P<sender>[^>]*)>"
        r"(?: H=" + HOST + r")?.*$",
        {
            "1999-03-02 09:44:33 too many recipients: excess temporarily rejected: sender=<x@y> U=CALLER": {
                "sender": "x@y",
                "reason_class": "policy",
                "stage": "RCPT",
            }
        },
        fixed={"stage": "RCPT", "reason_class": "policy", "reason": "too many recipients"},
    ),
    Pattern(
        "exim_local_scan_failed",
        "reject",
        ID
        + r" (?P<reason>local_scan\(\) function (?:timed out|crashed).*) - message temporarily rejected.*$",
        {
            "1999-03-02 09:44:33 10HmbH-0005vi-00 local_scan() function timed out - message temporarily rejected": {
                "stage": "DATA",
                "queue_id": "10HmbH-0005vi-00",
                "action": "defer",
            }
        },
        fixed={"stage": "DATA", "action": "defer"},
    ),
    Pattern(
        "exim_refused_connection",
        "reject",
        r"refused connection from " + HOST + r"(?: \((?P<reason>[^)]*)\))?.*$",
        {
            "1999-03-02 09:44:33 refused connection from [127.0.0.1] (host_reject_connection)": {
                "client_ip": "127.0.0.1",
                "stage": "CONNECT",
                "reason": "host_reject_connection",
            }
        },
        fixed={"stage": "CONNECT"},
    ),
    # --- SMTP AUTH ----------------------------------------------------------------------
    Pattern(
        "exim_auth_failed",
        "auth_failed",
        r"(?:(?P<sasl_method>\S+) )?authenticator failed for (?:(?:H=)?" + HOST + r")?"
        r"(?: ?I=\S+)?(?: ?U=[^\s:]+)?(?: ?Ci=\w+)? ?: (?P<code>\d{3}) (?P<reason>.*?)"
        r"(?: \(set_id=(?P<sasl_username>[^)]*)\))?(?:: .*)?$",
        {
            "2013-01-04 17:03:46 login authenticator failed for rrcs-24-106-174-74.se.biz.rr.com "
            "([192.168.2.33]) [24.106.174.74]: 535 Incorrect authentication data (set_id=brian)": {
                "sasl_method": "login",
                "client_ip": "24.106.174.74",
                "sasl_username": "brian",
                "client_name": "rrcs-24-106-174-74.se.biz.rr.com",
                "reason": "Incorrect authentication data",
                "code": 535,
            },
            "2024-03-21 19:26:06 dovecot_login authenticator failed for (User) [194.169.175.1]:21298 "
            "I=[22.33.44.55]:465 Ci=30416: 535 Incorrect authentication data (set_id=uaf589@example.com)": {
                "client_ip": "194.169.175.1",
                "client_port": 21298,
                "sasl_username": "uaf589@example.com",
                "helo": "User",
                "client_name": None,
            },
            "2013-06-12 03:57:58 login authenticator failed for (ylmf-pc) [120.196.140.45]: 535 Incorrect "
            "authentication data: 1 Time(s)": {
                "client_ip": "120.196.140.45",
                "sasl_username": None,
            },
            "1999-03-02 09:44:33 expanded_prompt_plain authenticator failed for (test.host) [10.0.0.1] U=CALLER: "
            "535 Incorrect authentication data (set_id=userx)": {"sasl_username": "userx"},
            "1999-03-02 09:44:33 defer authenticator failed for H=(test.host) [10.0.0.1] U=CALLER: 435 Unable to "
            "authenticate at present (set_id=userx): account suspended": {
                "sasl_username": "userx",
                "code": 435,
                "reason": "Unable to authenticate at present",
            },
            "1999-03-02 09:44:33 plain1 authenticator failed for U=CALLER: 535 Incorrect authentication data": {
                "client_ip": None,
                "sasl_method": "plain1",
            },
        },
    ),
    Pattern(
        "exim_client_auth_failed",
        "other",
        # Exim as a client, failing to authenticate to the next hop (not an attack on us)
        ID + r" \S+ authenticator (?:failed|cancelled authentication) H=\S+ \[[^\]]*\].*$",
        {
            "1999-03-02 09:44:33 10HmaZ-000000005vi-0000 plain authenticator failed H=127.0.0.1 [127.0.0.1] "
            "535 Incorrect authentication data": {"queue_id": "10HmaZ-000000005vi-0000"}
        },
    ),
    Pattern(
        "exim_auth_ignored",
        "other",
        r"ignoring AUTH=\S* from (?:H=" + HOST + r" )?(?:U=\S+ )?\(.*\)$",
        {"1999-03-02 09:44:33 ignoring AUTH=x@y from U=CALLER (client not authenticated)": {}},
    ),
    Pattern(
        "exim_auth_protocol",
        "other",
        # the last H= is the client: a quoted command may itself contain `H=` (injection)
        r"SMTP protocol error in \"(?P<command>.*)\" (?:.* )?H="
        + HOST
        + r"(?: [^\s=]+=\S*)*(?: (?P<reason>.*))?$",
        {
            '2016-03-18 00:34:06 [7513] SMTP protocol error in "AUTH LOGIN" H=(ylmf-pc) [45.32.34.167]:60723 '
            "I=[172.89.0.6]:587 AUTH command used when not advertised": {
                "client_ip": "45.32.34.167",
                "command": "AUTH LOGIN",
                "reason": "AUTH command used when not advertised",
            },
            '2017-11-28 14:14:32 SMTP protocol error in "aUtH lOgIn" H=(test) [8.8.8.8]" H=(roxzgj) '
            "[192.0.2.6] AUTH command used when not advertised": {"client_ip": "192.0.2.6"},
        },
    ),
    # --- SMTP sessions and their troubles (with the client) ------------------------------
    Pattern(
        "exim_smtp_notice",
        "other",
        r"(?:" + ID + r" )?(?:SMTP connection (?:Ci=\S+ )?from |no MAIL in SMTP connection from |"
        r"(?:overlong|ridiculously long) message header (?:line )?received from |VRFY failed for \S+ |"
        r"SMTP protocol error in \"[^\"]*\" (?=U=)|"
        r"SMTP command timeout on (?:TLS )?connection from |"
        r"SMTP data timeout \(message abandoned\) on connection from |"
        r"unexpected disconnection while reading SMTP command from |TLS error on connection from |"
        r"SMTP call from |SMTP syntax error in \"[^\"]*\" |"
        r"SMTP protocol synchronization error \([^)]*\): rejected (?:connection from |\"[^\"]*\" ))"
        r"(?:(?:H=)?" + HOST + r"|U=\S+|[\w.-]+(?: \([^)]*\))?)(?:[ :].*)?$",
        {
            "2016-03-21 06:57:36 [5908] no MAIL in SMTP connection from [122.165.71.116]:2056 I=[172.89.0.6]:25 D=0s": {
                "client_ip": "122.165.71.116"
            },
            "2016-03-21 04:07:49 [25874] 1ahr79-0006jK-G9 SMTP connection from (voyeur.webair.com) "
            "[174.137.147.204]:44884 I=[172.89.0.6]:25 closed by DROP in ACL": {
                "client_ip": "174.137.147.204"
            },
            "2013-06-02 09:22:05 [19591] SMTP call from pc012-6201.spo.scu.edu.tw [163.14.21.161]:3767 "
            'I=[1.2.3.4]:25 dropped: too many nonmail commands (last was "RSET")': {
                "client_ip": "163.14.21.161"
            },
            "2013-06-02 06:54:20 [13314] SMTP protocol synchronization error (input sent without waiting for "
            'greeting): rejected connection from H=[211.148.195.192]:25936 I=[1.2.3.4]:25 input="GET / HTTP/1.1"': {
                "client_ip": "211.148.195.192"
            },
            "2013-06-02 09:05:48 [18505] SMTP protocol synchronization error (next input sent too soon: "
            'pipelining was not advertised): rejected "RSET" H=ba77.mx83.fr [82.96.160.77]:58302 '
            'I=[1.2.3.4]:25 next input="QUIT\\r\\n"': {"client_ip": "82.96.160.77"},
            "2026-11-26 09:00:00 SMTP connection from [198.18.0.5]:40000 (TCP/IP connection count = 1)": {
                "client_ip": "198.18.0.5"
            },
            '1999-03-02 09:44:33 SMTP call from CALLER dropped: too many nonmail commands (last was "RSET")': {
                "client_ip": None
            },
        },
    ),
    Pattern(
        "exim_host_notice",
        "other",
        r"(?:"
        + ID
        + r" )?(?:H="
        + HOST
        + r" )?(?:[^\s=]+=\S* )*?(?:sender verify (?:fail|defer) for |"
        r"incomplete transaction |Warning: |(?:RCPT|MAIL) \S+: discarded by |"
        r"remote host used my name in HELO|\w+ authentication mechanism not supported).*$",
        {
            "2013-06-10 10:10:59 H=ufficioestampa.it (srv.ufficioestampa.it) [193.169.56.211] sender verify "
            "fail for <user@example.com>: Unrouteable address": {
                "client_ip": "193.169.56.211",
                "helo": "srv.ufficioestampa.it",
            },
            "1999-03-02 09:44:33 H=(test) [10.0.0.2] U=CALLER sender verify fail for <x@y>: Unrouteable": {
                "client_ip": "10.0.0.2"
            },
            "1999-03-02 09:44:33 H=localhost (primary.test.ex) [127.0.0.1] F=<CALLER@test.ex> RCPT <userx@domA.ex>: "
            "discarded by RCPT ACL": {"client_ip": "127.0.0.1"},
            "1999-03-02 09:44:33 U=CALLER sender verify fail for <x@y>: Unrouteable address": {
                "client_ip": None
            },
        },
    ),
    Pattern(
        "exim_dns_notice",
        "other",
        r"no (?:host name found for IP address (?P<client_ip>\S+)|IP address found for host \S+ "
        r"\(during SMTP connection from \[(?P<from_ip>[^\]]+)\].*\))$",
        {
            "2017-12-03 08:32:00 no host name found for IP address 192.0.2.8": {
                "client_ip": "192.0.2.8"
            },
            "2022-04-03 21:53:53 no IP address found for host hos-t.example.tld (during SMTP connection from "
            "[63.85.123.6]:49390 I=[31.130.202.17]:25)": {"client_ip": "63.85.123.6"},
        },
        derive=_from_ip,
    ),
    Pattern(
        "exim_spamassassin",
        "other",
        ID + r" SA: Action: .*\(host=\S+ \[(?P<client_ip>[^\]]+)\]\).*$",
        {
            "2013-12-30 00:24:50 1VxPit-000MMd-U4 SA: Action: flagged as Spam but accepted: score=8.2 "
            "required=5.0 (scanned in 6/6 secs | Message-Id: x@y). From <spammer@xxx.xx> (host=ip-4.rev.xx "
            "[178.123.108.196]) for trap@example.com": {"client_ip": "178.123.108.196"}
        },
    ),
    # --- message and daemon chatter -----------------------------------------------------
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
