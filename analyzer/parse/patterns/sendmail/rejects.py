"""Sendmail rejects: rulesets, refused recipients, milters, pre-greeting traffic."""

from __future__ import annotations

from ..base import Pattern
from .common import _QID_OR_NOQUEUE, QID, RELAY, _address

_STAGES = {
    "check_relay": "CONNECT",
    "check_mail": "MAIL",
    "check_rcpt": "RCPT",
    "check_data": "DATA",
    "check_eoh": "DATA",
    "check_eom": "DATA",
    "check_compat": "RCPT",
    "check_etrn": "ETRN",
    "check_expn": "EXPN",
    "check_vrfy": "VRFY",
    "tls_client": "STARTTLS",
    "tls_server": "STARTTLS",
}
_MILTER_STAGES = {
    "connect": "CONNECT",
    "helo": "HELO",
    "from": "MAIL",
    "to": "RCPT",
    "data": "DATA",
    "eoh": "DATA",
    "eom": "DATA",
    "body": "DATA",
}


def _ruleset_reject(event: dict) -> None:
    ruleset = event.pop("ruleset")
    event["stage"] = _STAGES.get(ruleset)
    arg1 = event.pop("arg1", None)
    if ruleset in ("check_rcpt", "check_compat"):
        event["recipient"] = _address(arg1)
    elif ruleset == "check_mail":
        event["sender"] = _address(arg1)
    event.pop("arg2", None)


def _milter_reject(event: dict) -> None:
    where = event.pop("where")
    event["stage"] = _MILTER_STAGES.get(where.split("=", 1)[0].lower(), "DATA")
    if where.startswith("from="):
        event["sender"] = _address(where[5:])
    elif where.startswith("to="):
        event["recipient"] = _address(where[3:])


REJECTS = (
    Pattern(
        "sendmail_ruleset_reject",
        "reject",
        r"(?:"
        + QID
        + r": )?ruleset=(?P<ruleset>\w+), arg1=(?P<arg1>.*?), (?:arg2=(?P<arg2>[^,]*), )?"
        r"relay="
        + RELAY
        + r", reject=(?P<code>\d{3}) (?:(?P<dsn>\d\.\d{1,3}\.\d{1,3}) )?(?P<reason>.*)$",
        {
            "Feb 25 03:01:10 kismet sm-acceptingconnections[27713]: s1P819mk027713: ruleset=check_rcpt, "
            "arg1=<asservnew@freemailhost.ru>, relay=128-68-136-133.broadband.corbina.ru [128.68.136.133], "
            "reject=550 5.7.1 <asservnew@freemailhost.ru>... Relaying denied. Proper authentication required.": {
                "queue_id": "s1P819mk027713",
                "stage": "RCPT",
                "recipient": "asservnew@freemailhost.ru",
                "client_ip": "128.68.136.133",
                "code": 550,
                "dsn": "5.7.1",
                "reason_class": "relay_denied",
                "program": "sm-acceptingconnections",
            },
            "Feb 24 01:46:44 petermurray sm-mta[24422]: ruleset=check_relay, arg1=leased-line-54-82.telecom.by, "
            "arg2=217.21.54.82, relay=leased-line-54-82.telecom.by [217.21.54.82], reject=421 4.3.2 Connection "
            "rate limit exceeded.": {
                "stage": "CONNECT",
                "client_ip": "217.21.54.82",
                "code": 421,
                "reason_class": "policy",
                "queue_id": None,
            },
            "Feb 23 07:57:28 petermurray sm-mta[6519]: s1N7vR47006519: ruleset=check_rcpt, "
            "arg1=<camila.pinto@camilopinto.pt>, relay=[2.180.185.27], reject=553 5.1.8 "
            "<camila.pinto@camilopinto.pt>... Domain of sender address camila.pinto@andrewweitzman.com does not exist": {
                "client_ip": "2.180.185.27",
                "reason_class": "sender_rejected",
            },
            "Nov 26 10:00:00 mx1 sm-mta[3004]: 5AQA00ab003004: ruleset=check_mail, arg1=<x@bad.example>, "
            "relay=[198.18.0.9], reject=451 4.1.8 Domain of sender address x@bad.example does not resolve": {
                "stage": "MAIL",
                "sender": "x@bad.example",
                "recipient": None,
            },
        },
        derive=_ruleset_reject,
    ),
    Pattern(
        "sendmail_rcpt_refused",
        "reject",
        QID + r": <(?P<recipient>[^>]*)>\.\.\. (?P<reason>.*)$",
        {
            "Nov  3 11:35:30 Microsoft sendmail[26254]: rA37ZTSC026250: <arhipov@domain.com>... No such user here": {
                "recipient": "arhipov@domain.com",
                "reason_class": "unknown_recipient",
                "stage": "RCPT",
            },
            "Jun 17 14:37:39 <mail.notice> robin sm-mta[2794]: 55HIbcGI002794: <baduser@yourhost.com>... User unknown": {
                "recipient": "baduser@yourhost.com",
                "reason": "User unknown",
            },
        },
        fixed={"stage": "RCPT"},
    ),
    Pattern(
        "sendmail_milter_reject",
        "reject",
        _QID_OR_NOQUEUE + r"Milter(?: \S+)?: (?P<where>[^,]*), reject=(?P<code>\d{3})"
        r"(?: (?P<dsn>\d\.\d{1,3}\.\d{1,3}))? ?(?P<reason>.*)$",
        {
            "Nov 26 10:00:00 mx1 sm-mta[3005]: 5AQA00ab003005: Milter: data, reject=554 5.7.1 Spam detected": {
                "stage": "DATA",
                "code": 554,
                "reason_class": "milter",
                "reason": "Spam detected",
            }
        },
        fixed={"reason_class": "milter"},
        derive=_milter_reject,
    ),
    Pattern(
        "sendmail_pregreet",
        "reject",
        QID
        + r": rejecting commands from (?:(?P<client_name>\S+) )? ?\[(?:IPv6:)?(?P<client_ip>[^\]]+)\]"
        r"(?: \(may be forged\))? due to (?P<reason>pre-greeting traffic.*)$",
        {
            "Feb 27 10:53:06 batman sm-mta[44307]: s1R9r60D044307: rejecting commands from  [209.15.212.253] "
            "due to pre-greeting traffic after 0 seconds": {
                "client_ip": "209.15.212.253",
                "stage": "CONNECT",
                "reason_class": "policy",
            }
        },
        fixed={"stage": "CONNECT", "reason_class": "policy"},
    ),
)
