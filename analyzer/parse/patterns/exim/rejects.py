"""Exim rejects: `rejected ...` at any SMTP stage (selectors anywhere before it), ACL drops,
excess recipients, local_scan failures, refused connections.
"""

from __future__ import annotations

import re

from ..base import Pattern
from .common import HOST, ID

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


REJECTS = (
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
)
