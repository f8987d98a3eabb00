"""Postfix smtpd: SMTP sessions, their rejects (before and after the queue), SASL
failures and the notices about a client.
"""

from __future__ import annotations

from ..base import CLIENT, Pattern
from ..base import POSTFIX_QID as QID

# `; from=<a> to=<b> proto=ESMTP helo=<h>` after a reject (postscreen separates with commas;
# some versions log `helo=` without brackets, and some rejects have no from/to at all).
# Addresses and HELO are client-controlled and may hold `>`: lazy groups that end only at
# the next field (or the end of the line) keep such a value whole instead of losing the tail.
_ENVELOPE_TAIL = (
    r"(?:;? from=<(?P<sender>.*?)>,?)?(?: to=<(?P<recipient>.*?)>,?)?"
    r"(?: proto=(?P<proto>[A-Z]+),?)?(?: helo=<?(?P<helo>.*?)>?)?"
)

SMTPD = ("smtpd",)

SESSIONS = (
    Pattern(
        "smtpd_connect",
        "connect",
        rf"connect from {CLIENT}$",
        {
            "Nov 26 09:00:01 mx1 postfix/smtpd[2201]: connect from mail-a.example.net[203.0.113.5]": {
                "client_name": "mail-a.example.net",
                "client_ip": "203.0.113.5",
                "pid": 2201,
            },
            "Nov 26 09:00:01 mx1 postfix/submission/smtpd[2202]: connect from unknown[2001:db8::25]": {
                "client_name": "unknown",
                "client_ip": "2001:db8::25",
                "program": "postfix/submission/smtpd",
            },
        },
        daemons=SMTPD,
    ),
    Pattern(
        "smtpd_client",
        "client",
        rf"{QID}: client={CLIENT}(?:, sasl_method=(?P<sasl_method>[^,]*), "
        r"sasl_username=(?P<sasl_username>[^,]*))?(?:, sasl_sender=<?(?P<sasl_sender>[^>,]*)>?)?"
        # a content filter's re-injection with XFORWARD names the message it re-injects
        r"(?:, orig_queue_id=(?P<orig_queue_id>[0-9A-Za-z]+))?(?:, .*)?$",
        {
            "Mar  9 10:05:51 server postfix/smtpd[22074]: 10C0D60C50: client=host16.hiway.at[85.238.181.16], "
            "sasl_method=LOGIN, sasl_username=info@brunoaita.it": {
                "queue_id": "10C0D60C50",
                "client_ip": "85.238.181.16",
                "sasl_method": "LOGIN",
                "sasl_username": "info@brunoaita.it",
            },
            "Oct 13 16:40:42 ucs postfix/smtpd[18581]: ED01244770: client=localhost[127.0.0.1], "
            "orig_queue_id=4F5C64474F, orig_client=unknown[28.55.140.112]": {
                "queue_id": "ED01244770",
                "client_ip": "127.0.0.1",
                "orig_queue_id": "4F5C64474F",
            },
            "Nov 26 09:00:02 mx1 postfix-incoming/smtpd[77]: 4F2A11C0E3: client=unknown[192.0.2.7]": {
                "queue_id": "4F2A11C0E3",
                "client_name": "unknown",
                "client_ip": "192.0.2.7",
                "program": "postfix-incoming/smtpd",
            },
        },
        daemons=SMTPD,
    ),
    Pattern(
        "smtpd_disconnect",
        "disconnect",
        rf"disconnect from {CLIENT}(?: (?P<counters>.*))?$",
        {
            "Feb 10 13:26:34 srv postfix/smtpd[123]: disconnect from unknown[192.0.2.1] helo=1 auth=0/1 quit=1 commands=2/3": {
                "client_ip": "192.0.2.1",
                "counters": "helo=1 auth=0/1 quit=1 commands=2/3",
            },
            "Feb 10 13:26:34 srv postfix/smtpd[123]: disconnect from mail.example.com[192.0.2.2]": {
                "client_ip": "192.0.2.2"
            },
        },
        daemons=SMTPD,
    ),
    Pattern(
        "smtpd_noqueue_reject",
        "reject",
        rf"(?:(?:NOQUEUE|{QID}): )?(?:reject|defer|reject_warning): (?P<stage>[A-Z]+(?:-[A-Z]+)*) from {CLIENT}: "
        r"(?:(?P<code>\d{3})(?: (?P<dsn>\d\.\d{1,3}\.\d{1,3}))? )?(?P<reason>.*?)"
        + _ENVELOPE_TAIL
        + "$",
        {
            "Jul 12 07:47:48 saturn postfix/smtpd[8738]: NOQUEUE: reject: RCPT from 1-2-3-4-example.com[1.2.3.4]: "
            "554 5.7.1 <smtp@example.com>: Relay access denied; from=<john@example.com> to=<smtp@example.org> "
            "proto=SMTP helo=<198.51.100.17>": {
                "stage": "RCPT",
                "client_ip": "1.2.3.4",
                "code": 554,
                "dsn": "5.7.1",
                "reason": "<smtp@example.com>: Relay access denied",
                "reason_class": "relay_denied",
                "sender": "john@example.com",
                "recipient": "smtp@example.org",
                "proto": "SMTP",
                "helo": "198.51.100.17",
            },
            "Nov 26 10:00:00 mx1 postfix/smtpd[9]: NOQUEUE: reject: RCPT from unknown[192.0.2.66]: 554 5.7.1 "
            '<a@b.example>: Relay access denied; from=<x"><img src=x onerror=alert(1)>@evil.example> '
            'to=<a@b.example> proto=ESMTP helo=<"><script>alert(1)</script>>': {
                "sender": 'x"><img src=x onerror=alert(1)>@evil.example',
                "recipient": "a@b.example",
                "helo": '"><script>alert(1)</script>',
                "reason": "<a@b.example>: Relay access denied",
                "reason_class": "relay_denied",
            },
            "Feb 21 09:21:54 xxx postfix/smtpd[14398]: NOQUEUE: reject: RCPT from example.com[192.0.43.10]: "
            "450 4.7.1 : Helo command rejected: Host not found; from=<> to=<> proto=ESMTP helo=": {
                "client_ip": "192.0.43.10",
                "code": 450,
                "sender": "",
                "recipient": "",
                "reason_class": "helo_rejected",
            },
            "Nov 26 10:00:00 mx1 postfix/smtpd[11]: 3A8E81C0F1: reject: RCPT from unknown[192.0.2.9]: 550 5.1.1 "
            "<no@hosted.example>: Recipient address rejected: User unknown in virtual mailbox table; "
            "from=<a@b.example> to=<no@hosted.example> proto=ESMTP helo=<b.example>": {
                "queue_id": "3A8E81C0F1",
                "reason_class": "unknown_recipient",
                "recipient": "no@hosted.example",
            },
            "Nov 26 10:00:00 mx1 postfix/smtpd[11]: NOQUEUE: reject: CONNECT from unknown[192.0.2.10]: 554 5.7.1 "
            "<unknown[192.0.2.10]>: Client host rejected: Access denied; proto=SMTP": {
                "stage": "CONNECT",
                "reason_class": "client_rejected",
                "proto": "SMTP",
            },
            "Jan  1 00:00:00 mailhost postfix/smtpd[123]: reject: RCPT from unknown[10.0.0.3]: 554 Service unavailable; "
            "[10.0.0.3] blocked using bl.spamcop.net, reason: Blocked; from=<a@b> to=<c@d>": {
                "reason_class": "rbl",
                "client_ip": "10.0.0.3",
                "code": 554,
            },
            "Oct 26 18:13:50 mx1 postfix/postscreen[123]: NOQUEUE: reject: CONNECT from [1.2.3.4]:1337: too many connections": {
                "client_ip": "1.2.3.4",
                "client_port": 1337,
                "reason": "too many connections",
                "reason_class": "policy",
            },
        },
        daemons=SMTPD + ("postscreen",),
    ),
    Pattern(
        "smtpd_proxy_reject",
        "reject",
        rf"(?:NOQUEUE|{QID}): proxy-reject: (?P<stage>[A-Z]+(?:-[A-Z]+)*): "
        r"(?:(?P<code>\d{3}) )?(?:(?P<dsn>\d\.\d{1,3}\.\d{1,3}) )?(?P<reason>.*?)"
        + _ENVELOPE_TAIL
        + "$",
        {
            "Jan  1 00:00:00 mailhost postfix/smtpd[123]: NOQUEUE: proxy-reject: END-OF-MESSAGE: 554 5.7.0 Reject, "
            "id=11912-03 - INFECTED: Eicar-Test-Signature; from=<root@example.com> to=<root@example.net> proto=ESMTP "
            "helo=<example.com>": {
                "stage": "END-OF-MESSAGE",
                "code": 554,
                "reason_class": "policy",
                "sender": "root@example.com",
            }
        },
        daemons=SMTPD,
        fixed={"reason_class": "policy"},
    ),
    Pattern(
        "smtpd_milter_reject",
        "reject",
        rf"(?:NOQUEUE|{QID}): milter-(?:reject|discard|hold): (?P<stage>[A-Z]+(?:-[A-Z]+)*) from {CLIENT}: "
        r"(?:(?P<code>\d{3}) )?(?:(?P<dsn>\d\.\d{1,3}\.\d{1,3}) )?(?P<reason>.*?)"
        + _ENVELOPE_TAIL
        + "$",
        {
            "Nov 26 10:00:00 mx1 postfix/cleanup[31]: 5E1F21C0F2: milter-reject: END-OF-MESSAGE from "
            "unknown[192.0.2.11]: 5.7.1 Spam message rejected; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<x>": {
                "queue_id": "5E1F21C0F2",
                "stage": "END-OF-MESSAGE",
                "dsn": "5.7.1",
                "reason_class": "milter",
                "reason": "Spam message rejected",
            }
        },
        daemons=("smtpd", "cleanup"),
        fixed={"reason_class": "milter"},
    ),
    Pattern(
        "smtpd_auth_failed",
        "auth_failed",
        rf"warning: {CLIENT}: SASL (?P<sasl_method>[\w-]+) authentication failed(?::(?: (?P<reason>.*?))?)?"
        r"(?:, sasl_username=(?P<sasl_username>.*))?$",
        {
            "Mar 10 13:33:30 gandalf postfix/smtpd[3937]: warning: HOSTNAME[1.1.1.1]: SASL LOGIN authentication "
            "failed: authentication failure": {
                "client_ip": "1.1.1.1",
                "sasl_method": "LOGIN",
                "reason": "authentication failure",
            },
            "Nov  4 09:11:01 mail postfix/smtpd[1234]: warning: unknown[192.0.2.152]: SASL LOGIN authentication "
            "failed: (reason unavailable), sasl_username=admin": {
                "client_ip": "192.0.2.152",
                "sasl_username": "admin",
                "reason": "(reason unavailable)",
            },
            "Nov  4 09:11:01 mail postfix/submission/smtpd[27133]: warning: unknown[192.0.2.150]: SASL PLAIN "
            "authentication failed:": {"client_ip": "192.0.2.150", "sasl_method": "PLAIN"},
            "Nov 26 10:00:00 mx1 postfix/submission/smtpd[9]: warning: unknown[203.0.113.66]: SASL LOGIN "
            "authentication failed: UGFzc3dvcmQ6": {
                "client_ip": "203.0.113.66",
                "reason": "UGFzc3dvcmQ6",
            },
        },
        daemons=SMTPD,
    ),
    Pattern(
        "smtpd_lost_connection",
        "other",
        rf"(?:NOQUEUE: )?(?:lost connection|timeout|too many errors) after (?P<stage>[\w-]+)(?: \([^)]*\))? from {CLIENT}$",
        {
            "Nov 26 10:00:00 mx1 postfix/smtpd[9]: lost connection after AUTH from unknown[192.0.2.3]": {
                "stage": "AUTH",
                "client_ip": "192.0.2.3",
            },
            "Sep 17 18:19:20 mxhost postfix/smtpd[12345]: NOQUEUE: lost connection after CONNECT from unknown[192.0.2.25]": {
                "stage": "CONNECT",
                "client_ip": "192.0.2.25",
            },
        },
        daemons=SMTPD,
    ),
    Pattern(
        "smtpd_client_notice",
        "other",
        r"(?:warning: )?(?:non-SMTP command|improper command pipelining after \S+|bare <LF> received after \S+|"
        r"SSL_accept error|Illegal address syntax|Connection (?:rate|concurrency) limit exceeded: \d+|"
        rf"Message delivery request rate limit exceeded: \d+) from {CLIENT}(?::.*| for .*)?$",
        {
            "Jan 12 11:07:49 h postfix/smtpd[1]: improper command pipelining after DATA from unknown[181.21.131.88]:": {
                "client_ip": "181.21.131.88"
            },
            "Jun 21 12:00:56 acme postfix/submission/smtpd[20201]: warning: non-SMTP command from unknown[1.2.3.4]: GET /": {
                "client_ip": "1.2.3.4"
            },
            "Sep 19 12:10:57 hostname postfix/smtpd[23244]: warning: Connection rate limit exceeded: 31 from "
            "spamhost.domain.org[192.0.2.123] for service smtpd": {"client_ip": "192.0.2.123"},
        },
        daemons=SMTPD + ("postscreen",),
    ),
    Pattern(
        "smtpd_warning",
        "other",
        r"warning: (?:hostname \S+ does not resolve to address (?P<client_ip>[0-9A-Fa-f.:]*[0-9A-Fa-f])(?::.*)?|"
        r"(?:numeric hostname|"
        r"[\w.-]+: address not listed for hostname|TLS library problem|dnsblog reply timeout|"
        r"\S+\[\S+\]: SASL \S+ authentication aborted|connect to \S+: |"
        r"\S+: RBL lookup error).*)",
        {
            "Nov 26 10:00:00 mx1 postfix/smtpd[9]: warning: hostname x.example does not resolve to address 192.0.2.4": {
                "client_ip": "192.0.2.4"
            }
        },
        daemons=SMTPD,
    ),
    Pattern(
        "tls_and_transport",
        "other",
        r"(?:(?:(?:Anonymous|Trusted|Untrusted|Verified) )?TLS connection established (?:from|to) |"
        r"(?:\S+: )?SASL (?:\[CACHED\] )?authentication failed; (?:server|cannot authenticate)|"
        r"SSL_connect error to |setting up TLS connection |"
        r"discarding EHLO keywords|proxy-(?:accept|reject): |"
        r"Server certificate not|certificate verification failed|"
        r"(?:Dis)?connected to \S+ |host \S+ said: |"
        r"\S+: TLS is required|\S+: passing <).*",
        {
            "Nov 26 10:00:00 mx1 postfix/smtp[9]: Trusted TLS connection established to mx.example.org[192.0.2.5]:25: "
            "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)": {}
        },
    ),
    Pattern(
        "smtpd_access_action",
        "other",
        rf"(?:NOQUEUE|{QID}): (?:warn|discard|bcc|hold|filter|redirect|prepend|info): "
        rf"[A-Z]+(?:-[A-Z]+)* from {CLIENT}: .*$",
        {
            "Jan  1 00:00:00 mailhost postfix/smtpd[123]: NOQUEUE: warn: RCPT from host[10.0.0.1]: TEST access WARN "
            "action; from=<f@sample.com> to=<eto@example.com> proto=ESMTP helo=<sample.com>": {
                "client_ip": "10.0.0.1"
            }
        },
        daemons=SMTPD,
    ),
)
