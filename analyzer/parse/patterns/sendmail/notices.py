"""Sendmail notices about an SMTP session and its client."""

from __future__ import annotations

from ..base import Pattern
from .common import _QID_OR_NOQUEUE, RELAY

SESSIONS = (
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
)
