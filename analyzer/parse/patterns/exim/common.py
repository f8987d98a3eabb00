"""Building blocks of the Exim patterns: message ids, `H=` hosts, selectors."""

from __future__ import annotations

ID = r"(?P<queue_id>[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4})"
# H=name (helo) [ip]:port -- name and helo are each optional
HOST = (
    r"(?:(?P<client_name>[^\s\[\]()]+) )?(?:\((?P<helo>[^)]*)\) )?"
    r"\[(?P<client_ip>[^\]\s]+)\](?::(?P<client_port>\d+))?"
)
# one selector or word: name="quoted value", name=value, or a bare word such as `K`
TOKEN = r'(?:\w++="[^"\\]*+(?:\\.[^"\\]*+)*+"|\S++)'
