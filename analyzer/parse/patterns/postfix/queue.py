"""Postfix's queue: pickup (local submission), cleanup (message-id, PHP script headers,
header/body checks) and qmgr (queued, removed, expired).
"""

from __future__ import annotations

from ..base import CLIENT, Pattern, addr
from ..base import POSTFIX_QID as QID

# `; from=<a> to=<b> proto=ESMTP helo=<h>[: text]` after a cleanup header/body notice
_CLEANUP_TAIL = (
    r"(?: from=<(?P<sender>[^>]*)>)?(?: to=<(?P<recipient>[^>]*)>)?"
    r"(?: proto=(?P<proto>[A-Z]+))?(?: helo=<(?P<helo>[^>]*)>)?(?:: (?P<text>.*))?$"
)

PICKUP = (
    Pattern(
        "pickup",
        "pickup",
        rf"{QID}: uid=(?P<uid>\d+) from=" + addr("sender") + "$",
        {
            "Jan 17 09:33:45 scottlinux postfix/pickup[29334]: A30577CA327: uid=33 from=<www-data>": {
                "queue_id": "A30577CA327",
                "uid": 33,
                "sender": "www-data",
            }
        },
        daemons=("pickup",),
    ),
)

CLEANUP = (
    Pattern(
        "cleanup_message_id",
        "message_id",
        rf"{QID}: (?:resent-)?message-id=<?(?P<message_id>[^>]*)>?$",
        {
            "Nov 26 10:00:00 mx1 postfix/cleanup[31]: 4F2A11C0E3: message-id=<abc@example.net>": {
                "queue_id": "4F2A11C0E3",
                "message_id": "abc@example.net",
            },
            "Nov 26 10:00:00 mx1 postfix/cleanup[31]: 4F2A11C0E3: message-id=": {
                "queue_id": "4F2A11C0E3",
                "message_id": "",
            },
        },
        daemons=("cleanup",),
    ),
    Pattern(
        "cleanup_php_script",
        "script_header",
        rf"{QID}: (?:warning|info): header X-PHP-Originating-Script: (?P<uid>\d+):(?P<script>.+?) "
        rf"from (?:local|{CLIENT});(?: from=<[^>]*>)?(?: to=<(?P<recipient>[^>]*)>)?.*$",
        {
            "Nov 26 10:00:00 mx1 postfix/cleanup[31]: 4F2A11C0E4: warning: header X-PHP-Originating-Script: "
            "1003:contact-form.php from local; from=<site1003@mx1.example> to=<someone@example.org>": {
                "queue_id": "4F2A11C0E4",
                "uid": 1003,
                "script": "contact-form.php",
                "recipient": "someone@example.org",
            },
            "Nov 26 10:00:00 mx1 postfix/cleanup[31]: 4F2A11C0E5: info: header X-PHP-Originating-Script: "
            "72467:txplib_misc.php(1826) : eval()'d code from local; from=<a@b> to=<c@d>": {
                "uid": 72467,
                "script": "txplib_misc.php(1826) : eval()'d code",
            },
        },
        daemons=("cleanup",),
    ),
    Pattern(
        "cleanup_content_reject",
        "reject",
        rf"{QID}: (?P<action>reject|discard): (?:header|body) (?P<reason>.*?) from (?:local|{CLIENT});"
        r"(?: from=" + addr("sender") + r")?(?: to=" + addr("recipient") + r")?"
        r"(?: proto=(?P<proto>[A-Z]+))?(?: helo=<(?P<helo>[^>]*)>)?(?:: (?P<dsn>\d\.\d{1,3}\.\d{1,3})? ?(?P<response>.*))?$",
        {
            "Nov 26 10:00:00 mx1 postfix/cleanup[31]: 4F2A11C0E6: reject: body Subject: Cheap pills from local; "
            "from=<root@localhost>: 5.7.1 message content rejected": {
                "queue_id": "4F2A11C0E6",
                "reason_class": "policy",
                "sender": "root@localhost",
                "dsn": "5.7.1",
            }
        },
        daemons=("cleanup",),
        fixed={"reason_class": "policy", "stage": "DATA"},
    ),
    # header_checks / body_checks WARN, INFO, HOLD, ... (hosting companies' abuse tracking)
    Pattern(
        "cleanup_header_notice",
        "notice",
        rf"{QID}: (?P<action>warning|info|hold|replace|redirect|prepend|filter|bcc): header "
        r"(?!X-PHP-Originating-Script:)(?P<header>[^\s:]+): ?(?P<value>.*?) "
        rf"from (?:local|{CLIENT});" + _CLEANUP_TAIL,
        {
            "Jan  1 00:00:00 mailhost postfix/cleanup[123]: DEADBEEF: warning: header Date: Tues, 99:34:67 from "
            "localhost[127.0.0.1]; from=<efrom@example.com> to=<eto@sample.net> proto=ESMTP helo=<example.com>: "
            "optional text...": {
                "queue_id": "DEADBEEF",
                "action": "warning",
                "header": "Date",
                "value": "Tues, 99:34:67",
                "client_name": "localhost",
                "client_ip": "127.0.0.1",
                "sender": "efrom@example.com",
                "recipient": "eto@sample.net",
                "proto": "ESMTP",
                "helo": "example.com",
                "text": "optional text...",
                "kind": "header",
            },
            "Nov 26 10:00:00 mx1 postfix/cleanup[31]: D8B07E3DB6: warning: header Subject: hello from "
            "o1.outbound.example[167.89.17.173]; from=<a@b> to=<c@d> proto=ESMTP helo=<o1>": {
                "queue_id": "D8B07E3DB6",
                "header": "Subject",
                "value": "hello",
                "client_ip": "167.89.17.173",
                "helo": "o1",
            },
            "Oct 26 18:13:50 mx1 postfix/cleanup[123]: D95341E50350: info: header Subject: "
            "=?utf-8?Q?Gr=C3=BC=C3=9Fe?= test from local; from=<from@example.com> to=<to@example.com>": {
                "action": "info",
                "value": "=?utf-8?Q?Gr=C3=BC=C3=9Fe?= test",
                "sender": "from@example.com",
            },
        },
        daemons=("cleanup",),
        fixed={"kind": "header"},
    ),
    Pattern(
        "cleanup_body_notice",
        "notice",
        rf"{QID}: (?P<action>warning|info|hold|replace|redirect|prepend|filter|bcc): body "
        rf"(?P<value>.*?) from (?:local|{CLIENT});" + _CLEANUP_TAIL,
        {
            "Nov 26 10:00:00 mx1 postfix/cleanup[31]: 5A0C21C0F7: warning: body Click here to claim your prize "
            "from unknown[203.0.113.9]; from=<promo@spam.example> to=<anna@shop.example> proto=ESMTP "
            "helo=<spam.example>: suspicious body": {
                "queue_id": "5A0C21C0F7",
                "value": "Click here to claim your prize",
                "client_ip": "203.0.113.9",
                "sender": "promo@spam.example",
                "recipient": "anna@shop.example",
                "helo": "spam.example",
                "text": "suspicious body",
                "kind": "body",
            }
        },
        daemons=("cleanup",),
        fixed={"kind": "body"},
    ),
    Pattern(
        "cleanup_header_warning",
        "other",
        rf"{QID}: (?:milter-header-|milter-body-)?(?:warning|info|hold|replace|redirect|prepend|filter|bcc): (?:header|body|content) .*$",
        {
            "Nov 26 10:00:00 mx1 postfix/cleanup[31]: D8B07E3DB7: hold: header X-PHP-Originating-Script: "
            "1003:mailer.php from local; from=<site1003@mx1.example> to=<a@b.example>": {
                "queue_id": "D8B07E3DB7"
            }
        },
        daemons=("cleanup",),
        fallback=True,
    ),
)

