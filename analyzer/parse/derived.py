"""Fields computed from what a pattern captured, per event type (part of the event, so
`analyzer parse` shows them too): a delivery's recipient domain, a disconnect's AUTH and
command counters. Patterns with their own rule carry it as `Pattern.derive`."""

from __future__ import annotations

from collections.abc import Callable


def recipient_domain(recipient: str | None) -> str | None:
    """The lower-cased domain of a recipient address; None without an `@`."""
    if not recipient:
        return None
    at = recipient.rfind("@")
    return recipient[at + 1 :].lower() if at >= 0 else None


def _recipient_domain(event: dict) -> None:
    event["recipient_domain"] = recipient_domain(event.get("recipient"))


def _command_counters(event: dict) -> None:
    """`ehlo=1 auth=0/1 quit=1 commands=2/3` -> auth_ok/auth_total, commands_ok/_total."""
    for name in ("auth", "commands"):
        event[name + "_ok"] = event[name + "_total"] = None
    for item in (event.get("counters") or "").split():
        name, _, value = item.partition("=")
        if name == "auth" or name == "commands":
            ok, _, total = value.partition("/")
            if ok.isdigit() and (not total or total.isdigit()):
                event[name + "_ok"], event[name + "_total"] = int(ok), int(total or ok)


# event type -> the function that adds its derived fields
DERIVED: dict[str, Callable[[dict], None]] = {
    "delivery": _recipient_domain,
    "disconnect": _command_counters,
}
