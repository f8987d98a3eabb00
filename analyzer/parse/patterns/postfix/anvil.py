"""Postfix anvil's statistics of one client: a client hammering the server."""

from __future__ import annotations

from ..base import Pattern

ANVIL_KINDS = {
    "connection rate": "connection_rate",
    "connection count": "connection_count",
    "message rate": "message_rate",
    "recipient rate": "recipient_rate",
    "newtls request rate": "newtls_rate",
}
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _anvil(event: dict) -> None:
    """`connection rate` -> `connection_rate`; the rate's time unit `60s`/`5m` -> seconds."""
    event["kind"] = ANVIL_KINDS[event["kind"]]
    period = event.get("period")
    if period is not None:
        unit = period[-1] if period[-1] in _SECONDS else "s"
        event["period"] = int(period.rstrip("smhd") or 1) * _SECONDS[unit]


ANVIL = (
    Pattern(
        "anvil_client_rate",
        "client_rate",
        r"statistics: max (?P<kind>connection rate|connection count|message rate|recipient rate|"
        r"newtls request rate) (?P<figure>\d+)(?:/(?P<period>\d*[smhd]?))? for "
        r"\((?P<service>.+?):(?P<client_ip>[\d.]+|[0-9A-Fa-f]*:[0-9A-Fa-f]*:[0-9A-Fa-f:.]*)\) at .*$",
        {
            "Dec  7 13:33:34 mail postfix/anvil[18492]: statistics: max connection rate 2/60s for "
            "(submission:68.183.218.8) at Dec  7 13:28:01": {
                "kind": "connection_rate",
                "figure": 2,
                "period": 60,
                "service": "submission",
                "client_ip": "68.183.218.8",
            },
            "Dec  7 13:33:34 mail postfix/anvil[18492]: statistics: max connection count 1 for "
            "(smtpd:209.85.218.50) at Dec  7 13:26:48": {
                "kind": "connection_count",
                "figure": 1,
                "service": "smtpd",
                "client_ip": "209.85.218.50",
            },
            "Oct 26 17:46:59 mx1 postfix/anvil[7]: statistics: max connection rate 1/5m for "
            "(smtpd:2604:8d00:0:1::3) at Oct 26 17:46:59": {
                "period": 300,
                "service": "smtpd",
                "client_ip": "2604:8d00:0:1::3",
            },
            "Oct 26 19:46:00 mx1 postfix/anvil[7]: statistics: max connection count 1 for "
            "(127.0.0.1:2525:127.0.0.1) at Oct 26 19:46:00": {
                "service": "127.0.0.1:2525",
                "client_ip": "127.0.0.1",
            },
            "Nov 26 10:00:00 mx1 postfix/anvil[7]: statistics: max message rate 250/60s for "
            "(smtp:203.0.113.50) at Nov 26 09:58:12": {
                "kind": "message_rate",
                "figure": 250,
                "client_ip": "203.0.113.50",
            },
            "Nov 26 10:00:00 mx1 postfix/anvil[7]: statistics: max recipient rate 900/60s for "
            "(smtp:203.0.113.50) at Nov 26 09:58:12": {"kind": "recipient_rate", "figure": 900},
        },
        daemons=("anvil",),
        derive=_anvil,
    ),
)
