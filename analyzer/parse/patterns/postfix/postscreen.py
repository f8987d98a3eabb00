"""Postfix postscreen, tlsproxy and dnsblog: the daemons that screen a client before
smtpd sees it.
"""

from __future__ import annotations

from ..base import CLIENT, Pattern

SCREENING = (
    Pattern(
        "postscreen_connect",
        "other",
        rf"CONNECT from {CLIENT} to \[[^\]]*\]:\d+$",
        {
            "Nov 26 10:00:00 mx1 postfix/postscreen[14766]: CONNECT from [192.0.2.6]:55868 to [10.0.0.1]:25": {
                "client_ip": "192.0.2.6",
                "client_port": 55868,
            }
        },
        daemons=("postscreen",),
    ),
    Pattern(
        "tlsproxy_session",
        "other",
        rf"(?:CONNECT|DISCONNECT)(?: from)? {CLIENT}$",
        {
            "Oct 26 18:13:50 mx1 postfix/tlsproxy[123]: CONNECT from [82.118.17.142]:51637": {
                "client_ip": "82.118.17.142"
            }
        },
        daemons=("tlsproxy",),
    ),
    Pattern(
        "postscreen_verdict",
        "other",
        r"(?:PASS (?:NEW|OLD)|DISCONNECT|WHITELISTED|ALLOWLISTED|WHITELIST VETO|ALLOWLIST VETO|"
        rf"BLACKLISTED|DENYLISTED|DNSBL rank \d+ for) {CLIENT}$",
        {
            "Sep 10 07:01:57 poseidon postfix/postscreen[25914]: DNSBL rank 3 for [1.2.3.4]:64273": {
                "client_ip": "1.2.3.4"
            },
            "Nov 26 10:00:00 mx1 postfix/postscreen[1]: PASS NEW [192.0.2.6]:55868": {
                "client_ip": "192.0.2.6"
            },
        },
        daemons=("postscreen",),
    ),
    Pattern(
        "postscreen_protocol",
        "other",
        r"(?:PREGREET \d+ after [\d.]+|HANGUP after [\d.]+|BARE NEWLINE|COMMAND (?:PIPELINING|TIME LIMIT|"
        rf"COUNT LIMIT|LENGTH LIMIT)|NON-SMTP COMMAND)(?: after [\d.]+)? from {CLIENT}.*$",
        {
            "Sep  6 11:47:43 poseidon postfix/postscreen[14766]: PREGREET 14 after 0.04 from [1.2.3.4]:55868: EHLO ylmf-pc\\r\\n": {
                "client_ip": "1.2.3.4"
            }
        },
        daemons=("postscreen",),
    ),
    Pattern(
        "postscreen_chatter",
        "other",
        r"(?:cache \S+ full cleanup: |warning: (?!.*SASL)).*$",
        {
            "Nov 26 10:00:00 mx1 postfix/postscreen[1]: cache btree:/var/lib/postfix/psc_cache full cleanup: "
            "retained=12 dropped=3 entries": {}
        },
        daemons=("postscreen",),
        fallback=True,
    ),
    Pattern(
        "dnsblog_listed",
        "other",
        r"addr (?P<client_ip>\S+) listed by domain \S+ as \S+$",
        {
            "Jul  8 17:05:18 mail postfix/dnsblog[21133]: addr 1.2.3.4 listed by domain zen.spamhaus.org as 127.0.0.3": {
                "client_ip": "1.2.3.4"
            }
        },
        daemons=("dnsblog",),
    ),
)
