"""Sendmail SMTP AUTH: logins (`AUTH=server`, `AUTH=client`) and failures."""

from __future__ import annotations

from ..base import Pattern
from .common import QID, RELAY

LOGINS = (
    Pattern(
        # srvrsmtp.c logs it with NOQID (no prefix): the session has no queue id before
        # MAIL FROM; the correlator charges the process's next messages to the login
        "sendmail_auth_server",
        "authenticated",
        r"(?:" + QID + r": )?AUTH=server, relay=" + RELAY + r", authid=(?P<sasl_username>[^,]*), "
        r"mech=(?P<sasl_method>[^,\s]+)(?:, bits=\d+)?$",
        {
            "Dec  6 11:43:12 mx sm-mta[29813]: AUTH=server, relay=client.example [198.51.100.7], authid=augie, "
            "mech=PLAIN, bits=0": {
                "client_ip": "198.51.100.7",
                "client_name": "client.example",
                "sasl_username": "augie",
                "sasl_method": "PLAIN",
                "queue_id": None,
                "pid": 29813,
            },
            "Nov 26 10:00:01 mx1 sm-mta[3100]: 5AQA01aa003100: AUTH=server, relay=unknown [198.18.7.7], "
            "authid=info@shop-anna.example, mech=PLAIN, bits=0": {
                "client_ip": "198.18.7.7",
                "sasl_username": "info@shop-anna.example",
                "sasl_method": "PLAIN",
            },
            "Mar  2 08:01:10 mail sendmail[4410]: AUTH=server, relay=dsl-1.isp.example [IPv6:2001:db8::7] "
            "(may be forged), authid=office@shop-anna.example, mech=LOGIN, bits=0": {
                "client_ip": "2001:db8::7",
                "sasl_username": "office@shop-anna.example",
                "sasl_method": "LOGIN",
            },
        },
    ),
    Pattern(
        # Sendmail authenticating as a client to the next hop (a smarthost): the server's
        # own credentials, never a sender's identity, so it is not an `authenticated` event
        "sendmail_auth_client",
        "other",
        r"(?:" + QID + r": )?AUTH=client, (?:relay=(?P<relay>[^,]+), )?"
        r"(?:mech=(?P<sasl_method>[^,\s]+)(?:, bits=\d+)?|.*)$",
        {
            "Dec  6 11:43:20 mx sm-mta[29813]: AUTH=client, relay=smtp.provider.example, mech=PLAIN, bits=0": {
                "relay": "smtp.provider.example",
                "sasl_method": "PLAIN",
                "sasl_username": None,
                "event": "other",
            },
            "Dec  6 11:43:20 mx sm-mta[29830]: wB6AhD1x029813: AUTH=client, relay=[192.0.2.25], mech=LOGIN, "
            "bits=0": {"relay": "[192.0.2.25]", "queue_id": "wB6AhD1x029813", "event": "other"},
            "Dec  6 11:43:20 mx sm-mta[29830]: AUTH=client, available mechanisms do not fulfill requirements": {
                "relay": None,
                "event": "other",
            },
        },
    ),
)

FAILURES = (
    Pattern(
        "sendmail_auth_failure",
        "auth_failed",
        QID
        + r": AUTH failure \((?P<sasl_method>[^)]*)\): (?P<reason>.*?)(?:, user=(?P<sasl_username>.*?))?"
        r", relay=" + RELAY + r"$",
        {
            "Feb 25 04:02:27 relay1 sendmail[16664]: 06I02CNi016764: AUTH failure (LOGIN): authentication failure "
            "(-13) SASL(-13): authentication failure: checkpass failed, user=user@example.com, relay=example.com "
            "[192.0.2.3] (may be forged)": {
                "sasl_method": "LOGIN",
                "sasl_username": "user@example.com",
                "client_ip": "192.0.2.3",
                "client_name": "example.com",
            },
            "Feb 25 04:02:28 relay1 sendmail[16665]: 06I02CNi016765: AUTH failure (LOGIN): authentication failure "
            "(-13) SASL(-13): authentication failure: checkpass failed, user=criminal, relay=[192.0.2.100], "
            "relay=[192.0.2.4] (may be forged)": {"client_ip": "192.0.2.4"},
            "May 29 23:14:05 server sendmail[25411]: 26H8MRrS025411: AUTH failure (LOGIN): authentication "
            "failure (-13) SASL(-13): authentication failure: checkpass failed, relay=[192.0.2.9]": {
                "client_ip": "192.0.2.9",
                "sasl_username": None,
            },
        },
    ),
    Pattern(
        "sendmail_auth_attack",
        "auth_failed",
        QID
        + r": "
        + RELAY
        + r": (?P<reason>possible SMTP attack: command=AUTH, count=(?P<count>\d+))$",
        {
            "Feb 16 23:33:20 smtp1 sm-mta[5133]: s1GNXHYB005133: [190.5.230.178]: possible SMTP attack: "
            "command=AUTH, count=5": {"client_ip": "190.5.230.178", "count": "5"},
            "Feb 24 13:00:17 kismet sm-acceptingconnections[1499]: s1OHxxSn001499: 192.241.70.95.dsl.static."
            "turk.net [95.70.241.192] (may be forged): possible SMTP attack: command=AUTH, count=6": {
                "client_ip": "95.70.241.192"
            },
        },
        fixed={"summary": True},
    ),
)
