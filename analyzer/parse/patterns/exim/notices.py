"""Exim notices about SMTP sessions and their clients (protocol errors, timeouts, sender
verification, DNS, SpamAssassin).
"""

from __future__ import annotations

from ..base import Pattern
from .common import HOST, ID


def _from_ip(event: dict) -> None:
    ip = event.pop("from_ip", None)
    if ip is not None:
        event["client_ip"] = ip


SESSIONS = (
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
)
