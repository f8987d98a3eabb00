"""Exim SMTP AUTH: failed logins of clients, and Exim's own failures as a client."""

from __future__ import annotations

from ..base import Pattern
from .common import HOST, ID

AUTH = (
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
)
