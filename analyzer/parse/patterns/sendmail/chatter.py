"""Sendmail daemon chatter: the broad fallback tried after every other pattern."""

from __future__ import annotations

from ..base import Pattern

CHATTER = (
    Pattern(
        "sendmail_chatter",
        "other",
        r"(?:(?:[0-9A-Za-z]{12,18}|NOQUEUE): )?(?!.*(?:AUTH|authenticat|[Rr]elaying))"
        r"(?:STARTTLS=client.*|SYSERR.*|starting daemon .*|"
        r"\S+: \d+ aliases, longest .*|alias database .*|gethostbyaddr.*|"
        r"My unqualified host name .*|unable to qualify my own domain name.*|"
        r"(?:rejecting|accepting) connections .*|grew WorkList .*|runqueue: .*|"
        r"[0-9A-Za-z]{12,18}: (?:sender notify|clone|return to sender).*|"
        r"(?:sender notify|clone|done|Milter(?: \S+)?|milter|collect|timeout|"
        r"Authentication-Warning|savemail|queueup|SMTP outgoing connect)\b.*|Losing .*)$",
        {
            "Nov 26 00:00:00 mx1 sm-mta[2000]: starting daemon (8.17.1): SMTP+queueing@00:10:00": {},
            "Nov 26 10:00:05 mx1 sm-mta[3001]: 5AQA04xF003000: Milter add: header: X-Spam-Status: No": {},
        },
        fallback=True,
    ),
)
