"""Postfix process and daemon chatter: the broad fallback tried after every other pattern."""

from __future__ import annotations

from ..base import Pattern

CHATTER = (
    Pattern(
        "daemon_chatter",
        "other",
        r"(?:statistics: .*|daemon started .*|reload .*|terminating on signal .*|"
        r"table \S+ has changed -- restarting|"
        r"(?:Placed on hold|Released from hold|Requeued|Deleted): \d+ messages?|"
        r"\w+: (?:requeued|placed on hold|released from hold|expired)|"
        r"cache \S+ (?:full|partial) cleanup: .*|"
        r"refreshing the Postfix mail system|stopping the Postfix mail system|starting the Postfix mail system|"
        r"Postfix is running with backwards-compatible default settings|"
        # diagnostics, except anything about authentication, which must stay visible
        r"(?:warning|fatal|error|panic): (?!.*(?:SASL|authentication)).*)$",
        {
            "Oct 26 18:13:50 mx1 postfix/anvil[7]: statistics: max cache size 1 at Oct 26 18:13:50": {}
        },
        fallback=True,
    ),
)