QMGR = (
    Pattern(
        "qmgr_queued",
        "queued",
        rf"{QID}: from="
        + addr("sender")
        + r", size=(?P<size>\d+), nrcpt=(?P<nrcpt>\d+) \(queue active\)$",
        {
            "Nov 26 10:00:00 mx1 postfix/qmgr[20]: 4F2A11C0E3: from=<a@b.example>, size=1234, nrcpt=2 (queue active)": {
                "queue_id": "4F2A11C0E3",
                "sender": "a@b.example",
                "size": 1234,
                "nrcpt": 2,
            },
            "Nov 26 10:00:00 mx1 postfix/qmgr[20]: 4F2A11C0E7: from=<>, size=3000, nrcpt=1 (queue active)": {
                "sender": ""
            },
        },
        daemons=("qmgr",),
    ),
    Pattern(
        "qmgr_queued_unbracketed",
        "queued",
        rf"{QID}: from=(?P<sender>[^<>,\s][^<>,\s]*), size=(?P<size>\d+), nrcpt=(?P<nrcpt>\d+) \(queue active\)$",
        {
            "Nov 26 10:00:00 mx1 postfix/qmgr[20]: 4F2A11C0E9: from=billing@shop.example, size=2210, nrcpt=3 "
            "(queue active)": {
                "queue_id": "4F2A11C0E9",
                "sender": "billing@shop.example",
                "size": 2210,
                "nrcpt": 3,
            }
        },
        daemons=("qmgr",),
    ),
    Pattern(
        "qmgr_removed",
        "removed",
        rf"{QID}: removed$",
        {"Nov 26 10:00:00 mx1 postfix/qmgr[20]: 4F2A11C0E3: removed": {"queue_id": "4F2A11C0E3"}},
        daemons=("qmgr", "postsuper"),
    ),
    Pattern(
        "qmgr_expired",
        "expired",
        rf"{QID}: from=" + addr("sender") + r", status=expired, returned to sender$",
        {
            "Nov 26 10:00:00 mx1 postfix/qmgr[20]: 4F2A11C0E8: from=<a@b.example>, status=expired, returned to sender": {
                "queue_id": "4F2A11C0E8",
                "sender": "a@b.example",
                "status": "expired",
            }
        },
        daemons=("qmgr",),
        fixed={"status": "expired"},
    ),
    Pattern(
        "qmgr_other",
        "other",
        rf"(?:{QID}: (?:skipped, still being delivered|from=<[^>]*>, status=\w+, .*|to=<[^>]*>, relay=none, .*)"
        r"|warning: (?!.*SASL).*|(?:statistics|QMGR_\w+): .*)$",
        {"Nov 26 10:00:00 mx1 postfix/qmgr[20]: 4F2A11C0E8: skipped, still being delivered": {}},
        daemons=("qmgr",),
        fallback=True,
    ),
)
