"""Building blocks of the Sendmail patterns: queue ids, `relay=`, addresses."""

from __future__ import annotations

import re

QID = r"(?P<queue_id>[0-9A-Za-z]{12,18})"
_QID_OR_NOQUEUE = r"(?:" + QID + r"|NOQUEUE): "
# relay=name [ip] (may be forged) | relay=[ip] | relay=name [IPv6:...]
RELAY = (
    r"(?:(?P<client_name>[^\s,\[]+) )?\[(?:IPv6:)?(?P<client_ip>[^\]\s]+)\]"
    r"(?: \(may be forged\))?"
)
_ANGLE = re.compile(r"<([^>]*)>")


def _address(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        return text[1:-1]
    m = _ANGLE.search(text)
    return m[1] if m else text
